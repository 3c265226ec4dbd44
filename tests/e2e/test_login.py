"""With a login table in the secrets, a browser that asks for any page gets the sign-in form;
after signing in, the annotator is the user and cannot be typed."""

from collections.abc import Iterator
from pathlib import Path

import pytest

import access
from tests.e2e.conftest import serve


@pytest.fixture
def app_with_login(tmp_path: Path, demo_scene: Path) -> Iterator[str]:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[login.users]\n"ana" = "{access.hash_password("correct horse")}"\n')
    yield from serve(tmp_path, demo_scene, "--secrets.files", str(secrets))


def test_every_page_asks_for_a_sign_in_first(app_with_login, browser_page):
    page = browser_page
    page.goto(f"{app_with_login}/label")  # a page's own address does not get past it
    page.get_by_role("heading", name="Sign in").wait_for(timeout=60_000)
    assert page.get_by_text("Label fields").count() == 0
    page.get_by_role("textbox", name="Name").fill("ana")
    page.get_by_role("textbox", name="Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Unknown name or wrong password.").wait_for(timeout=30_000)
    page.get_by_role("textbox", name="Password").fill("correct horse")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for(timeout=30_000)
    annotator = page.get_by_role("textbox", name="Annotator")
    assert annotator.input_value() == "ana" and annotator.is_disabled()
