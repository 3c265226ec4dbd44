"""Who may use the app: an optional password login (docs/safety.md).

Off unless Streamlit's secrets (``.streamlit/secrets.toml`` beside ``app.py``, or
``~/.streamlit/secrets.toml``) hold a ``[login.users]`` table of names and password hashes:

    [login.users]
    "ana" = "scrypt$16384$8$1$<salt>$<hash>"

``python -m access NAME`` asks for a password and prints that line. An optional ``reviewers``
list under ``[login]`` names the users who may accept or reject polygons (:func:`may_review`):

    [login]
    reviewers = ["ana"]

With login on, every page but the sign-in form is hidden until a user signs in, and the annotator
saved with each polygon is the signed-in user (it cannot be typed). Passwords are never stored:
scrypt hashes with a random salt, compared in constant time; a wrong password costs a second, an
unknown name costs the same scrypt as a known one, and after ``MAX_FAILURES`` failures within
``FAILURE_WINDOW`` (per name, whether or not it exists, and per session) further attempts are
refused until the oldest failure is that old.

Uploads (``/_stcore/upload_file/<session>/...``) and downloads (``/media/...``: download buttons,
images) answer 403 unless the request carries the cookie of a signed-in session; an upload must
also go into that session. Streamlit has no hook for this: ``install_guard`` wraps Starlette's
``Route.handle`` when this module is first imported.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import json
import math
import re
import secrets
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

import streamlit as st
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

SCHEME, N, R, P = "scrypt", 2**14, 8, 1
#: Seconds a wrong name or password waits before the form answers.
FAILURE_DELAY = 1.0
#: Failed sign-ins allowed per name and per session within ``FAILURE_WINDOW`` seconds; then
#: every attempt, even with the right password, is refused until the oldest of them is that old
#: (about 5 guesses per name per 15 minutes). A name under attack is locked for its owner too.
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60.0
#: What an unknown name's password is checked against, so that it costs a known name's scrypt.
_DUMMY_HASH = f"{SCHEME}${N}${R}${P}${'00' * 16}${'00' * 64}"

#: A session's cookie is this prefix and its session id (one per session: two tabs signed in
#: keep theirs); its value is a random token that counts once the session has signed in.
COOKIE = "login_"
_COOKIE_NAME = re.compile(re.escape(COOKIE) + r"[0-9a-f-]{36}")
#: Streamlit 1.67's routes that take in and hand out files (streamlit/web/server/starlette/
#: starlette_routes.py), after any ``server.baseUrlPath``. If an upgrade renames them, the guard
#: lets them through: tests/e2e/test_login.py then fails.
FILE_ROUTES = ("/media/{file_id:path}", "/_stcore/upload_file/{session_id}/{file_id}")

_Handle = Callable[[Route, Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Grant:
    """Who a token's browser signed in as, and in which Streamlit session."""

    user: str
    session_id: str


#: Tokens of signed-in sessions. Process-wide: the file routes see no session state.
_GRANTS: dict[str, Grant] = {}
_GRANTS_LOCK = threading.Lock()


