"""Who may use the app: an optional password login (README, "Safety").

Off unless Streamlit's secrets (``.streamlit/secrets.toml`` beside ``app.py``, or
``~/.streamlit/secrets.toml``) hold a ``[login.users]`` table of names and password hashes:

    [login.users]
    "ana" = "scrypt$16384$8$1$<salt>$<hash>"

``python -m access NAME`` asks for a password and prints that line. With login on, every page but
the sign-in form is hidden until a user signs in, and the annotator saved with each polygon is the
signed-in user (it cannot be typed). Passwords are never stored: scrypt hashes with a random salt,
compared in constant time; a wrong password costs a second.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import json
import secrets
import sys
import time
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

SCHEME, N, R, P = "scrypt", 2**14, 8, 1
#: Seconds a wrong name or password waits before the form answers.
FAILURE_DELAY = 1.0


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


def users() -> dict[str, str]:
    """Names and password hashes from the secrets; empty when login is off."""
    try:
        table: Any = st.secrets.get("login", {}).get("users", {})
    except StreamlitSecretNotFoundError:
        return {}
    return {str(k): str(v) for k, v in dict(table).items()}


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
        stored = users().get(name.strip())
        if stored is not None and check_password(password, stored):
            st.session_state["signed_in"] = name.strip()
            st.rerun()
        time.sleep(FAILURE_DELAY)
        st.error("Unknown name or wrong password.")


def sign_out() -> None:
    st.session_state.pop("signed_in", None)


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


if __name__ == "__main__":
    sys.exit(main())
