"""Steps on the app's Leaflet maps that browser tests share: find the map, let it settle, draw,
edit and delete with Leaflet.draw's toolbar. Each step checks that the map did what was asked
before it goes on, so a failure says whether the browser missed the gesture or the page lost the
report. Nothing here sleeps for a fixed time: every wait polls an observable condition (the
Streamlit runs on the page's websocket, Leaflet's layers and view, Leaflet.draw's vertices) until
a deadline, and fails with an assertion that says what never happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from playwright.sync_api import Frame, Page, WebSocket, expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

SHAPES = "path.leaflet-interactive"
#: Where a WGS84 point ``[lon, lat]`` is on the screen, in pixels from the map's corner.
SCREEN = """([lon, lat]) => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const p = map.latLngToContainerPoint([lat, lon]);
    return [p.x, p.y];
}"""
#: How long the page's websocket must carry nothing, either way, for the page to count as idle:
#: a map reports a pan or zoom 0.25 s after it (streamlit-folium's debounce), and that report is
#: a new run.
QUIET = 0.5

T = TypeVar("T")


def poll(
    target: Page | Frame,
    check: Callable[[], T],
    message: str | Callable[[], str],
    timeout: float = 30,
    every: float = 0.1,
) -> T:
    """Call ``check`` every ``every`` s until it returns something true, and return that; after
    ``timeout`` s fail with ``message`` (a string, or a function giving one from the last state).
    Waits through ``target`` (a page or a frame), so Playwright handles the page's events
    (websocket frames) meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{message() if callable(message) else message} (waited {timeout:g} s)"
            )
        target.wait_for_timeout(every * 1000)


class ScriptRuns:
    """The Streamlit runs of a page, as its websocket carries them: the reruns the page asks for
    (widget changes, map reports, page links), the runs the server starts and finishes. Numbers
    are the order of the frames on the socket (0: never)."""

    def __init__(self, page: Page) -> None:
        self.frames = 0
        self.requested = 0  # the last rerun asked for
        self.asked = 0  # how many reruns the page has asked for
        self.started = 0  # the last run started
        self.finished = 0  # the last run finished
        self.early = False  # the last run stopped for another that follows it (st.rerun)
        self.last_frame = time.monotonic()
        page.on("websocket", self._watch)

    def _watch(self, ws: WebSocket) -> None:
        if ws.url.split("?")[0].endswith("/_stcore/stream"):
            ws.on("framesent", self._sent)
            ws.on("framereceived", self._received)

    def _sent(self, payload: str | bytes) -> None:
        self.frames += 1
        self.last_frame = time.monotonic()
        if isinstance(payload, bytes):
            msg = BackMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "rerun_script":
                self.requested = self.frames
                self.asked += 1

    def _received(self, payload: str | bytes) -> None:
        self.frames += 1
        self.last_frame = time.monotonic()
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            kind = msg.WhichOneof("type")
            if kind == "new_session":  # sent as each run starts
                self.started = self.frames
            elif kind == "script_finished":
                self.finished = self.frames
                self.early = msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN

    def mark(self) -> int:
        """Where the conversation is now: pass it to :meth:`started_since`."""
        return self.frames

    def started_since(self, mark: int) -> bool:
        """Whether the page asked for a rerun after ``mark`` and a run started after that."""
        return mark < self.requested < self.started

    def idle(self, since: float) -> bool:
        """Every rerun asked for has started and run to its end, and the socket has carried
        nothing for :data:`QUIET` s, counted from ``since`` (``time.monotonic()``) at the
        earliest."""
        over = self.requested < self.started < self.finished and not self.early
        return over and time.monotonic() - max(self.last_frame, since) >= QUIET

    def __str__(self) -> str:
        return (
            f"frame {self.frames}: rerun asked at {self.requested}, started at {self.started}, "
            f"finished at {self.finished}{' (for a rerun)' if self.early else ''}"
        )


_RUNS: dict[int, ScriptRuns] = {}


def watch_runs(page: Page) -> ScriptRuns:
    """Follow the Streamlit runs of ``page`` from now on (before it opens the app: the socket
    is watched from its start). The ``browser_page`` fixture does it."""
    _RUNS[id(page)] = ScriptRuns(page)
    return _RUNS[id(page)]


def runs(page: Page) -> ScriptRuns:
    assert id(page) in _RUNS, "the page's runs are not watched: use the browser_page fixture"
    return _RUNS[id(page)]


