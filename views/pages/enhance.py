"""Page 2: super-resolve the area and compare it with the original on synced maps."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import streamlit as st
from affine import Affine
from rasterio.crs import CRS
from streamlit_folium import st_folium

from imagery.errors import UserError
from imagery.geotiff import write_raster
from imagery.raster import Raster
from labels.classes import set_classes
from labels.features import LabelError
from runs.jobs import EnhanceRequest
from runs.service import manager
from sr.enhance import DEFAULT_PRESET, PIPELINES, PRESETS, estimate_seconds, uses_dip
from views import jobs_panel
from views.common import image_overlay, init_state, label_store
from views.jobs_panel import duration
from views.markdown import plain
from webmap.maps import compare_map
from webmap.render import composites, heat_rgba, overlay

PIPELINE_NAMES = {
    "bicubic": "Bicubic (baseline, no learning)",
    "dip": "Deep Image Prior (fitted to this image)",
    "decrappify": "Decrappify (trained U-Net on bicubic)",
    "dip+decrappify": "Deep Image Prior, then Decrappify (the founding method)",
}
#: What each pipeline is for, as measured (docs/evaluation.md).
PIPELINE_HELP = (
    "Bicubic: the 10 m image made smooth, nothing invented; the most faithful to real sharper "
    "images of the same ground in our tests. Decrappify (the default): sharper field borders in "
    "seconds. Deep Image Prior: fitted to this one image, no training data; minutes on a CPU. "
    "Deep Image Prior, then Decrappify: the method this project began with; in our tests, on "
    "real images and on the synthetic one, it is no better than Decrappify alone, at minutes "
    "instead of seconds."
)
PRESET_HELP = (
    "Deep Image Prior settings. fast (the default): a small network (16 channels) at half the "
    "output size that corrects the bicubic upsampling, 1000 iterations; about 8 min for a "
    "256 x 256 px area on a 2-core laptop CPU. quality: the same, 2000 iterations (twice the "
    "time, a little sharper). published: the paper's set-up (128 channels, 2000 iterations; "
    "hours on a CPU), for comparison. The time on this machine is estimated below; "
    "docs/benchmarks.md has the measured times and gains."
)
CONSISTENCY_MAX = 0.02  # reflectance difference shown fully red


#: The speed is measured again after this many seconds: the machine may be busier now.
ESTIMATE_TTL_S = 120


@st.cache_data(show_spinner="Measuring this machine's speed…", max_entries=32, ttl=ESTIMATE_TTL_S)
def estimated_seconds(height: int, width: int, pipeline: str, preset: str) -> float:
    return estimate_seconds(height, width, pipeline, 4, preset)


def _queue_note() -> str:
    """What the estimate leaves out: the jobs this one would wait for, and that they share the
    machine's cores."""
    ahead = sum(j.active for j in manager().jobs())
    if not ahead:
        return ""
    return (
        f" {ahead} enhancement job{'s' if ahead > 1 else ''} running or waiting here: a new one "
        "waits for a worker, and jobs that share the processor take longer than estimated."
    )


@st.cache_data(show_spinner=False, max_entries=4)
def geotiff_bytes(
    data: np.ndarray, crs_wkt: str, transform: tuple[float, ...], bands: tuple[str, ...]
) -> bytes:
    raster = Raster(data, CRS.from_wkt(crs_wkt), Affine(*transform[:6]), bands)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "enhanced.tif"
        write_raster(raster, path, np.dtype("uint16"))
        return path.read_bytes()


init_state()
st.title("Enhance & compare")
original = st.session_state["original"]
if original is None:
    st.info("Pick and load an area first.")
    st.page_link("views/pages/area.py", label="← Area")
    st.stop()

