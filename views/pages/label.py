"""Page 3: draw crop-field polygons with a class; every change is saved at once (autosave)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st
from rasterio.warp import transform_geom
from shapely.geometry import box, mapping
from streamlit_folium import st_folium

from labels.classes import CROP_CLASSES, safe_colour, set_classes
from labels.edits import Changes, NewPolygonRules, diff_drawings
from labels.features import LabelError
from labels.session import LabelSession
from labels.shapes import plan
from labels.stats import areas
from labels.store import LabelStore
from views.common import PAGE_RUNS, attempt, image_overlay, init_state, label_store
from views.dates import drawn_on, other_date, two_dates
from views.keys import CLASS_LABEL, keyboard_shortcuts, shortcuts_help
from views.label_state import page_state
from views.markdown import plain
from views.reviewing import outlines_legend, review_columns, review_panel, table_key
from views.shaping import pick_mode, selection, shape_row, with_picks
from views.suggesting import (
    ACCEPT,
    LARGER,
    REJECT,
    SMALLER,
    STEP_HELP,
    SUGGEST,
    SUGGEST_HELP,
    propose,
    stepped,
)
from views.workspace import CROP_KEY, SUGGEST_KEY, default_set_name
from webmap.maps import label_map, label_update

UNDO, REDO = "↶ Undo", "↷ Redo"
NO_LABELS: dict[str, Any] = {"type": "FeatureCollection", "features": []}
#: The map fills a 1400 x 900 window below the title and the class bar.
MAP_HEIGHT = 600
#: The status row's height (px): two lines and a half of small print.
STATUS_HEIGHT = 64
#: Less room above the title: the map is what this page is for.
COMPACT = "<style>[data-testid='stMainBlockContainer'] {padding-top: 2.5rem}</style>"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def set_info() -> dict[str, Any]:
    """What a new set records about where it was made."""
    scene, original = st.session_state["scene"], st.session_state["original"]
    return {
        "scene_id": scene.id,
        "scene_source": scene.source,  # "local" or "stac": where to find it again
        "scene_date": scene.date.isoformat() if scene.date else None,
        "area_bbox": list(st.session_state["area"]),
        "created_by": st.session_state["annotator"],
        "classes": dict(CROP_CLASSES),
        "grid": original.grid,  # for raster masks (x4 for the enhanced image)
    }


def opened(name: str, snapshot: dict[str, Any], scene_id: str) -> str:
    """What typing ``name`` did: opened an existing set (made on which scene, when not this
    one) or started a new one; plain text, names escaped."""
    n, made_on = len(snapshot["features"]), snapshot.get("label_set", {}).get("scene_id")
    if not n and not made_on:
        return f"New set “{plain(name)}”: it is saved with its first polygon."
    said = f"Opened the existing set “{plain(name)}” ({plural(n, 'polygon')})."
    if made_on and made_on != scene_id:
        said += (
            f" It was made on another scene ({plain(made_on)}): its polygons may lie outside "
            "this image. Open its own area from the Label sets page."
        )
    return said


def table_rows(snapshot: dict[str, Any], conflicts: set[str]) -> list[dict[str, Any]]:
    """The table of the set's polygons, one row each (``conflicts``: ids whose save lost)."""
    return [
        {
            "class": f["properties"]["crop_class"],
            **review_columns(f),
            "hectares": round(ha, 3),
            "annotator": f["properties"]["annotator"],
            "image": f["properties"]["image"],
            "pipeline": f["properties"].get("pipeline"),
            "updated": f["properties"]["updated"],
            "note": f["properties"].get("note", ""),
            "conflict": f["id"] in conflicts,
            "id": f["id"],
        }
        for f, ha in zip(snapshot["features"], areas(snapshot), strict=True)
    ]


init_state()
st.markdown(COMPACT, unsafe_allow_html=True)
st.title("Label fields")
scene, original = st.session_state["scene"], st.session_state["original"]
if original is None:
    st.info("Pick and load an area first.")
    st.page_link("views/pages/area.py", label="← Area")
    st.stop()
state = page_state()
came_back = state.came_back(st.session_state[PAGE_RUNS])  # the map is then a new frame

