"""Page 4: label sets: create, rename, delete; classes; import and export; restore; history."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import streamlit as st

from labels.classes import set_classes
from labels.export import export
from labels.features import LabelError
from labels.imports import MAX_BYTES, read_polygons
from pages.common import attempt, init_state, label_store, pick_label_set

EXPORTS = [
    ("GeoJSON (WGS84)", ".geojson", "enhanced", "application/geo+json"),
    ("GeoPackage (UTM)", ".gpkg", "enhanced", "application/geopackage+sqlite3"),
    ("Shapefile (UTM, zip)", ".zip", "enhanced", "application/zip"),
    ("CSV with WKT", ".csv", "enhanced", "text/csv"),
    ("Mask, enhanced grid (GeoTIFF)", ".tif", "enhanced", "image/tiff"),
    ("Mask, original grid (GeoTIFF)", ".tif", "original", "image/tiff"),
]

init_state()
st.title("Label sets")
store = label_store()
names = store.names()
annotator = st.session_state["annotator"]

with st.expander("New label set", expanded=not names):
    new = st.text_input("Name of the new set")
    if st.button("Create", disabled=not new.strip()):
        if new.strip() in names:
            st.error(f"a label set {new.strip()!r} exists already")
        elif attempt(lambda: store.apply(new.strip(), info={"created_by": annotator})) is not None:
            st.session_state["label_set"] = new.strip()
            st.rerun()
if not names:
    st.stop()

name, data = pick_label_set(store, names)
st.session_state["label_set"] = name
meta = data.get("label_set", {})
st.caption(
    f"{len(data['features'])} polygons · scene {meta.get('scene_id', '?')} "
    f"({meta.get('scene_date') or 'date unknown'}) · created {meta.get('created', '?')} by "
    f"{meta.get('created_by') or '?'} · file {store.path(name)}"
)

st.subheader("Export")
cols = st.columns(3)
for i, (label, suffix, image, mime) in enumerate(EXPORTS):
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = export(data, Path(tmp) / f"{name}{suffix}", image)
            content = out.read_bytes()
    except LabelError as err:
        cols[i % 3].caption(f"{label}: {err}")
        continue
    except OSError as err:  # the temporary folder's disk is full
        cols[i % 3].caption(f"{label}: could not be written ({err.strerror or err})")
        continue
    cols[i % 3].download_button(
        label, content, file_name=f"{name}{suffix}", mime=mime, key=f"export_{i}"
    )

st.subheader("Import")
upload = st.file_uploader(
    f"GeoJSON, GeoPackage or zipped Shapefile (any CRS, at most {MAX_BYTES // 2**20} MB)",
    type=["geojson", "json", "gpkg", "zip"],
)
field = st.text_input("Property that holds the crop class", "crop_class")
if upload is not None and st.button("Import into this set"):
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            features = read_polygons(
                path, field, annotator or "import", meta.get("scene_id") or "import"
            )
        saved = store.apply(name, features, who=annotator)
    except LabelError as err:
        st.error(f"Nothing was imported: {err}")
    except OSError as err:  # the upload could not be put in a temporary folder
        st.error(f"Nothing was imported: the upload could not be read ({err.strerror or err})")
    else:
        st.success(f"Imported {saved.applied} polygons.")

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
    if attempt(lambda: store.update_info(name, {"classes": classes})) is not None:
        st.success(f"Saved {len(classes)} classes.")

st.subheader("Deleted polygons")
gone = store.deleted(name)
if not gone:
    st.caption("None.")
for f in gone[:20]:
    c1, c2 = st.columns([4, 1])
    c1.write(f"{f['properties']['crop_class']} · {f['properties']['annotator']} · {f['id'][:8]}")
    if (
        c2.button("Restore", key=f"restore_{f['id']}")
        and attempt(partial(store.apply, name, [f], who=annotator)) is not None
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
        r1.error(str(err))
    else:
        st.session_state["label_set"] = target.strip()
        st.rerun()
sure = r2.checkbox(f"Yes, delete “{name}” (it goes to the trash folder)")
if (
    r2.button("Delete set", disabled=not sure, type="primary")
    and attempt(lambda: store.delete(name), r2) is not None
):
    st.session_state.pop("label_set", None)
    st.rerun()
