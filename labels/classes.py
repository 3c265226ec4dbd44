"""Crop classes offered when labelling, with the colour each is drawn in."""

CROP_CLASSES: dict[str, str] = {
    "winter wheat": "#e6ab02",
    "maize": "#1b9e77",
    "barley": "#d95f02",
    "rapeseed": "#ffff33",
    "sugar beet": "#e7298a",
    "potatoes": "#a6761d",
    "grassland": "#66a61e",
    "fallow": "#999999",
    "other": "#7570b3",
}
