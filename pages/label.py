"""Page 3: draw crop-field polygons with a class; every change is saved at once (autosave)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import streamlit as st
from shapely.geometry import shape
from streamlit_folium import st_folium

from labels.classes import CROP_CLASSES, set_classes
from labels.edits import diff_drawings
from labels.features import LabelError, clip_to_neighbours, new_feature, polygon_geometry
from labels.geometry import area_ha, set_crs
from labels.store import LabelStore, Saved
from pages.common import image_overlay, init_state, label_store
from webmap.maps import label_map


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def set_info() -> dict[str, Any]:
    """What a new set records about where it was made."""
    scene, original = st.session_state["scene"], st.session_state["original"]
    return {
        "scene_id": scene.id,
        "scene_date": scene.date.isoformat() if scene.date else None,
        "area_bbox": list(st.session_state["area"]),
        "created_by": st.session_state["annotator"],
        "classes": dict(CROP_CLASSES),
        "grid": original.grid,  # for raster masks (x4 for the enhanced image)
    }


def remember(saved: Saved, what: str, undoable: bool = True) -> None:
    """After a save: new snapshot, a rebuilt map, the status line and the undo stack."""
    st.session_state["label_snapshot"] = saved.data
    st.session_state["label_rev"] += 1
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    status = f"Saved at {stamp}: {what}."
    if saved.conflicts:
        status += (
            f" {plural(len(saved.conflicts), 'polygon')} changed meanwhile by someone else "
            "kept their version; yours was not applied."
        )
        st.session_state["label_conflicts"] = saved.conflicts
    st.session_state["label_status"] = status
    if undoable and saved.applied:
        st.session_state["label_undo"].append(saved.batch)
        st.session_state["label_redo"] = []


def shown_revs(snapshot: dict[str, Any]) -> dict[str, int]:
    return {f["id"]: int(f["properties"].get("rev", 1)) for f in snapshot["features"]}


init_state()
st.title("Label fields")
scene, original = st.session_state["scene"], st.session_state["original"]
if original is None:
    st.info("Pick and load an area first.")
    st.page_link("pages/area.py", label="← Area")
    st.stop()
for key, value in (("label_undo", []), ("label_redo", []), ("label_rev", 0)):
    st.session_state.setdefault(key, value)

store: LabelStore = label_store()
if "label_set" not in st.session_state:  # kept apart from the widget, which forgets on page change
    st.session_state["label_set"] = re.sub(r"[^\w.-]+", "_", scene.id).strip("._") or "labels"
c1, c2, c3 = st.columns([2, 1, 1])
set_name = c1.text_input(
    "Label set",
    st.session_state["label_set"],
    help="Type a new name to start a set, or an existing one to open it. Manage sets on the "
    "Label sets page.",
).strip()
if set_name != st.session_state["label_set"]:
    st.session_state.update(label_set=set_name, label_undo=[], label_redo=[], label_view=None)
existing = store.names()
if existing:
    c1.caption("Existing sets: " + ", ".join(existing))
images = ["enhanced", "original"] if st.session_state["enhanced"] is not None else ["original"]
image = c2.radio("Draw on", images, format_func=str.capitalize)

# The map is built from a snapshot of the set, taken again only after a save or when the set or
# the image changes: rebuilding it otherwise would remount it and wipe what is being drawn.
snapshot_for = (set_name, image)
if st.session_state.get("label_snapshot_for") != snapshot_for:
    try:
        st.session_state["label_snapshot"] = store.load(set_name)
    except LabelError as err:
        st.error(str(err))
        st.stop()
    st.session_state["label_snapshot_for"] = snapshot_for
    st.session_state["label_rev"] += 1
snapshot = st.session_state["label_snapshot"]
classes = set_classes(snapshot)
crop = c3.selectbox("Class of new polygons", list(classes))
o1, o2 = st.columns(2)
clip = o1.checkbox("Clip new polygons so they do not overlap their neighbours", value=True)
min_m2 = o2.number_input("Smallest polygon (m²)", min_value=0, value=100, step=50)

map_key = f"label_map_{st.session_state['label_rev']}"
value = st.session_state.get(map_key) or {}
if value.get("center") and value.get("zoom"):
    centre = value["center"]
    st.session_state["label_view"] = ([centre["lat"], centre["lng"]], int(value["zoom"]))
changes = diff_drawings(value.get("all_drawings"), snapshot["features"])
annotator = st.session_state["annotator"]

if not annotator:
    pending = f" Not saved yet: {changes.summary()}." if changes else ""
    st.warning(
        "Enter your name as **Annotator** in the sidebar: it is saved with each polygon, and "
        f"nothing is saved without it.{pending}"
    )
elif changes:  # autosave
    upserts, refused = [], []
    made_by = [st.session_state[k] for k in ("pipeline", "preset", "model_version")]
    others = [f["geometry"] for f in snapshot["features"]]
    crs = original.crs.to_string()
    for geometry in changes.new:
        try:
            geom = polygon_geometry(geometry)
            if clip:
                geom = clip_to_neighbours(geom, others)
            if area_ha(geom, crs) * 10_000 < min_m2:
                raise LabelError(f"smaller than {min_m2} m²")
            upserts.append(new_feature(geom, crop, annotator, scene.id, image, *made_by))
        except LabelError as err:
            refused.append(f"a new polygon: {err}")
    for feature in changes.changed:
        try:
            upserts.append({**feature, "geometry": polygon_geometry(feature["geometry"])})
        except LabelError as err:
            refused.append(f"an edit: {err}")
    try:
        saved = store.apply(
            set_name,
            upserts,
            changes.deleted,
            set_info(),
            expected=shown_revs(snapshot),
            who=annotator,
        )
    except LabelError as err:
        st.error(f"Nothing was saved: {err}")
    else:
        remember(saved, changes.summary())
        if refused:
            st.session_state["label_status"] += " Not saved: " + "; ".join(refused) + "."
        st.rerun()

b1, b2, b3 = st.columns([1, 1, 4])
for column, label, source, target, what in (
    (b1, "↶ Undo", "label_undo", "label_redo", "undone"),
    (b2, "↷ Redo", "label_redo", "label_undo", "redone"),
):
    if column.button(label, disabled=not st.session_state[source]):
        # reverting a batch is itself a batch: reverting that one redoes the change
        saved = store.revert(set_name, st.session_state[source].pop(), who=annotator)
        remember(saved, what, undoable=False)
        if saved.applied:
            st.session_state[target].append(saved.batch)
        st.rerun()
b3.caption(st.session_state.get("label_status") or "Every change is saved as soon as it is made.")

legend = " ".join(
    f'<span style="border:2px solid {c};background:{c}44;padding:0 6px;margin-right:6px">'
    f"{name}</span>"
    for name, c in classes.items()
)
st.markdown(legend, unsafe_allow_html=True)
st.caption(
    "Draw with the ⬠ tool; move vertices with ✎ and delete with 🗑 (then Save in the "
    "toolbar). Polygons are coloured by class."
)
# The view is fixed when a map is built (a new view would remount the map): the last one the user
# had, or the zoom asked for from the table.
view = st.session_state.setdefault(f"{map_key}_view", st.session_state.get("label_view"))
st_folium(
    label_map(image_overlay(image, "true"), snapshot, classes, view),
    key=map_key,
    returned_objects=["all_drawings", "center", "zoom"],
    use_container_width=True,
    height=560,
)

features = snapshot["features"]
if not features:
    st.stop()
st.subheader(f"{plural(len(features), 'polygon')} in “{set_name}”")
conflicts = set(st.session_state.get("label_conflicts") or [])
rows = [
    {
        "class": f["properties"]["crop_class"],
        "hectares": round(area_ha(f["geometry"], set_crs(snapshot)), 3),
        "annotator": f["properties"]["annotator"],
        "image": f["properties"]["image"],
        "method": f["properties"].get("pipeline"),
        "updated": f["properties"]["updated"],
        "note": f["properties"].get("note", ""),
        "conflict": f["id"] in conflicts,
        "id": f["id"],
    }
    for f in features
]
picked = st.dataframe(
    rows,
    hide_index=True,
    on_select="rerun",
    selection_mode="multi-row",
    key=f"label_table_{set_name}_{len(features)}",  # a new table when polygons come or go
)
selected = tuple(i for i in picked.selection.rows if i < len(features))  # type: ignore[attr-defined]
chosen = [features[i] for i in selected]
if not selected:
    st.session_state["label_zoomed"] = ()
elif selected != st.session_state.get("label_zoomed"):  # a click on a row zooms to it
    west, south, east, north = shape(
        {"type": "GeometryCollection", "geometries": [f["geometry"] for f in chosen]}
    ).bounds
    st.session_state.update(label_zoomed=selected, label_view=[[south, west], [north, east]])
    st.session_state["label_rev"] += 1
    st.rerun()
if chosen:
    a2, a3, a4 = st.columns(3)
    new_class = a2.selectbox("New class", list(classes), label_visibility="collapsed")
    if a3.button("Set class"):
        edits = [{**f, "properties": {**f["properties"], "crop_class": new_class}} for f in chosen]
        saved = store.apply(set_name, edits, expected=shown_revs(snapshot), who=annotator)
        remember(saved, f"{plural(saved.applied, 'polygon')} now {new_class}")
        st.rerun()
    if a4.button("Delete selected"):
        saved = store.apply(
            set_name,
            deletes=[f["id"] for f in chosen],
            expected=shown_revs(snapshot),
            who=annotator,
        )
        remember(saved, f"{plural(saved.applied, 'polygon')} deleted")
        st.rerun()
    if len(chosen) == 1:
        n1, n2 = st.columns([4, 1])
        note = n1.text_input("Note", chosen[0]["properties"].get("note", ""))
        if n2.button("Save note"):
            edit = {**chosen[0], "properties": {**chosen[0]["properties"], "note": note}}
            remember(
                store.apply(set_name, [edit], expected=shown_revs(snapshot), who=annotator), "note"
            )
            st.rerun()
