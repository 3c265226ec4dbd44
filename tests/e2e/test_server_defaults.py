"""The app as `make run` starts it: reachable from this machine only, and no traceback for users."""

import tomllib
from pathlib import Path

from tests.conftest import ROOT
from tests.e2e.conftest import serve


def listening(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port`` (hex, as /proc/net lists them)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_app_listens_on_the_loopback_address_only(tmp_path, demo_scene):
    running = serve(tmp_path, demo_scene)  # no address option: the repository's config decides
    url = next(running)
    try:
        port = int(url.rsplit(":", 1)[1])
        assert listening(port) == {"0100007F"}  # 127.0.0.1, and no 0.0.0.0 or ::
    finally:
        running.close()


def test_users_get_one_message_not_a_traceback_and_uploads_are_bounded():
    from labels.readers import MAX_BYTES

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] is False
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_BYTES


def test_a_fresh_server_opened_on_a_page_address_shows_the_app_menu(tmp_path, demo_scene):
    """A shared link or a reload as a server's first request: the app's menu, not Streamlit's
    list of the files beside the pages."""
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    running = serve(tmp_path, demo_scene)
    url = next(running)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{url}/label?set=trial")
            expect(page.get_by_role("link", name="3 · Label fields")).to_be_visible(timeout=60_000)
            expect(page.get_by_role("link", name="common")).to_have_count(0)
            browser.close()
    finally:
        running.close()
