"""Start the app in a subprocess and drive it with Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.conftest import ROOT
from tests.e2e.mapping import watch_runs

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def app_url(tmp_path: Path, demo_scene: Path) -> Iterator[str]:
    """The app on a free port, with its label directory in ``tmp_path / "labels"``."""
    yield from serve(tmp_path, demo_scene)


def serve(tmp_path: Path, demo_scene: Path, *options: str) -> Iterator[str]:
    """Run the app (with extra ``streamlit run`` options) until the generator is closed."""
    port = _free_port()
    env = {
        **os.environ,
        "LABELS_DIR": str(tmp_path / "labels"),
        "SCENES_DIR": str(demo_scene.parent),
        "SR_CACHE_DIR": str(tmp_path / "cache"),
    }
    with open(tmp_path / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                *options,  # the address and the rest come from .streamlit/config.toml
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError((tmp_path / "streamlit.log").read_text())
            time.sleep(0.3)
        try:
            yield url
        finally:  # a test that failed leaves no server behind, even one busy with a job
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def browser_page() -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), (
        "Debian's chromium is missing: the README's `make test` installs it"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})  # a laptop screen
        watch_runs(page)  # for mapping.wait_idle: the Streamlit runs, from its websocket
        yield page
        browser.close()
