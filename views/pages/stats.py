"""Page 5: what a label set says: area under each crop, field sizes, progress per annotator and
of the review."""

from __future__ import annotations

import statistics

import streamlit as st

from labels.classes import safe_colour, set_classes
from labels.review import counts
from labels.stats import area_by_class, areas, by_annotator, size_histogram
from views.common import init_state, label_store, pick_label_set

init_state()
st.title("Statistics")
store = label_store()
names = store.names()
if not names:
    st.info("No label set yet.")
    st.stop()
name, data = pick_label_set(store, names)
if not data["features"]:
    st.info("This set has no polygons yet.")
    st.stop()

sizes = areas(data)
c1, c2, c3 = st.columns(3)
c1.metric("Fields", len(sizes))
c2.metric("Labelled area", f"{sum(sizes):.2f} ha")
c3.metric("Median field", f"{statistics.median(sizes):.2f} ha")

st.subheader("Area per crop class")
classes = area_by_class(data)
table = [
    {
        "crop class": c,
        "fields": int(r["fields"]),
        "hectares": round(r["hectares"], 2),
        "share": f"{r['share']:.1%}",
    }
    for c, r in classes.items()
]
st.dataframe(table, hide_index=True)
colours = set_classes(data)
st.vega_lite_chart(  # each class in its map colour, in the table's order
    # rows, not {"values": ...}: a dict is read as a table of one column "values" (no bars)
    [{"crop class": c, "hectares": r["hectares"]} for c, r in classes.items()],
    {
        "mark": "bar",
        "encoding": {
            "x": {"field": "crop class", "type": "nominal", "sort": None},
            "y": {"field": "hectares", "type": "quantitative"},
            "color": {
                "field": "crop class",
                "type": "nominal",
                "legend": None,
                "scale": {
                    "domain": list(classes),
                    "range": [safe_colour(colours.get(c, "")) for c in classes],
                },
            },
        },
    },
)

st.subheader("Field sizes")
st.bar_chart(  # bins in size order, not as text
    [{"field size": label, "fields": n} for label, n in size_histogram(sizes)],
    x="field size",
    y="fields",
    sort=False,
)

st.subheader("Progress per annotator")
people = by_annotator(data)
st.dataframe(
    [
        {"annotator": a, "fields": int(r["fields"]), "hectares": round(r["hectares"], 2)}
        for a, r in people.items()
    ],
    hide_index=True,
)

st.subheader("Review")
st.dataframe(
    [{"status": s, "fields": n} for s, n in counts(data["features"]).items()], hide_index=True
)
