from labels.classes import CROP_CLASSES, safe_colour, set_classes


def test_a_sets_own_classes_replace_the_defaults():
    assert set_classes({"label_set": {"classes": {"olives": "#00ff00"}}}) == {"olives": "#00ff00"}
    assert set_classes({"features": []}) == CROP_CLASSES


def test_only_plain_hex_colours_reach_html():
    assert safe_colour("#1b9e77") == "#1b9e77"
    for hostile in ('red;background:url(x)"><script>', "#12", "expression(alert(1))", None):
        assert safe_colour(hostile) == "#3388ff"
