"""Page 4: label sets: create, rename, delete; classes; import and export; restore; history."""

from __future__ import annotations

import json
import tempfile
from functools import partial
from pathlib import Path

import streamlit as st

import access
from imagery.stac import StacCatalog
from labels.classes import set_classes
from labels.export import export, legend
from labels.features import LabelError
from labels.readers import MAX_BYTES
from labels.session import LabelSession
from views import workspace
from views.common import (
    APP_MAX_SIZE,
    attempt,
    init_state,
    label_store,
    local_catalog,
    pick_label_set,
)
from views.markdown import plain

#: label, end of the file name, image grid (for masks), MIME type. Each grid's mask has its own
#: file name; the legend (the same for both) is a download of its own.
EXPORTS = [
    ("GeoJSON (WGS84)", ".geojson", "enhanced", "application/geo+json"),
    ("GeoPackage (UTM)", ".gpkg", "enhanced", "application/geopackage+sqlite3"),
    ("Shapefile (UTM, zip)", ".zip", "enhanced", "application/zip"),
    ("CSV with WKT (WGS84 longitude, latitude)", ".csv", "enhanced", "text/csv"),
    ("fiboa GeoParquet (WGS84)", ".parquet", "enhanced", "application/vnd.apache.parquet"),
    ("Mask, enhanced grid (GeoTIFF)", "_mask_2.5m.tif", "enhanced", "image/tiff"),
    ("Mask, original grid (GeoTIFF)", "_mask_10m.tif", "original", "image/tiff"),
]

init_state()
st.title("Label sets")
store = label_store()
names = store.names()
annotator = st.session_state["annotator"]

# a form: Create sends the name as typed, without waiting for the field to lose the focus
with st.expander("New label set", expanded=not names), st.form("new_set", border=False):
    new = st.text_input("Name of the new set").strip()
    if st.form_submit_button("Create"):
        if not new:
            st.error("Type a name for the new set first.")
        elif new in names:
            st.error(f"a label set {plain(repr(new))} exists already")
        elif attempt(lambda: LabelSession(store, new, annotator).create()) is not None:
            st.session_state["label_set"] = new
            st.rerun()
if not names:
    st.stop()

name, data = pick_label_set(store, names)
st.session_state["label_set"] = name
session = LabelSession(store, name, annotator)
meta = data.get("label_set", {})
st.caption(  # what the file says, as text
    f"{len(data['features'])} polygons · scene {plain(meta.get('scene_id', '?'))} "
    f"({plain(meta.get('scene_date') or 'date unknown')}) · created "
    f"{plain(meta.get('created', '?'))} by {plain(meta.get('created_by') or '?')} · file "
    f"{plain(store.path(name))}"
)

area, scene_id = meta.get("area_bbox"), meta.get("scene_id")
if area and scene_id and st.button("Open this set's area", help="Read it and go to labelling"):
    catalog = StacCatalog() if meta.get("scene_source") == "stac" else local_catalog()
    note = workspace.open_area(st.session_state, catalog, scene_id, tuple(area), APP_MAX_SIZE)
    if note:
        st.error(plain(note))
    else:
        workspace.to_url(st.session_state, signed_in=bool(access.signed_in()))
        st.switch_page("views/pages/label.py")

st.subheader("Export")
cols = st.columns(3)
for i, (label, ending, image, mime) in enumerate(EXPORTS):
    try:
        with tempfile.TemporaryDirectory() as tmp:
            content = export(data, Path(tmp) / f"{name}{ending}", image).read_bytes()
    except LabelError as err:
        cols[i % 3].caption(f"{label}: {plain(err)}")
        continue
    except OSError as err:  # the temporary folder's disk is full
        cols[i % 3].caption(f"{label}: could not be written ({plain(err.strerror or err)})")
        continue
    cols[i % 3].download_button(  # no rerun on click: the rerun builds the export again, and a
        # browser test once saw the download of the file it replaced cancelled
        label,
        content,
        file_name=f"{name}{ending}",
        mime=mime,
        key=f"export_{i}",
        on_click="ignore",
    )
