"""The optional login: off by default; when on, nothing but the sign-in form until a user signs
in, and the annotator is that user."""

from __future__ import annotations

import pytest

import access
from tests.test_pages import page

HASH = access.hash_password("correct horse")


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