def hash_password(password: str, salt: bytes | None = None) -> str:
    """The stored form of a password: ``scrypt$N$r$p$salt$hash`` (hex)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P)
    return f"{SCHEME}${N}${R}${P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash; ``False`` for a malformed one."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        found = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
        return hmac.compare_digest(found, bytes.fromhex(digest))
    except ValueError:
        return False


def verify(name: str, password: str) -> bool:
    """Whether ``password`` is ``name``'s. An unknown name is checked against a dummy hash with
    the same cost, so the time taken does not tell known names from unknown ones."""
    stored = users().get(name)
    matches = check_password(password, stored or _DUMMY_HASH)
    return stored is not None and matches


class Backoff:
    """Failed sign-ins per key (``"name:ana"``, ``"session:<id>"``) within a sliding window.

    Args:
        limit: Failures a key may have within ``window``.
        window: Seconds a failure counts.
        clock: Seconds since any fixed start (tests pass their own).
    """

    def __init__(
        self,
        limit: int = MAX_FAILURES,
        window: float = FAILURE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def take(self, keys: Iterable[str]) -> tuple[float, float]:
        """Under one lock: the seconds until ``keys`` may try again (0 when they may now) and,
        when they may, a failure counted for each of them at once (its time is returned, for
        :meth:`forgive` when the attempt succeeds), so attempts made at the same moment cannot
        all pass the check before any of them has failed."""
        keys = list(keys)
        now = self.clock()
        with self._lock:
            self._failures = {
                key: recent
                for key, times in self._failures.items()
                if (recent := [t for t in times if t > now - self.window])
            }
            waits = [
                times[-self.limit] + self.window - now
                for times in (self._failures.get(key, []) for key in keys)
                if len(times) >= self.limit
            ]
            wait = max(waits, default=0.0)
            if wait <= 0:
                for key in keys:
                    self._failures.setdefault(key, []).append(now)
        return wait, now

    def forgive(self, keys: Iterable[str], stamp: float) -> None:
        """Take back the failure :meth:`take` counted at ``stamp`` (the attempt succeeded)."""
        with self._lock:
            for key in keys:
                times = self._failures.get(key, [])
                if stamp in times:
                    times.remove(stamp)


#: Failed sign-ins of this process.
FAILURES = Backoff()


def attempt(name: str, password: str, session_id: str) -> str | None:
    """Check a sign-in.

    Args:
        name: The name typed, stripped.
        password: The password typed.
        session_id: The Streamlit session signing in.

    Returns:
        ``None`` when it may sign in, else the message to show.
    """
    keys = (f"name:{name[:200]}", f"session:{session_id}")  # a long name is no larger key
    wait, stamp = FAILURES.take(keys)
    if wait > 0:
        minutes = math.ceil(wait / 60)
        return f"Too many failed sign-ins: try again in {minutes} minute{'s' * (minutes > 1)}."
    if verify(name, password):
        FAILURES.forgive(keys, stamp)
        return None
    time.sleep(FAILURE_DELAY)
    return "Unknown name or wrong password."


def users() -> dict[str, str]:
    """Names and password hashes from the secrets; empty when login is off."""
    try:
        table: Any = st.secrets.get("login", {}).get("users", {})
    except StreamlitSecretNotFoundError:
        return {}
    return {str(k): str(v) for k, v in dict(table).items()}


def reviewers() -> set[str]:
    """The names in ``[login] reviewers`` (a list, or one name), empty when there is none."""
    try:
        listed: Any = st.secrets.get("login", {}).get("reviewers", [])
    except StreamlitSecretNotFoundError:
        return set()
    return {str(listed)} if isinstance(listed, str) else {str(name) for name in listed}


def may_review() -> bool:
    """Whether this session may accept or reject polygons: anyone with login off (one person
    on their own machine), else only a signed-in user named in ``[login] reviewers``."""
    if not users():
        return True
    user = signed_in()
    return user is not None and user in reviewers()


def signed_in() -> str | None:
    """The signed-in user, or ``None`` (always ``None`` with login off)."""
    user = st.session_state.get("signed_in")
    return user if isinstance(user, str) and user in users() else None


def sign_in_page() -> None:
    """The only page shown while nobody is signed in."""
    st.title("Sign in")
    with st.form("sign_in"):
        name = st.text_input("Name")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        problem = attempt(name.strip(), password, _session_id())
        if problem is None:
            st.session_state["signed_in"] = name.strip()
            st.rerun()
        st.error(problem)


def sign_out() -> None:
    st.session_state.pop("signed_in", None)
    with _GRANTS_LOCK:
        _GRANTS.pop(st.session_state.pop("file_token", ""), None)


def file_cookie() -> None:
    """With login on, give this session's browser its cookie, counted once it has signed in.

    Run at the top of every script run. The cookie is written while the sign-in form shows, so
    the first page after signing in finds it in the browser. Grants of sessions that are gone are
    dropped (a live one that was merely disconnected gets its grant back at its next run), and so
    are their cookies in this browser.
    """
    if not users():
        return
    session_id = _session_id()
    token = st.session_state.setdefault("file_token", secrets.token_urlsafe(32))
    user = signed_in()
    with _GRANTS_LOCK:
        for old, grant in list(_GRANTS.items()):
            if not _is_live(grant.session_id):
                del _GRANTS[old]
        if user:
            _GRANTS[token] = Grant(user, session_id)
    stale = [
        name
        for name in st.context.cookies
        if _COOKIE_NAME.fullmatch(name) and not _is_live(name.removeprefix(COOKIE))
    ]
    st.html(_cookie_script(COOKIE + session_id, token, stale), unsafe_allow_javascript=True)


def _cookie_script(name: str, token: str, stale: list[str]) -> str:
    """JavaScript that sets cookie ``name`` to ``token`` for the whole app and removes ``stale``.

    Not HttpOnly (a script writes it): a script injected into the page could read it, one more
    reason why everything the app shows is escaped (docs/safety.md).
    """
    return (
        "<script>"
        'const secure = location.protocol === "https:" ? "; Secure" : "";'
        f"document.cookie = `{name}={token}; Path=/; SameSite=Strict${{secure}}`;"
        f"for (const old of {json.dumps(stale)})"
        " document.cookie = `${old}=; Path=/; Max-Age=0`;"
        "</script>"
    )


def may_use_files(cookies: Mapping[str, str], session_id: str | None) -> bool:
    """Whether a request with ``cookies`` may download (``session_id`` ``None``) or upload into
    the session ``session_id``: one of its cookies holds the token of a signed-in session (for an
    upload, of that session)."""
    grants = [_GRANTS.get(value) for name, value in cookies.items() if name.startswith(COOKIE)]
    return any(g is not None and session_id in (None, g.session_id) for g in grants)


def install_guard() -> None:
    """Make the file routes answer 403 to requests that ``may_use_files`` refuses (login on).

    Idempotent: it wraps Starlette's own ``Route.handle`` (a re-imported module replaces the
    wrapper), which every route's request passes through, before any body is read.

    What remains: Streamlit starts serving before any script runs, and this module is first
    imported by the first script run of a fresh server, so until then the file routes are open.
    No media exists yet, and an upload needs a live session: only the first session's own upload,
    sent before its first run has imported this module, could get through.
    """
    original: _Handle = getattr(Route.handle, "__wrapped__", Route.handle)

    @wraps(original)
    async def guarded(route: Route, scope: Scope, receive: Receive, send: Send) -> None:
        if route.path.endswith(FILE_ROUTES) and users():
            session_id = scope["path_params"].get("session_id")
            if not may_use_files(HTTPConnection(scope).cookies, session_id):
                await PlainTextResponse("Sign in first.", status_code=403)(scope, receive, send)
                return
        await original(route, scope, receive, send)

    setattr(Route, "handle", guarded)  # noqa: B010 (mypy refuses assigning to a method)


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else ""


def _is_live(session_id: str) -> bool:
    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m access", description="Print a [login.users] line for secrets.toml."
    )
    parser.add_argument("name")
    name = parser.parse_args(argv).name
    password = getpass.getpass(f"Password for {name}: ")
    if len(password) < 8:
        print("error: use at least 8 characters", file=sys.stderr)
        return 1
    if getpass.getpass("Again: ") != password:
        print("error: the two passwords differ", file=sys.stderr)
        return 1
    print(f'{json.dumps(name)} = "{hash_password(password)}"')  # a quoted TOML key
    return 0


install_guard()

if __name__ == "__main__":
    sys.exit(main())
