"""Page 1: choose imagery and draw the area to work on."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from shapely.geometry import shape
from streamlit_folium import st_folium

from imagery.clouds import cloud_warning
from imagery.errors import ImageryError
from imagery.read import read_area
from imagery.stac import StacCatalog
from views.common import (
    APP_MAX_SIZE,
    init_state,
    label_store,
    local_catalog,
    scene_preview,
    set_area_raster,
)
from views.markdown import plain
from webmap.maps import area_map
from webmap.render import to_rgba

MAP_KEY = "area_map"

init_state()
st.title("Pick an area")

# The rectangle drawn last is the area (read before the map is built, so no action is lost).
drawn = (st.session_state.get(MAP_KEY) or {}).get("all_drawings") or []
if drawn:
    west, south, east, north = shape(drawn[-1]["geometry"]).bounds
    bbox = (round(west, 6), round(south, 6), round(east, 6), round(north, 6))
    if bbox != st.session_state["area"]:
        st.session_state["area"] = bbox
area = st.session_state["area"]

source = st.radio("Imagery", ["Local files", "STAC catalogue (online)"], horizontal=True)
if source == "Local files":
    catalog = local_catalog()
    for problem in catalog.problems:
        st.warning(f"Skipped {plain(problem)}")
    all_scenes = catalog.search()
    candidates = catalog.search(area) if area else []
    previews = [scene_preview(s) for s in all_scenes]
    if not all_scenes:
        st.error("No local scene found. Run `make run` to build the demo scene, or set SCENES_DIR.")
else:
    all_scenes, previews = [], []
    c1, c2, c3 = st.columns(3)
    start = c1.date_input("From", dt.date.today() - dt.timedelta(days=60))
    end = c2.date_input("To", dt.date.today())
    cloud = c3.slider("Maximum cloud cover (%)", 0, 100, 20)
    if st.button("Search acquisitions", disabled=area is None):
        try:
            with st.spinner("Searching the STAC catalogue…"):
                st.session_state["stac_scenes"] = StacCatalog().search(area, start, end, cloud)
        except ImageryError as err:
            st.error(plain(err))
    candidates = st.session_state["stac_scenes"]
    all_scenes = candidates
    if area is None:
        st.info("Draw a rectangle on the map, then search.")

view = None
if area:
    view = [[area[1], area[0]], [area[3], area[2]]]
elif all_scenes:
    bounds = [shape(s.footprint).bounds for s in all_scenes]
    view = [
        [min(b[1] for b in bounds), min(b[0] for b in bounds)],
        [max(b[3] for b in bounds), max(b[2] for b in bounds)],
    ]
st.caption(
    "Use the ▭ tool on the map to draw the area (at most "
    f"{APP_MAX_SIZE} x {APP_MAX_SIZE} px, {APP_MAX_SIZE / 100:.1f} km a side)."
)
footprints = [(s.label, s.footprint) for s in all_scenes]
st_folium(
    area_map(footprints, previews, area, view, label_store().areas()),
    key=MAP_KEY,
    returned_objects=["all_drawings"],
    use_container_width=True,
    height=480,
)

if area:
    st.write(
        f"Area: longitude {area[0]:.5f} to {area[2]:.5f}, latitude {area[1]:.5f} to {area[3]:.5f}"
    )
    if not candidates:
        st.error("No scene covers this area. Draw the rectangle over a scene footprint (yellow).")
    else:
        choice = st.selectbox("Acquisition", candidates, format_func=lambda s: s.label)
        if st.button("Load area", type="primary"):
            try:
                with st.spinner("Reading the bands…"):
                    set_area_raster(choice, read_area(choice, area, APP_MAX_SIZE))
            except ImageryError as err:
                st.error(plain(err))

raster = st.session_state["original"]
if raster is not None:
    scene = st.session_state["scene"]
    st.success(
        f"Loaded {raster.width} x {raster.height} px at {raster.resolution:.0f} m from "
        f"{plain(scene.label)} ({plain(raster.crs.to_string())}). Go on to **Enhance & compare**."
    )
    warning = cloud_warning(raster)
    if warning:
        st.warning(warning)
    st.image(to_rgba(raster, "true"), caption="True colour (B04, B03, B02)", width=360)
    st.page_link("views/pages/enhance.py", label="Enhance & compare →")