# The boxes show how the result on screen was made (after a reload too), so that Enhance x4
# never runs another method than the one shown; with none, Decrappify: DIP takes minutes on a CPU.
result = st.session_state["enhanced"] is not None
made_pipeline, made_preset = st.session_state["pipeline"], st.session_state["preset"]
shown_pipeline = str(made_pipeline) if result and made_pipeline in PIPELINES else "decrappify"
shown_preset = str(made_preset) if result and made_preset in PRESETS else DEFAULT_PRESET
c1, c2, c3 = st.columns([2, 1, 1])
pipeline = c1.selectbox(
    "Pipeline",
    list(PIPELINES),
    format_func=lambda p: PIPELINE_NAMES.get(p, p),
    index=list(PIPELINES).index(shown_pipeline),
    help=PIPELINE_HELP,
)
preset = c2.radio(
    "Preset",
    PRESETS,
    index=PRESETS.index(shown_preset),
    horizontal=True,
    help=PRESET_HELP,
    disabled=not uses_dip(pipeline),
)
shown = composites(original.bands)
composite = c3.radio(
    "Colours",
    shown,
    horizontal=True,
    format_func=lambda c: {"true": "True colour", "false": "False colour (NIR)"}[c],
    help=None
    if "false" in shown
    else "False colour needs near infrared (B08): this image has red, green and blue only.",
)
consistent = st.checkbox(
    "Faithful to the 10 m measurement (data consistency)",
    value=bool(st.session_state["consistent"]) if result else True,
    help="End with a correction so that the enhanced image, blurred and sampled the way the "
    "satellite sees, reproduces the measured 10 m image (all but its pixel-sized noise), with "
    "the measured colour and the enhancement's sharper brightness: no coloured dots; detail no "
    "larger than the image's own noise is faded, so fields stay smooth. Leaves the bicubic "
    "baseline unchanged.",
    disabled=pipeline == "bicubic",
)
if uses_dip(pipeline):
    estimate = estimated_seconds(original.height, original.width, pipeline, preset)
    st.caption(
        f"Deep Image Prior on this {original.width} x {original.height} px area: about "
        f"{duration(estimate)} on this machine (its speed measured now x iterations x tiles), "
        f"less when the result is in the cache.{_queue_note()}"
    )
if st.button("Enhance x4", type="primary"):
    area = ", ".join(f"{v:.4f}" for v in st.session_state["area"] or ())
    request = EnhanceRequest(
        original,
        pipeline,
        preset,
        consistent,
        label=f"{st.session_state['scene'].id} · {area}",
        by=st.session_state["annotator"],
    )
    try:
        jobs_panel.follow(st.session_state, manager().submit(request))
    except UserError as err:
        st.error(plain(err))
    else:
        st.rerun()  # the panel shows the new job; a quick one may already be done
if st.session_state.get("job"):
    st.info(
        "Enhancing in the background: follow it in the sidebar. You can label on the original "
        "meanwhile; the enhanced image appears on the maps when it is done."
    )

enhanced = st.session_state["enhanced"]
if enhanced is None:
    if not st.session_state.get("job"):
        st.info("Choose a pipeline and press **Enhance x4**.")
    st.stop()

done = st.session_state["pipeline"]
details = [PIPELINE_NAMES.get(done, done)]
if st.session_state.get("preset"):
    details.append(f"preset {st.session_state['preset']}")
if st.session_state.get("model_version"):
    details.append(f"model {st.session_state['model_version']}")
st.success(
    f"Enhanced with {', '.join(details)}: {enhanced.width} x {enhanced.height} px "
    f"at {enhanced.resolution:.1f} m. Left: original 10 m (slider: where the enhancement departs "
    "from it). Right: enhanced over the original; drag the bar to swipe between them, the slider "
    "sets its opacity."
)
labels = {"type": "FeatureCollection", "features": []}
set_name = st.session_state.get("label_set")
if set_name:
    try:
        labels = label_store().load(set_name)
    except LabelError as err:
        st.warning(plain(err))
cons = st.session_state["consistency"]
heat = overlay(cons, rgba=heat_rgba(cons, CONSISTENCY_MAX))
st_folium(
    compare_map(
        image_overlay("original", composite),
        image_overlay("enhanced", composite),
        labels,
        set_classes(labels),
        PIPELINE_NAMES.get(done, done),
        heat,
        CONSISTENCY_MAX,
    ),
    key="compare_map",
    returned_objects=[],
    use_container_width=True,
    height=520,
)
st.caption(
    f"Departure from the 10 m image: mean over bands {np.nanmean(cons.data):.4f} reflectance "
    "(the colour scale on the left map)."
)
scene = st.session_state["scene"]
name = re.sub(r"[^\w.-]+", "_", f"{scene.id}_{done}_x4") + ".tif"
st.download_button(
    "Download the enhanced GeoTIFF",
    geotiff_bytes(enhanced.data, enhanced.crs.to_wkt(), tuple(enhanced.transform), enhanced.bands),
    file_name=name,
    mime="image/tiff",
    on_click="ignore",  # a rerun is not needed, and could cancel the download (views/pages/sets.py)
)
st.page_link("views/pages/label.py", label="Label fields →")
