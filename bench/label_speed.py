"""Time the Label page in Chromium with a large set: from a user's action until its result shows.

``.venv/bin/python -m bench.label_speed`` (``--sizes 500 5000 --reps 5``). For each size a set of
that many small squares around the demo area (its centre left free to draw in) is written with
the store API, the app is started as the browser tests start it, and the Label page is timed:

- **save**: the click that closes a drawn polygon, until the status says "1 new" and the map holds
  the saved polygon (with its id);
- **undo** / **redo**: the button, until the status says "undone" / "redone" and the map holds
  one polygon less / more;
- **row**: a click on a table row, until the map draws that polygon bold;
- **to Statistics** / **to Label**: a link in the menu, until the page's content is there (the
  map holding every polygon).

Each time is a median and a maximum over ``--reps`` repetitions; the bytes are what the page's
websocket carried both ways from the action until the page was idle (the same waits as
``tests/e2e/mapping.wait_idle``), median over the repetitions. Times depend on the machine's
load: the table's header says what ``os.getloadavg`` gave before each size. ``--busy`` times
it all while another process computes with torch on every core; ``--job`` while an enhancement
job runs in the app itself (Deep Image Prior, started from another session), as an annotator
meets it. Every wait looks at every frame the browser draws: a result is timed when it shows,
not when a poll next looks.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from playwright.sync_api import Frame, Page, WebSocket, sync_playwright

from bench.job_estimate import BUSY
from labels.features import new_feature
from labels.store import LabelStore
from tests.conftest import DEMO
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, serve
from tests.e2e.mapping import fitted, map_box, map_frame, wait_idle, wait_vertices, watch_runs
from tests.e2e.selecting import AREA

WEST, SOUTH, EAST, NORTH = (float(v) for v in AREA.split(","))
LON, LAT = (WEST + EAST) / 2, (SOUTH + NORTH) / 2
#: Half the free box at the area's centre, where the polygons are drawn (degrees).
FREE = (0.0018, 0.0011)
STEP, SIDE = (0.0003, 0.0002), (0.00022, 0.00014)  # grid step and square size (degrees)
NAME = "bench"
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT_MS", 180_000))
#: How many polygons the label map on screen holds with an id (saved ones), and the bold ones
#: (the map of the frame it runs in, or of the frame's window it is given).
HELD = """(win) => {
    const g = (win || window).labelGroup;
    if (!g) { return null; }
    let saved = 0, bold = [];
    g.eachLayer(l => { if (l.feature && l.feature.id) { saved++; }
                       if (l.options && l.options.weight === 5) { bold.push(l.feature.id); } });
    return {saved: saved, bold: bold};
}"""


def squares(n: int) -> list[dict[str, Any]]:
    """``n`` squares on a grid around the area's centre, none in the free box, nearest first."""
    cells = [(i, j) for i in range(-150, 151) for j in range(-150, 151)]
    cells.sort(key=lambda c: c[0] ** 2 + c[1] ** 2)
    out = []
    for i, j in cells:
        lon, lat = LON + i * STEP[0], LAT + j * STEP[1]
        if abs(lon - LON) < FREE[0] and abs(lat - LAT) < FREE[1]:
            continue
        ring = [(lon, lat), (lon + SIDE[0], lat), (lon + SIDE[0], lat + SIDE[1])]
        ring += [(lon, lat + SIDE[1]), (lon, lat)]
        out.append({"type": "Polygon", "coordinates": [[list(p) for p in ring]]})
        if len(out) == n:
            return out
    raise ValueError(f"the grid holds fewer than {n} squares")


class Traffic:
    """Bytes the page's Streamlit websocket carried, each way."""

    def __init__(self, page: Page) -> None:
        self.down = self.up = 0
        page.on("websocket", self._watch)

    def _watch(self, ws: WebSocket) -> None:
        ws.on("framereceived", lambda p: self._add("down", p))
        ws.on("framesent", lambda p: self._add("up", p))

    def _add(self, way: str, payload: str | bytes) -> None:
        setattr(self, way, getattr(self, way) + len(payload))