store: LabelStore = label_store()
if not st.session_state["label_set"]:  # apart from the widget, which forgets on page change
    st.session_state["label_set"] = default_set_name(scene)
side = st.sidebar
side.subheader("Labelling")
set_name = side.text_input(
    "Label set",
    st.session_state["label_set"],
    help="Type a new name to start a set, or an existing one to open it. Manage sets on the "
    "Label sets page.",
).strip()
try:  # a name the store refuses (empty, ``../x``) goes no further
    store.path(set_name)
except LabelError as err:
    st.error(plain(err))
    st.stop()
st.session_state["label_set"] = set_name
annotator = st.session_state["annotator"]
session = LabelSession(store, set_name, annotator)
typed = state.snapshot_for is not None and state.snapshot_for[0] != set_name  # another set
if state.snapshot_for is None or state.snapshot_for[0] != set_name:
    state.open(set_name, session.undo_stacks())  # from its journal: it survives a reload
existing = store.names()
if existing:
    side.caption("Existing sets: " + ", ".join(plain(n) for n in existing))
images = ["enhanced", "original"] if st.session_state["enhanced"] is not None else ["original"]
image = side.radio("Draw on", images, format_func=str.capitalize) or images[0]
other = other_date(side, state)
dates = two_dates(other, scene, image)
clip = side.checkbox("Clip new polygons so they do not overlap their neighbours", value=True)
min_m2 = side.number_input("Smallest polygon (m²)", min_value=0, value=100, step=50)
suggesting = side.toggle(SUGGEST, help=SUGGEST_HELP, key=SUGGEST_KEY)
state.suggest(suggesting)
picking = pick_mode(side, state, suggesting)

# The map is built from a snapshot of the set, taken again only after a save or when the set or
# the image changes: rebuilding it otherwise would remount it and wipe what is being drawn.
try:
    snapshot = state.shown(set_name, image, session.load)
except LabelError as err:
    st.error(plain(err))
    st.stop()
if typed:
    side.info(opened(set_name, snapshot, scene.id))
classes = set_classes(snapshot)
bar, b1, b2, keys = st.columns([7, 1, 1, 1.3], vertical_alignment="bottom")
names = list(classes)
if st.session_state.get(CROP_KEY) not in names:  # from the address, or another set's class
    st.session_state.pop(CROP_KEY, None)
crop = (
    bar.radio(
        CLASS_LABEL,
        names,
        horizontal=True,
        key=CROP_KEY,
        format_func=lambda c: (f"{names.index(c) + 1} " if names.index(c) < 9 else "") + plain(c),
    )
    or names[0]
)

# st_folium stores what the map reports under its key before the rerun: read it first, so the
# last action is never lost.
value = st.session_state.get(state.map_key) or {}
if value.get("center") and value.get("zoom"):
    state.moved(value["center"], value["zoom"])
chosen = selection(state, snapshot, set_name, value.get("last_clicked") if picking else None)
# A report is the drawings with the stamp of the toolbar action that sent them (DrawingAids).
reported = state.report_text(value)
if reported == state.handled:  # reported again with a pan or zoom: already saved or refused
    changes = diff_drawings(None, snapshot["features"])
else:
    changes = diff_drawings(value.get("all_drawings"), snapshot["features"])
rules = NewPolygonRules(
    crop_class=crop,
    annotator=annotator,
    scene_id=scene.id,
    image=image,
    made_by=(
        st.session_state["pipeline"],
        st.session_state["preset"],
        st.session_state["model_version"],
        bool(st.session_state["consistent"]),
    ),
    crs=original.crs.to_string(),
    clip=clip,
    min_m2=float(min_m2),
    footprint=transform_geom(original.crs, "EPSG:4326", mapping(box(*original.bounds))),
    date_shown=drawn_on(value.get("all_drawings"), dates),
)


def save(changes: Changes, rules: NewPolygonRules) -> None:
    """Save what changed on the map (refused drawings stay on it in red); the state then holds
    the saved set (:func:`saved_set` shows it in this run)."""
    edits = plan(changes, snapshot["features"], rules, chosen)  # with shape edits (split, hole)
    saved = None
    if edits:  # else only refused drawings: nothing to save, and the status says so
        try:
            saved = session.save(edits, snapshot, set_info())
        except LabelError as err:
            state.fail(set_name, str(err))
            return
    state.after_edits(saved, set_name, edits)


