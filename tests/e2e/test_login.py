"""With a login table in the secrets, a browser that asks for any page gets the sign-in form;
after signing in, the annotator is the user and cannot be typed. Uploads and ``/media/``
downloads are for signed-in browsers only."""

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError

import pytest
from playwright.sync_api import Page, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

import access
from tests.e2e.conftest import serve

#: One small field in WGS84, as a label import reads it.
FIELD = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"crop_class": "maize"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[13.0, 48.0], [13.002, 48.0], [13.002, 48.001], [13.0, 48.0]]],
            },
        }
    ],
}


@pytest.fixture
def app_with_login(tmp_path: Path, demo_scene: Path) -> Iterator[str]:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[login.users]\n"ana" = "{access.hash_password("correct horse")}"\n')
    yield from serve(tmp_path, demo_scene, "--secrets.files", str(secrets))


def sign_in(page: Page, password: str = "correct horse") -> None:
    page.get_by_role("textbox", name="Name").fill("ana")
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_every_page_asks_for_a_sign_in_first(app_with_login, browser_page):
    page = browser_page
    page.goto(f"{app_with_login}/label")  # a page's own address does not get past it
    page.get_by_role("heading", name="Sign in").wait_for(timeout=60_000)
    assert page.get_by_text("Label fields").count() == 0
    sign_in(page, "wrong password")
    page.get_by_text("Unknown name or wrong password.").wait_for(timeout=30_000)
    sign_in(page)
    page.get_by_role("button", name="Sign out").wait_for(timeout=30_000)
    annotator = page.get_by_role("textbox", name="Annotator")
    assert annotator.input_value() == "ana" and annotator.is_disabled()


def open_session(page: Page, url: str) -> str:
    """Open the app in ``page``; the Streamlit session id the server gave it (in its first
    message, as any client can read it)."""
    frames: list[bytes | str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
    page.goto(url)
    page.get_by_role("heading", name="Sign in").wait_for(timeout=60_000)
    first = frames[0]
    assert isinstance(first, bytes)
    session_id = ForwardMsg.FromString(first).new_session.initialize.session_id
    assert session_id
    return session_id


def upload(page: Page, url: str, session_id: str) -> int:
    """The answer to a 1 MB upload into ``session_id``, sent as Streamlit's uploader sends it
    (with the XSRF token) with the cookies of ``page``'s browser."""
    [xsrf] = [c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf"]
    response = page.request.put(
        f"{url}/_stcore/upload_file/{session_id}/probe",
        multipart={
            "file": {"name": "big.geojson", "mimeType": "text/plain", "buffer": b" " * 2**20}
        },
        headers={"X-Xsrftoken": xsrf},
    )
    return response.status


def test_uploads_and_downloads_are_for_signed_in_browsers_only(
    app_with_login, browser_page, tmp_path
):
    page, url = browser_page, app_with_login
    session = open_session(page, url)
    assert upload(page, url, session) == 403  # never signed in: refused before the body is kept
    sign_in(page)
    page.get_by_role("button", name="Sign out").wait_for(timeout=30_000)
    assert upload(page, url, session) == 204  # the same session, signed in

    # The page's own upload and download work in the signed-in browser.
    page.get_by_role("link", name="4 · Label sets").click()
    page.get_by_role("textbox", name="Name of the new set").fill("fields")
    page.get_by_role("button", name="Create").click()  # at once: the name goes with the click
    page.get_by_role("button", name="GeoJSON (WGS84)").wait_for(timeout=30_000)
    (tmp_path / "fields.geojson").write_text(json.dumps(FIELD))
    page.locator("input[type='file']").set_input_files(tmp_path / "fields.geojson")
    page.get_by_role("button", name="Import into this set").click()
    expect(page.get_by_text("Imported 1 polygons.")).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="GeoJSON (WGS84)").click()
    assert "maize" in Path(download.value.path()).read_text()

    # The same download address without the browser's cookie is refused.
    assert "/media/" in download.value.url
    with pytest.raises(HTTPError) as refused:
        urllib.request.urlopen(download.value.url, timeout=10)
    assert refused.value.code == 403

    # Another tab of this browser is another session, not signed in: the first tab's cookie does
    # not upload into it.
    assert page.context.browser is not None
    tabs = page.context.browser.new_context()
    tabs.add_cookies(page.context.cookies())
    other = tabs.new_page()
    assert upload(other, url, open_session(other, url)) == 403