class Timer:
    """Times and bytes of the actions of one page."""

    def __init__(self, page: Page, traffic: Traffic) -> None:
        self.page, self.traffic = page, traffic
        self.times: dict[str, list[float]] = {}
        self.bytes: dict[str, list[tuple[int, int]]] = {}

    def time(self, what: str, act: Callable[[], None], done: Callable[[], None]) -> None:
        """``act``, then ``done`` (which waits for its result); then wait until the page is
        idle, counting the bytes until then."""
        down, up = self.traffic.down, self.traffic.up
        start = time.perf_counter()
        act()
        try:
            done()
        except Exception:
            self.page.screenshot(path=f"/tmp/label_speed_{what}.png", full_page=True)
            raise
        self.times.setdefault(what, []).append(time.perf_counter() - start)
        wait_idle(self.page, timeout=180)
        moved = (self.traffic.down - down, self.traffic.up - up)
        self.bytes.setdefault(what, []).append(moved)


def wait_held(frame: Frame, saved: int | None = None, bold: str | None = None) -> None:
    """Wait until the label map holds ``saved`` saved polygons, and only ``bold`` (an id)
    drawn bold."""
    frame.wait_for_function(
        f"""(want) => {{ const h = ({HELD})(); return h !== null
            && (want.saved === null || h.saved === want.saved)
            && (want.bold === null || h.bold.join() === want.bold); }}""",
        arg={"saved": saved, "bold": bold},
        polling="raf",
        timeout=TIMEOUT,
    )


def shown(page: Page, pattern: str) -> None:
    """Wait until the page's text matches the regular expression ``pattern``, looked for at
    every frame the browser draws. (Playwright's own text wait, used before 2026-12-04, looks
    again only after 100 then 500 ms: it added up to half a second to the times measured.)"""
    page.wait_for_function(
        "(pattern) => new RegExp(pattern).test(document.body.textContent)",
        arg=pattern,
        polling="raf",
        timeout=TIMEOUT,
    )


def new_map_holds(page: Page, saved: int) -> None:
    """Wait until a label map on the page holds ``saved`` saved polygons, looked at every frame
    the browser draws (the map is a new one after a page switch)."""
    page.wait_for_function(
        f"""(want) => Array.from(
            document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")
        ).some(el => {{
            const w = el.contentWindow;
            if (!w || !w.labelGroup) {{ return false; }}
            const h = ({HELD})(w);
            return h !== null && h.saved === want;
        }})""",
        arg=saved,
        polling="raf",
        timeout=TIMEOUT,
    )


def status(page: Page, phrase: str) -> None:
    """Wait until the status line says ``Saved at ...`` with ``phrase`` in it."""
    shown(page, f"Saved at .*{re.escape(phrase)}")


def draw_and_save(page: Page, frame: Frame, timer: Timer, n: int, rep: int) -> None:
    """Draw a square near the map's centre (moved by ``rep``: streamlit-folium does not report
    the drawings it reported last again); the closing click is timed until it is saved."""
    box = map_box(frame)
    cx, cy = box["x"] + box["width"] / 2 + 5 * rep, box["y"] + box["height"] / 2 + 3 * rep
    corners = [(cx - 50, cy - 40), (cx + 50, cy - 40), (cx + 50, cy + 40), (cx - 50, cy + 40)]
    frame.locator(".leaflet-draw-draw-polygon").click()
    wait_vertices(frame, 0)
    for i, (x, y) in enumerate(corners):
        page.mouse.move(x - 2, y - 2)
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        wait_vertices(frame, i + 1)
    x, y = corners[0]
    page.mouse.move(x - 2, y - 2)
    page.mouse.move(x, y)

    def done() -> None:
        status(page, "1 new, 0 edited, 0 deleted")
        wait_held(frame, saved=n + 1)

    timer.time("save", lambda: page.mouse.click(x, y), done)


def reverted(page: Page, frame: Frame, phrase: str, saved: int) -> None:
    status(page, phrase)
    wait_held(frame, saved=saved)


def button(page: Page, name: str) -> Callable[[], None]:
    return lambda: page.get_by_role("button", name=name).click()


def row_box(page: Page, i: int) -> tuple[float, float]:
    table = page.get_by_test_id("stDataFrame")
    table.scroll_into_view_if_needed()
    grid = table.bounding_box()
    assert grid is not None
    return grid["x"] + 16, grid["y"] + 35 + 17 + 35 * i  # row i's selection box