def saved_set() -> tuple[dict[str, Any], list[Any]]:
    """The set as the state holds it after a save made above the map, and the selection in it:
    the rest of this run shows them. (A second run of the page to show them cost as much as the
    first: a save took twice as long, docs/benchmarks.md.)"""
    shown = state.shown(set_name, image, session.load)
    return shown, selection(state, shown, set_name, value.get("last_clicked") if picking else None)


if not annotator:
    pending = f" Not saved yet: {changes.summary()}." if changes else ""
    st.warning(
        "Enter your name as **Annotator** in the sidebar: it is saved with each polygon, and "
        f"nothing is saved without it.{pending}"
    )
else:  # autosave; a report read once is not read again after a save made elsewhere
    state.handle(reported, changes)
    if changes:
        save(changes, rules)
        snapshot, chosen = saved_set()


second = other.raster if other and other.suggest else None
state.dates(other.scene.id if other and other.suggest else "")
clicked = value.get("last_clicked") if suggesting else None
if clicked and state.click(clicked):
    at = (clicked["lng"], clicked["lat"])
    found = propose(st.session_state[image], *at, snapshot["features"], rules, second)
    state.propose(set_name, *found, at)
if suggesting:  # the row is there while the mode is on, so the map never moves under a click
    p1, p4, p5, p2, p3 = st.columns([4.5, 1.2, 1.2, 1.5, 1.2], vertical_alignment="center")
    for column, label, change in ((p4, SMALLER, -1), (p5, LARGER, 1)):
        pressed = column.button(label, disabled=state.proposal is None, help=STEP_HELP)
        if pressed and state.proposal is not None and state.proposed_at is not None:
            at, now = state.proposed_at, state.proposal
            outline, said, step = stepped(
                st.session_state[image], at, snapshot["features"], rules, second, now,
                state.step + change,
            )  # fmt: skip
            if outline is None:
                state.no_step(set_name, said)
            else:
                state.propose(set_name, outline, said, at, step)
    proposal = state.proposal
    p1.caption(
        "Click inside a field on the map to get its outline."
        if proposal is None
        else "Suggested outline, dashed on the map: Enter accepts it, Esc drops it."
    )
    accepted = p2.button(ACCEPT, type="primary", disabled=proposal is None or not annotator)
    if accepted and proposal is not None:
        state.accept()
        save(Changes(new=[proposal]), replace(rules, source="suggested"))
        st.rerun()  # the row above says what is proposed: shown anew
    if p3.button(REJECT, disabled=proposal is None):
        state.reject()
        st.rerun()
if picking:  # the row is there while the mode is on, so the map never moves under a click
    shape_row(session, snapshot, chosen, state, set_name)


def revert(undo: bool) -> None:
    """Undo or redo, as the button's callback: before the page runs, which then shows the set
    reverted (the buttons above the map are drawn knowing both stacks)."""
    batches = state.undo if undo else state.redo
    if not batches:
        return
    try:  # reverting a batch is itself a batch: reverting that one redoes the change
        reverted = session.revert(batches[-1])
    except LabelError as err:
        state.fail(set_name, str(err))
    else:
        state.after_revert(reverted, set_name, undo)


for column, label, undo, batches in ((b1, UNDO, True, state.undo), (b2, REDO, False, state.redo)):
    column.button(label, disabled=not batches, on_click=revert, args=(undo,))
with keys:
    shortcuts_help()
keyboard_shortcuts(UNDO, REDO, ACCEPT, REJECT, LARGER, SMALLER)
status = state.status if state.status_for == set_name else ""
# The status row keeps its height whatever it says (small print: two lines and a half fit, a
# longer message scrolls in it), and its button is always there: a refused drawing or save
# never moves the map under the next click. What went wrong is marked red, and said first.
s1, s2 = st.columns([8, 2])
with s1.container(height=STATUS_HEIGHT, border=False):
    if status and state.alert:  # the newest message only: an older one would contradict it
        st.markdown(f":red-background[:red[:small[⚠️ {plain(status)}]]]")
    else:
        st.caption(plain(status) if status else "Every change is saved as soon as it is made.")