try:
    table = legend(data) if data["features"] else None
except LabelError as err:  # more classes than a mask holds: the masks say so above
    cols[len(EXPORTS) % 3].caption(f"Mask legend: {plain(err)}")
    table = None
if table:
    cols[len(EXPORTS) % 3].download_button(
        "Mask legend (JSON)",
        json.dumps(table, indent=1, ensure_ascii=False),
        file_name=f"{name}_mask_classes.json",
        mime="application/json",
        help="Class id -> class and colour; the masks carry it too (tags, colour table).",
        on_click="ignore",
    )

st.subheader("Import")
upload = st.file_uploader(
    f"GeoJSON, GeoPackage, zipped Shapefile or GeoParquet (any CRS, at most "
    f"{MAX_BYTES // 2**20} MB)",
    type=["geojson", "json", "gpkg", "zip", "parquet"],
)
field = st.text_input("Property that holds the crop class", "crop_class")
if upload is not None and st.button("Import into this set"):
    try:
        report = session.import_upload(upload.name, upload.getvalue(), field)
    except LabelError as err:
        st.error(f"Nothing was imported: {plain(err)}")
    else:
        if report.imported:
            st.session_state["imported"] = plain(report.message())
            st.rerun()  # the counts above and the history below include them
        st.warning(plain(report.message()))
if st.session_state.get("imported"):
    st.success(st.session_state.pop("imported"))

st.subheader("Classes")
edited = st.data_editor(
    [{"class": k, "colour": v} for k, v in set_classes(data).items()],
    num_rows="dynamic",
    key=f"classes_{name}",
    column_config={"colour": st.column_config.TextColumn(help="#rrggbb")},
)
if st.button("Save classes"):
    classes = {
        str(r["class"]).strip(): str(r["colour"] or "#3388ff")
        for r in edited
        if r.get("class") and str(r["class"]).strip()
    }
    if attempt(lambda: session.save_classes(classes)) is not None:
        st.success(f"Saved {len(classes)} classes.")

st.subheader("Deleted polygons")
gone = store.deleted(name)
if not gone:
    st.caption("None.")
for f in gone[:20]:
    c1, c2 = st.columns([4, 1])
    props = f["properties"]
    c1.write(" · ".join(plain(v) for v in (props["crop_class"], props["annotator"], f["id"][:8])))
    if (
        c2.button("Restore", key=f"restore_{f['id']}")
        and attempt(partial(session.restore, f)) is not None
    ):
        st.rerun()

st.subheader("History")
history = store.history(name)
fid = st.selectbox(
    "Polygon", sorted({e["id"] for e in history}), index=None, placeholder="Choose a polygon id"
)
rows = [e for e in history if fid is None or e["id"] == fid][-200:]
st.dataframe(
    [
        {
            "time": e["time"],
            "who": e["who"],
            "change": e["op"],
            "polygon": e["id"][:8],
            "class": ((e["after"] or e["before"]) or {}).get("properties", {}).get("crop_class"),
        }
        for e in reversed(rows)
    ],
    hide_index=True,
)

st.subheader("Rename or delete")
r1, r2 = st.columns(2)
target = r1.text_input("New name")
if r1.button("Rename", disabled=not target.strip()):
    try:
        store.rename(name, target.strip())
    except LabelError as err:
        r1.error(plain(err))
    else:
        st.session_state["label_set"] = target.strip()
        st.rerun()
sure = r2.checkbox(f"Yes, delete “{plain(name)}” (it goes to the trash folder)")
if (
    r2.button("Delete set", disabled=not sure, type="primary")
    and attempt(lambda: store.delete(name), r2) is not None
):
    st.session_state.pop("label_set", None)
    st.rerun()