def click_row(page: Page, frame: Frame, timer: Timer, i: int, fid: str) -> None:
    """Select table row ``i`` (polygon ``fid``), timed until the map draws it bold; then
    unselect it."""
    x, y = row_box(page, i)
    page.mouse.move(x, y)
    timer.time("row", lambda: page.mouse.click(x, y), lambda: wait_held(frame, bold=fid))
    page.mouse.click(x, y)  # unselected again (drawn plain from the next run)
    wait_idle(page, timeout=180)


def start_job(browser: Any, url: str) -> None:
    """Start an enhancement in the app, from a page of its own (another session): Deep Image
    Prior with the ``published`` preset, which runs for far longer than the bench, in the app's
    own process as every job does; wait until the job panel says it runs."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{url}/enhance?scene={DEMO.stem}&area={AREA}&annotator=Bea")
    page.get_by_role("combobox", name="Pipeline").click()
    page.get_by_role("option", name=re.compile(r"^Deep Image Prior \(")).click()
    page.get_by_text("published", exact=True).click()
    page.get_by_role("button", name="Enhance x4").click()
    page.get_by_text("running").first.wait_for(timeout=TIMEOUT)


def run_size(n: int, reps: int, browser: Any, job: bool = False) -> dict[str, Any]:
    """The times and bytes of every action with a set of ``n`` polygons (``job``: while an
    enhancement job runs in the app)."""
    tmp = Path(tempfile.mkdtemp(prefix="label_speed_"))
    features = [new_feature(g, "wheat", "bench", "bench", "original") for g in squares(n)]
    LabelStore(tmp / "labels").apply(NAME, features, who="bench")
    load = os.getloadavg()[0]
    server = serve(tmp, DEMO)
    url = next(server)
    try:
        if job:
            start_job(browser, url)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        watch_runs(page)
        timer = Timer(page, Traffic(page))
        address = f"{url}/label?scene={DEMO.stem}&area={AREA}&annotator=Ann&set={NAME}"
        start = time.perf_counter()
        page.goto(address)
        frame = map_frame(page, timeout=180)
        wait_held(frame, saved=n)
        opened = time.perf_counter() - start
        wait_idle(page, timeout=180)
        fitted(frame)
        for rep in range(reps):
            draw_and_save(page, frame, timer, n, rep)
            timer.time("undo", button(page, "↶ Undo"), partial(reverted, page, frame, "undone", n))
            timer.time(
                "redo", button(page, "↷ Redo"), partial(reverted, page, frame, "redone", n + 1)
            )
            page.get_by_role("button", name="↶ Undo").click()  # the centre free again
            status(page, "undone")
            wait_held(frame, saved=n)
            wait_idle(page, timeout=180)
        for i in range(reps):
            click_row(page, frame, timer, i, features[i]["id"])
        menu = page.get_by_test_id("stSidebarNav")
        for _ in range(reps):
            timer.time(
                "to Statistics",
                lambda: menu.get_by_text("Statistics").click(),
                lambda: shown(page, "Area per crop class"),
            )
            timer.time(
                "to Label",
                lambda: menu.get_by_text("Label fields").click(),
                lambda: new_map_holds(page, n),
            )
        page.close()
    finally:
        server.close()
    return {"n": n, "load": load, "opened": opened, "times": timer.times, "bytes": timer.bytes}


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| polygons | action | median (s) | max (s) | kB down | kB up |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        opened = f"| {r['n']:,} | open the page (load {r['load']:.1f}) | {r['opened']:.2f} |"
        lines.append(opened + " | | |")
        for what, times in r["times"].items():
            down = statistics.median(b[0] for b in r["bytes"][what]) / 1000
            up = statistics.median(b[1] for b in r["bytes"][what]) / 1000
            lines.append(
                f"| {r['n']:,} | {what} | {statistics.median(times):.2f} | {max(times):.2f} "
                f"| {down:,.0f} | {up:,.0f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--busy",
        action="store_true",
        help="time it while another process computes with torch on every core, as an "
        "enhancement job on the CPU does (bench.job_estimate's load)",
    )
    parser.add_argument(
        "--job",
        action="store_true",
        help="time it while an enhancement job (Deep Image Prior, published preset) runs in the "
        "app, started from another session",
    )
    args = parser.parse_args()
    results = []
    busy = (
        subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.DEVNULL)
        if args.busy
        else None
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for n in args.sizes:
                results.append(run_size(n, args.reps, browser, args.job))
                print(table(results[-1:]), flush=True)
            browser.close()
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    print(table(results))


if __name__ == "__main__":
    main()