def wait_run_started(page: Page, mark: int, timeout: float = 30) -> None:
    """Wait until the page has asked for a rerun after ``mark`` (:meth:`ScriptRuns.mark`, taken
    before the action that asks for it) and the server has started a run after that."""
    watched = runs(page)
    poll(
        page,
        lambda: watched.started_since(mark),
        lambda: f"no Streamlit run started after the action ({watched})",
        timeout,
    )


def map_frame(page: Page, count: int = 1, timeout: float = 60) -> Frame:
    """The frame of the newest map component, once ``count`` Leaflet maps are drawn in it."""
    frames = page.locator("iframe[title='streamlit_folium.st_folium']")
    expect(frames).to_have_count(1, timeout=timeout * 1000)  # no old map still going away
    iframe = frames.last
    iframe.wait_for(timeout=timeout * 1000)
    handle = iframe.element_handle()
    frame = handle.content_frame() if handle else None
    assert frame is not None, "the map component has no frame"
    expect(frame.locator(".leaflet-container")).to_have_count(count, timeout=timeout * 1000)
    return frame


def wait_idle(page: Page, timeout: float = 60) -> None:
    """Wait until Streamlit has finished running the script: every rerun the page asked for
    (as its websocket shows) has started and finished, nothing went either way on the socket
    for :data:`QUIET` s since this call (so a report still on its way from the map counts),
    and the status widget is gone."""
    watched, called = runs(page), time.monotonic()
    poll(
        page,
        lambda: watched.idle(called),
        lambda: f"the app never finished running its script ({watched})",
        timeout,
    )
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=timeout * 1000)


#: The first Leaflet map of the frame: its view, and whether it is moving.
VIEW = """() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    if (!map || !map._loaded) { return null; }
    const c = map.getCenter();
    const moving = !!(map._animatingZoom || (map._panAnim && map._panAnim._inProgress));
    return {lat: c.lat, lng: c.lng, zoom: map.getZoom(), moving: moving};
}"""

#: Whether the first Leaflet map of the frame shows ``bounds`` ([[south, west], [north, east]];
#: null: its image overlay's) as ``fitBounds`` puts them at the map's present size.
FITTED = """(bounds) => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    if (!map || !map._loaded) { return {fitted: false, why: "no map yet"}; }
    if (!bounds) {
        map.eachLayer(l => { if (l instanceof L.ImageOverlay) { bounds = l.getBounds(); } });
    }
    if (!bounds) { return {fitted: false, why: "no bounds and no image on the map"}; }
    bounds = L.latLngBounds(bounds);
    const box = map.getContainer(), size = map.getSize();
    if (size.x !== box.clientWidth || size.y !== box.clientHeight) {
        return {fitted: false, why: "the map has not taken its frame's size"};
    }
    if (map._animatingZoom || (map._panAnim && map._panAnim._inProgress)) {
        return {fitted: false, why: "moving"};
    }
    const want = map._getBoundsCenterZoom(bounds);
    const off = map.project(want.center, want.zoom).distanceTo(
        map.project(map.getCenter(), want.zoom));
    return {fitted: want.zoom === map.getZoom() && off < 1,
            why: `zoom ${map.getZoom()} for ${want.zoom}, ${off.toFixed(1)} px off centre`};
}"""


def fitted(
    target: Page | Frame, bounds: list[list[float]] | None = None, timeout: float = 30
) -> None:
    """Wait until the first Leaflet map of ``target`` shows ``bounds`` (``[[south, west],
    [north, east]]``; default its image overlay's) as fitting them gives at its present size,
    and is not moving: the app fits its maps again 0.4 s after they appear (``FitWhenSized``),
    and a click before that lands elsewhere."""
    last: dict[str, Any] = {}

    def check() -> bool:
        last.update(target.evaluate(FITTED, bounds))
        return bool(last["fitted"])

    poll(target, check, lambda: f"the map never fitted {bounds or 'its image'}: {last}", timeout)


def settled(page: Page, shapes: int = 1, timeout: float = 30) -> Frame:
    """The label map once it is at rest: ``shapes`` polygons drawn, the script idle, and the
    polygons and the map's view unchanged over 0.6 s. A map fits its view 0.4 s after it
    appears (and the page takes the new view in a run of its own): a click before that lands
    where the polygon was."""
    wait_idle(page)
    frame = map_frame(page)
    expect(frame.locator(SHAPES)).to_have_count(shapes, timeout=timeout * 1000)
    last: list[Any] = [None]

    def still() -> bool:
        now = [frame.locator(SHAPES).nth(i).bounding_box() for i in range(shapes)]
        now.append(frame.evaluate(VIEW))
        same = now == last[0] and now[-1] is not None and not now[-1]["moving"]
        last[0] = now
        return same

    poll(page, still, "the map never came to rest", timeout, every=0.6)
    wait_idle(page)
    return frame


