"""Page 3: draw crop-field polygons, give them a class and save them to a label set."""

from __future__ import annotations

import re

import streamlit as st
from streamlit_folium import st_folium

from labels.classes import CROP_CLASSES
from labels.drawings import diff_drawings
from labels.features import LabelError, new_feature, polygon_geometry
from labels.stats import area_by_class, area_ha
from pages.common import image_overlay, init_state, label_store
from webmap.maps import label_map


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


init_state()
st.title("Label fields")
scene, original = st.session_state["scene"], st.session_state["original"]
if original is None:
    st.info("Pick and load an area first.")
    st.page_link("pages/area.py", label="← Area")
    st.stop()

store = label_store()
if "label_set" not in st.session_state:  # kept apart from the widget, which forgets on page change
    st.session_state["label_set"] = re.sub(r"[^\w.-]+", "_", scene.id).strip("._") or "labels"
existing = store.names()
c1, c2, c3 = st.columns([2, 1, 1])
set_name = c1.text_input(
    "Label set",
    st.session_state["label_set"],
    help="Type a new name to start a set, or an existing one to open it.",
).strip()
st.session_state["label_set"] = set_name
if existing:
    c1.caption("Existing sets: " + ", ".join(existing))
images = ["enhanced", "original"] if st.session_state["enhanced"] is not None else ["original"]
image = c2.radio("Draw on", images, format_func=str.capitalize)
crop = c3.selectbox("Crop class for new polygons", list(CROP_CLASSES))

# The map is built from a snapshot of the set, taken again only after a save or when the set or
# the image changes: rebuilding it otherwise would remount it and wipe unsaved drawings.
snapshot_for = (set_name, image)
if st.session_state.get("label_snapshot_for") != snapshot_for:
    try:
        st.session_state["label_snapshot"] = store.load(set_name)
    except LabelError as err:
        st.error(str(err))
        st.stop()
    st.session_state["label_snapshot_for"] = snapshot_for
    st.session_state["label_rev"] = st.session_state.get("label_rev", 0) + 1
snapshot = st.session_state["label_snapshot"]
map_key = f"label_map_{st.session_state['label_rev']}"
drawings = (st.session_state.get(map_key) or {}).get("all_drawings")
changes = diff_drawings(drawings, snapshot["features"])

flash = st.session_state.get("label_flash")  # kept until the next save: no layout jump
if flash and st.session_state.get("label_flash_for") == set_name:
    st.success(flash)
annotator = st.session_state["annotator"]
if not annotator:
    st.warning("Enter your name as **Annotator** in the sidebar; it is saved with each polygon.")

if st.button(f"Save ({changes.summary()})", type="primary", disabled=not changes or not annotator):
    upserts, refused = [], []
    made_by = [st.session_state[k] for k in ("pipeline", "preset", "model_version")]
    for geometry in changes.new:
        try:
            upserts.append(new_feature(geometry, crop, annotator, scene.id, image, *made_by))
        except LabelError as err:
            refused.append(str(err))
    for feature in changes.changed:
        try:
            upserts.append({**feature, "geometry": polygon_geometry(feature["geometry"])})
        except LabelError as err:
            refused.append(str(err))
    info = {
        "scene_id": scene.id,
        "scene_date": scene.date.isoformat() if scene.date else None,
        "area_bbox": list(st.session_state["area"]),
        "created_by": annotator,
        "grid": {  # the original image's grid, for raster masks (x4 for the enhanced one)
            "crs": original.crs.to_string(),
            "transform": list(original.transform)[:6],
            "width": original.width,
            "height": original.height,
        },
    }
    try:
        saved = store.apply(set_name, upserts, changes.deleted, info, who=annotator).data
    except LabelError as err:
        st.error(f"Nothing was saved: {err}")
    else:
        st.session_state["label_snapshot"] = saved
        st.session_state["label_rev"] += 1
        note = f" Not saved: {'; '.join(refused)}." if refused else ""
        st.session_state["label_flash_for"] = set_name
        st.session_state["label_flash"] = (
            f"Saved {changes.summary()} to {store.path(set_name)} "
            f"(the set holds {plural(len(saved['features']), 'polygon')}).{note}"
        )
        st.rerun()

st.caption("Draw with the ⬠ tool; edit or delete with the tools below it (then press Save).")
st_folium(
    label_map(image_overlay(image, "true"), snapshot, CROP_CLASSES),
    key=map_key,
    returned_objects=["all_drawings"],
    use_container_width=True,
    height=560,
)

features = snapshot["features"]
if features:
    st.subheader(f"{plural(len(features), 'polygon')} in “{set_name}”")
    summary = area_by_class(snapshot)
    st.dataframe(
        [
            {"crop class": c, "fields": int(r["fields"]), "hectares": round(r["hectares"], 2)}
            for c, r in summary.items()
        ],
        hide_index=True,
    )
    st.dataframe(
        [
            {
                "class": f["properties"]["crop_class"],
                "hectares": round(area_ha(f["geometry"]), 3),
                "annotator": f["properties"]["annotator"],
                "image": f["properties"]["image"],
                "pipeline": f["properties"]["pipeline"],
                "updated": f["properties"]["updated"],
                "id": f["id"],
            }
            for f in features
        ],
        hide_index=True,
    )
