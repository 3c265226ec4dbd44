"""Page 5: what a label set says: area under each crop, field sizes, progress per annotator and
of the review, and how far two annotators (or this set and another) agree."""

from __future__ import annotations

import statistics
from typing import Any

import streamlit as st

from labels.agreement import MIN_IOU, Agreement, agreement, of_annotator
from labels.classes import safe_colour, set_classes
from labels.review import counts
from labels.stats import area_by_class, areas, by_annotator, size_histogram
from views.common import attempt, init_state, label_store, pick_label_set

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

st.subheader("Agreement")
st.caption(
    "Polygons of A and B matched one to one where their intersection over union (IoU, in "
    f"metres) is at least {MIN_IOU}; class agreement is the share of matched pairs given the "
    "same crop class."
)
ANNOTATORS, SETS = "Two annotators of this set", "This set (A) and another (B)"
pair: tuple[dict[str, Any], dict[str, Any]] | None = None
if st.radio("Compare", [ANNOTATORS, SETS], horizontal=True) == ANNOTATORS:
    if len(people) < 2:
        st.info("Only one annotator has labelled this set.")
    else:
        left, right = st.columns(2)
        who_a = left.selectbox("Annotator A", list(people), index=0)
        who_b = right.selectbox("Annotator B", list(people), index=1)
        pair = (of_annotator(data, who_a), of_annotator(data, who_b))
elif len(names) < 2:
    st.info("There is no other label set.")
else:
    other = st.selectbox("Set B", [n for n in names if n != name])
    loaded = attempt(lambda: store.load(other))
    pair = (data, loaded) if loaded is not None else None
result: Agreement | None = None
if pair is not None:
    set_a, set_b = pair
    result = attempt(lambda: agreement(set_a, set_b))
if result is not None:
    cells = st.columns(5)
    cells[0].metric("Matched", result["matched"])
    cells[1].metric("Only in A", result["only_a"])
    cells[2].metric("Only in B", result["only_b"])
    mean_iou, same_class = result["mean_iou"], result["class_agreement"]
    cells[3].metric("Mean IoU", "–" if mean_iou is None else f"{mean_iou:.2f}")
    cells[4].metric("Class agreement", "–" if same_class is None else f"{same_class:.0%}")
