"""Page 2: super-resolve the area and compare it with the original on synced maps."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from labels.classes import CROP_CLASSES
from labels.features import LabelError
from pages.common import image_overlay, init_state, label_store
from sr.enhance import PIPELINES, Progress, enhance
from sr.errors import ImageryError
from webmap.maps import compare_map

PIPELINE_NAMES = {"bicubic": "Bicubic (baseline, no learning)"}

init_state()
st.title("Enhance & compare")
original = st.session_state["original"]
if original is None:
    st.info("Pick and load an area first.")
    st.page_link("pages/area.py", label="← Area")
    st.stop()

left, right = st.columns([2, 1])
pipeline = left.selectbox(
    "Method", list(PIPELINES), format_func=lambda p: PIPELINE_NAMES.get(p, p), key="pipeline_choice"
)
composite = right.radio(
    "Colours",
    ["true", "false"],
    horizontal=True,
    format_func=lambda c: {"true": "True colour", "false": "False colour (NIR)"}[c],
)
if st.button("Enhance x4", type="primary"):
    bar = st.progress(0.0, text="Starting…")

    def report(p: Progress) -> None:
        bar.progress(p.fraction, text=p.message)

    try:
        result = enhance(original, pipeline, scale=4, progress=report)
    except ImageryError as err:
        st.error(str(err))
    else:
        st.session_state.update(enhanced=result, pipeline=pipeline)
        st.session_state["overlays"] = {}

enhanced = st.session_state["enhanced"]
if enhanced is None:
    st.info("Choose a method and press **Enhance x4**.")
    st.stop()

name = PIPELINE_NAMES.get(st.session_state["pipeline"], st.session_state["pipeline"])
st.success(
    f"Enhanced with {name}: {enhanced.width} x {enhanced.height} px "
    f"at {enhanced.resolution:.1f} m. "
    "Left: original 10 m. Right: enhanced over the original; the slider sets its opacity."
)
labels = {"type": "FeatureCollection", "features": []}
set_name = st.session_state.get("label_set")
if set_name:
    try:
        labels = label_store().load(set_name)
    except LabelError as err:
        st.warning(str(err))
st_folium(
    compare_map(
        image_overlay("original", composite),
        image_overlay("enhanced", composite),
        labels,
        CROP_CLASSES,
        "enhanced",
    ),
    key="compare_map",
    returned_objects=[],
    use_container_width=True,
    height=520,
)
st.page_link("pages/label.py", label="Label fields →")
