"""What the pages share: session state, cached catalogue and map pictures (not a page itself)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

import access
import settings
from imagery.local import LocalCatalog
from imagery.raster import Raster
from imagery.read import read_preview
from imagery.scene import Scene
from labels.features import LabelError
from labels.store import LabelStore
from views import jobs_panel, workspace
from views.markdown import plain
from webmap.render import Overlay, overlay, stretch_limits

T = TypeVar("T")

#: Largest area the app reads, in 10 m pixels a side: the x4 image (2048 px) is shown unreduced.
APP_MAX_SIZE = 512


PAGE_RUNS = "page_runs"


def init_state() -> None:
    """Session keys used across pages, created once per session, and the annotator field."""
    defaults: dict[str, Any] = {
        "area": None,  # (west, south, east, north) in degrees
        "scene": None,  # Scene the area was read from
        "original": None,  # Raster of the area, 10 m
        "enhanced": None,  # Raster, 2.5 m
        "pipeline": None,  # name of the pipeline that made "enhanced"
        "preset": None,  # its Deep Image Prior preset, when it used DIP
        "model_version": None,  # hash of its trained weights, when it used any
        "consistency": None,  # Raster: departure of "enhanced" from "original", 10 m
        "stac_scenes": [],
        "overlays": {},  # (image, composite) -> Overlay for the current area
        "annotator": "",
        "label_set": None,  # name of the set being labelled; the Label sets page can change it
        "consistent": True,  # whether "enhanced" ends with the data-consistency step
    }
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value
    # the session's page runs, every page counted (a page tells from it whether another ran
    # since its own last run: views.label_state.LabelPageState.came_back)
    st.session_state[PAGE_RUNS] = st.session_state.get(PAGE_RUNS, 0) + 1
    # widget state Streamlit would drop on pages without the widget (the Label page's choices)
    for key in (workspace.CROP_KEY, workspace.SUGGEST_KEY, workspace.OTHER_KEY):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    user = access.signed_in()
    if access.users() and not user:  # a page reached without signing in (app.py hides them)
        access.sign_in_page()
        st.stop()
    if "restored" not in st.session_state:  # a new session: reopen where the address says
        st.session_state["restored"] = True
        note = workspace.from_url(st.session_state, local_catalog(), APP_MAX_SIZE)
        if note:
            st.warning(plain(note))
    jobs_panel.collect(st.session_state)
    workspace.to_url(st.session_state, signed_in=bool(user))
    jobs_panel.panel()
    if user:  # login on: the annotator is who signed in
        st.session_state["annotator"] = user
        st.sidebar.text_input("Annotator", user, disabled=True, help="The signed-in user.")
        if st.sidebar.button("Sign out"):
            access.sign_out()
            st.rerun()
        return
    # The name field is drawn by each page: in the entry script (before st.navigation) Streamlit
    # 1.67 drops what is typed in a server's first session. A plain key keeps it across pages.
    st.session_state["annotator"] = st.sidebar.text_input(
        "Annotator", st.session_state["annotator"], help="Your name, saved with every polygon."
    ).strip()


def attempt(action: Callable[[], T], where: Any = st) -> T | None:
    """Run a change to a label set; a refusal (a bad name, a damaged file, a full disk) is shown
    as one error box in ``where`` (as text: it quotes names and files) and ``None`` returned."""
    try:
        return action()
    except LabelError as err:
        where.error(plain(err))
        return None


def local_catalog() -> LocalCatalog:
    return LocalCatalog(settings.scene_dirs())


def label_store() -> LabelStore:
    return LabelStore(settings.labels_dir())


def pick_label_set(store: LabelStore, names: list[str]) -> tuple[str, dict[str, Any]]:
    """A choice of the existing sets (the session's current one first) and the chosen set;
    a damaged file stops the page with its message."""
    current = st.session_state.get("label_set")
    name = st.selectbox("Label set", names, index=names.index(current) if current in names else 0)
    try:
        return name, store.load(name)
    except LabelError as err:
        st.error(plain(err))
        st.stop()


@st.cache_data(show_spinner="Reading scene preview…", max_entries=16)
def scene_preview(scene: Scene) -> Overlay:
    return overlay(read_preview(scene), "true", max_size=768)


def image_overlay(image: str, composite: str) -> Overlay:
    """The map picture of ``"original"`` or ``"enhanced"``, stretched like the original so both
    look alike, computed once per area and enhancement."""
    cache: dict[tuple[str, str], Overlay] = st.session_state["overlays"]
    if (image, composite) not in cache:
        raster: Raster = st.session_state[image]
        limits = stretch_limits(st.session_state["original"], composite)
        cache[(image, composite)] = overlay(raster, composite, limits)
    return cache[(image, composite)]


def set_area_raster(scene: Scene, raster: Raster) -> None:
    """A new area replaces the old one and everything computed from it."""
    workspace.replace_area(st.session_state, scene, st.session_state["area"], raster)
    write_address()


def write_address() -> None:
    """Write the session's working state to the page's address now, not only on the next run."""
    workspace.to_url(st.session_state, signed_in=bool(access.signed_in()))