#: How many vertices the polygon being drawn with Leaflet.draw has, once it takes the next click
#: (it ignores clicks for 50 ms after each vertex); -1 when none is being drawn; null meanwhile.
VERTICES = """() => {
    const draw = Object.values(window).find(v => v instanceof L.Control.Draw);
    const mode = draw && draw._toolbars.draw._activeMode;
    if (!mode) { return -1; }
    const h = mode.handler;
    if (!h._markers || h._disableMarkers || h._clickHandled || h._touchHandled) { return null; }
    return h._markers.length;
}"""


def drawn_vertices(target: Page | Frame) -> int | None:
    """How many vertices the polygon being drawn has, once Leaflet.draw takes the next click;
    -1 when no polygon is being drawn; None while it is still handling the last click."""
    return target.evaluate(VERTICES)


def wait_vertices(target: Page | Frame, count: int, timeout: float = 10) -> None:
    """Wait until the polygon being drawn has ``count`` vertices and Leaflet.draw takes the next
    click (-1: the polygon is finished or cancelled): it took the last click."""
    poll(
        target,
        lambda: drawn_vertices(target) == count,
        lambda: f"the polygon being drawn has {drawn_vertices(target)} vertices, not {count}",
        timeout,
    )


def map_box(frame: Frame) -> dict[str, float]:
    container = frame.locator(".leaflet-container").first
    expect(container).to_be_visible(timeout=30_000)
    bbox = container.bounding_box()
    assert bbox is not None
    return bbox


def draw_polygon(page: Page, frame: Frame, vertices: list[tuple[float, float]]) -> None:
    """Draw a polygon with Leaflet.draw's tool, closing it on its first vertex; ``vertices`` are
    page coordinates taken before, corrected for the scroll that clicking the tool may cause.
    Each click waits until Leaflet.draw has taken it (a vertex more; closed after the last)."""
    before = map_box(frame)
    frame.locator(".leaflet-draw-draw-polygon").click()
    wait_vertices(frame, 0)  # the tool is on
    after = map_box(frame)
    dx, dy = after["x"] - before["x"], after["y"] - before["y"]
    for i, (x, y) in enumerate(vertices + vertices[:1]):
        page.mouse.move(x + dx - 2, y + dy - 2)
        page.mouse.move(x + dx, y + dy)
        page.mouse.click(x + dx, y + dy)
        wait_vertices(frame, i + 1 if i < len(vertices) else -1)  # the last click closes it


def drag_first_vertex(page: Page, frame: Frame, dx: float, dy: float) -> None:
    """Move the first polygon's first vertex by (dx, dy) screen pixels with the ✎ tool and Save
    in the toolbar, once the polygon on the map has changed."""
    frame.locator(".leaflet-draw-edit-edit").click()
    outline = frame.locator(SHAPES).first.get_attribute("d")
    handle = frame.locator(".leaflet-editing-icon").first.bounding_box()
    assert handle is not None
    hx, hy = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(hx, hy)
    page.mouse.down()
    page.mouse.move(hx + dx, hy + dy, steps=6)
    page.mouse.up()
    expect(frame.locator(SHAPES).first).not_to_have_attribute("d", outline or "")
    frame.locator(".leaflet-draw-actions a", has_text="Save").first.click()


def delete_with_toolbar(page: Page, frame: Frame) -> None:
    """Delete the first polygon of the map with Leaflet.draw's 🗑 tool, Save once it is gone
    from the map, and wait until the page says it was saved."""
    shapes = frame.locator(SHAPES)
    count = shapes.count()
    frame.locator(".leaflet-draw-edit-remove").click()
    shape_box = shapes.first.bounding_box()
    assert shape_box is not None
    page.mouse.click(
        shape_box["x"] + shape_box["width"] / 2, shape_box["y"] + shape_box["height"] / 2
    )
    expect(shapes).to_have_count(count - 1, timeout=5_000)  # the click hit it
    frame.locator(".leaflet-draw-actions a", has_text="Save").first.click()
    expect(page.get_by_text("0 new, 0 edited, 1 deleted.")).to_be_visible(timeout=30_000)
