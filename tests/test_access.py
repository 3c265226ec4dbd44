"""The optional login: off by default; when on, nothing but the sign-in form until a user signs
in, and the annotator is that user; names cannot be told apart by time, guesses are limited, and
only a signed-in session's cookie opens uploads and downloads."""

from __future__ import annotations

import hashlib

import pytest

import access
from tests.views.test_pages import page

HASH = access.hash_password("correct horse")
WRONG = "Unknown name or wrong password."


@pytest.fixture(autouse=True)
def no_failures_yet(monkeypatch):
    """Each test starts with no failed sign-ins counted (they are process-wide)."""
    monkeypatch.setattr(access, "FAILURES", access.Backoff())


def test_passwords_are_salted_and_checked_in_full():
    assert access.check_password("correct horse", HASH)
    assert not access.check_password("correct hors", HASH)
    assert access.hash_password("correct horse") != HASH  # a new salt each time
    for malformed in ("", "plain text", HASH.replace("scrypt", "md5"), HASH[:-1] + "z"):
        assert not access.check_password("correct horse", malformed)


def test_without_a_login_table_the_app_opens_and_the_name_is_typed(env):
    at = page("area").run()
    assert not at.exception
    assert [t.label for t in at.sidebar.text_input] == ["Annotator"]
    assert not at.sidebar.text_input[0].disabled


def signed_out(monkeypatch) -> object:
    monkeypatch.setattr(access, "FAILURE_DELAY", 0)
    at = page("label")
    at.secrets["login"] = {"users": {"ana": HASH}}
    return at.run()


def sign_in(at, name: str, password: str):
    [who, secret] = at.text_input
    who.input(name)
    secret.input(password)
    at.button[0].click()
    return at.run()


def test_with_login_on_only_the_sign_in_form_shows_until_the_password_is_right(env, monkeypatch):
    at = signed_out(monkeypatch)
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    assert "Label" not in " ".join(t.value for t in at.title)  # the page asked for is not shown
    for name, password in (("ana", "wrong"), ("ben", "correct horse"), ("", "")):
        at = sign_in(at, name, password)
        assert "Unknown name or wrong password." in [e.value for e in at.error]
        assert "signed_in" not in at.session_state
        assert [t.label for t in at.text_input] == ["Name", "Password"]
    at = sign_in(at, "ana", "correct horse")
    assert not at.exception
    assert at.session_state["annotator"] == "ana"
    [name] = at.sidebar.text_input
    assert name.value == "ana" and name.disabled  # cannot be typed


def test_with_login_on_the_app_offers_no_page_but_sign_in(env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=60)
    at.secrets["login"] = {"users": {"ana": HASH}}
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.sidebar.text_input


def test_signing_out_hides_the_app_again(env, monkeypatch):
    at = sign_in(signed_out(monkeypatch), "ana", "correct horse")
    [out] = [b for b in at.sidebar.button if b.label == "Sign out"]
    out.click().run()
    assert [t.label for t in at.text_input] == ["Name", "Password"]


def test_the_hash_line_for_secrets_toml(monkeypatch, capsys):
    answers = iter(["long enough", "long enough"])
    monkeypatch.setattr(access.getpass, "getpass", lambda prompt: next(answers))
    assert access.main(["ana maria"]) == 0
    key, value = capsys.readouterr().out.strip().split(" = ")
    assert key == '"ana maria"' and access.check_password("long enough", value.strip('"'))
    monkeypatch.setattr(access.getpass, "getpass", lambda prompt: "short")
    assert access.main(["ana"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err


@pytest.mark.parametrize("table", [{}, {"users": {}}])
def test_an_empty_login_table_is_login_off(env, table):
    at = page("area")
    at.secrets["login"] = table
    at.run()
    assert not at.exception and [t.label for t in at.sidebar.text_input] == ["Annotator"]


def test_an_unknown_name_costs_the_same_scrypt_as_a_known_one(monkeypatch):
    monkeypatch.setattr(access, "users", lambda: {"ana": HASH})
    calls = []
    real = hashlib.scrypt

    def counted(password: bytes, **kwargs) -> bytes:
        calls.append({k: v for k, v in kwargs.items() if k != "salt"})
        return real(password, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    for name in ("ana", "ben", ""):
        calls.clear()
        assert not access.verify(name, "wrong")
        assert calls == [{"n": access.N, "r": access.R, "p": access.P}], name
    assert access.verify("ana", "correct horse")


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """A clock the test moves (seconds), no sign-in delay, and "ana" as the only user."""
    now = [0.0]
    monkeypatch.setattr(access, "FAILURES", access.Backoff(clock=lambda: now[0]))
    monkeypatch.setattr(access, "FAILURE_DELAY", 0)
    monkeypatch.setattr(access, "users", lambda: {"ana": HASH})
    return now


def test_after_five_failures_a_name_waits_even_with_the_right_password(clock):
    for _ in range(access.MAX_FAILURES):
        assert access.attempt("ana", "wrong", "session 1") == WRONG
        clock[0] += 10
    # From another session too: the name counts, and the right password does not get past it.
    refused = access.attempt("ana", "correct horse", "session 2")
    assert refused == "Too many failed sign-ins: try again in 15 minutes."
    clock[0] = access.FAILURE_WINDOW - 1  # the first failure (at 0 s) still counts
    assert access.attempt("ana", "correct horse", "session 2") == (
        "Too many failed sign-ins: try again in 1 minute."
    )
    clock[0] = access.FAILURE_WINDOW + 1
    assert access.attempt("ana", "correct horse", "session 2") is None


def test_unknown_names_and_sessions_count_alike(clock):
    for name in ("ben", "cleo", "dan", "eve", "fay"):  # unknown names, one session
        assert access.attempt(name, "guess", "session 1") == WRONG
    assert access.attempt("ana", "correct horse", "session 1").startswith("Too many")
    assert access.attempt("ana", "correct horse", "session 2") is None
    for _ in range(access.MAX_FAILURES):  # an unknown name is locked like a known one
        access.attempt("zed", "guess", "session 3")
    assert access.attempt("zed", "guess", "session 4").startswith("Too many")


def test_only_a_signed_in_sessions_cookie_opens_uploads_and_downloads(env, monkeypatch):
    at = signed_out(monkeypatch)
    token = at.session_state["file_token"]
    cookie = {access.COOKIE + "any": token}
    assert not access.may_use_files(cookie, None)  # set before signing in, not yet counted
    at = sign_in(at, "ana", "correct horse")
    assert at.session_state["file_token"] == token
    assert access.may_use_files(cookie, None)
    assert not access.may_use_files(cookie, "another session")
    assert not access.may_use_files({access.COOKIE + "any": "made up"}, None)
    assert not access.may_use_files({"other": token}, None)
    [out] = [b for b in at.sidebar.button if b.label == "Sign out"]
    out.click().run()
    assert not access.may_use_files(cookie, None)
    assert at.session_state["file_token"] != token  # a new one for the next sign-in
