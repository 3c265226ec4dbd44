"""Map elements whose rendered script goes into the page as it is.

branca's ``MacroElement.render`` wraps each element's rendered script in a new ``Element``,
which compiles that text as a Jinja template before rendering it back unchanged. For an image
overlay (its PNG inline, megabytes of base64) or thousands of label polygons as JSON, that
compile cost more than everything else the page did (seconds a run with 5,000 polygons,
docs/benchmarks.md). :class:`PlainMacro` renders the same header, html and script parts without
it; mixed in after a folium class (``class X(folium.Class, PlainMacro)``), it takes the place of
``MacroElement.render`` at the end of that class's ``render`` chain.
"""

from __future__ import annotations

import html
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement


class Rendered(Element):
    """Text already rendered, added to a figure as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class PlainMacro(MacroElement):
    """A ``MacroElement`` whose rendered parts are not compiled again (see the module)."""

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        assert isinstance(figure, Figure), "an element is rendered inside a figure"
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                target = getattr(figure, part)
                target.add_child(Rendered(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
        return ""  # what it renders went into the figure (as with branca's own)


class ImageOverlay(folium.raster_layers.ImageOverlay, PlainMacro):
    """folium's image overlay, its inline PNG not compiled as a template on every run."""


def tooltip_text(text: str) -> str:
    """``text`` (a file name, a set name, a reason) as a folium tooltip shows it: HTML-escaped,
    and its braces as entities, since folium compiles the rendered tooltip as a template."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")