if s2.button("Dismiss the red outlines", disabled=not state.refused):
    state.dismiss()
    st.rerun()

legend = " ".join(  # names from users: plain() escapes Markdown and HTML alike; colours checked
    f'<span style="border:2px solid {c};background:{c}44;padding:0 6px;margin-right:6px">'
    f"{plain(name)}</span>"
    for name, c in ((n, safe_colour(c)) for n, c in classes.items())
)
side.markdown(f"{legend}<br>{outlines_legend()}", unsafe_allow_html=True)
side.caption(
    "Draw with the ⬠ tool; move vertices with ✎ and delete with 🗑 (then Save in the toolbar). "
    "Polygons are filled in their class colour; the outline is solid once accepted, dashed while "
    "a draft, dark red and dashed when rejected."
)
st_folium(
    # The map itself holds no polygon: streamlit-folium rebuilds a map whose script changes, so
    # the polygons come with the in-place update, drawn into the map's editable group.
    label_map(image_overlay(image, "true"), NO_LABELS, classes, state.view_for_build(), dates),
    key=state.map_key,
    feature_group_to_add=label_update(
        state.map_update(value, came_back),  # what changed since the map was last sent the set
        classes,
        [(r.geometry, r.reason) for r in state.refused],
        [f["id"] for f in chosen],
        None if state.proposal is None else (state.proposal, safe_colour(classes[crop])),
        [snapshot["features"][i]["id"] for i in state.zoomed if i < len(snapshot["features"])],
    ),
    returned_objects=["all_drawings", "last_active_drawing", "center", "zoom"]
    + (["last_clicked"] if state.suggest_map or picking else []),
    use_container_width=True,
    height=MAP_HEIGHT,
)

features = snapshot["features"]
if not features:
    st.stop()
st.subheader(f"{plural(len(features), 'polygon')} in “{plain(set_name)}”")
table = table_key(set_name, len(features))


def of_set(rows: list[int]) -> tuple[int, ...]:
    """The table's selected ``rows`` that are polygons of the set shown."""
    return tuple(i for i in rows if i < len(features))


def rows_clicked() -> None:
    """A click on a row, before the page runs: the map (above the table) moves to the rows in
    place and draws them bold in that run, with no second one."""
    rows = st.session_state[table]["selection"]["rows"]
    if rows:
        state.zoom(of_set(rows))


picked = st.dataframe(
    state.rows(table_rows),  # made once per snapshot: thousands of rows, their areas measured
    hide_index=True,
    on_select=rows_clicked,
    selection_mode="multi-row",
    key=table,
)
selected = of_set(picked.selection.rows)
chosen = [features[i] for i in selected]
if not selected:  # drawn plain again from the next run (a rerun now could cut into an edit)
    state.zoom(())
elif selected != state.zoomed:  # rows chosen otherwise (the review's walk): moved to anew
    state.zoom(selected)
    st.rerun()
chosen = with_picks(chosen, features)
review_panel(session, state, snapshot, chosen)
if chosen:
    a2, a3, a4 = st.columns(3)
    new_class = a2.selectbox("New class", list(classes), label_visibility="collapsed")
    if a3.button("Set class"):
        done = attempt(lambda: session.reclassify(chosen, new_class, snapshot))
        if done is not None:
            message = f"{plural(done.applied, 'polygon')} now {new_class}"
            state.after_save(done, set_name, message, undoable=True)
            st.rerun()
    if not picking:  # else above the map
        shape_row(session, snapshot, chosen, state, set_name)
    if a4.button("Delete selected"):
        done = attempt(lambda: session.delete(chosen, snapshot))
        if done is not None:
            message = f"{plural(done.applied, 'polygon')} deleted"
            state.after_save(done, set_name, message, undoable=True)
            st.rerun()
    if len(chosen) == 1:
        n1, n2 = st.columns([4, 1])
        note = n1.text_input("Note", chosen[0]["properties"].get("note", ""))
        if n2.button("Save note"):
            done = attempt(lambda: session.note(chosen[0], note, snapshot))
            if done is not None:
                state.after_save(done, set_name, "note", undoable=True)
                st.rerun()
