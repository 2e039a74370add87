"""Text on the printed map: the settings it is drawn with, what the fonts can draw, halos."""

from __future__ import annotations

from functools import lru_cache

import matplotlib
from matplotlib import font_manager, patheffects
from matplotlib.text import Annotation, Text

#: The settings every printed map is measured and drawn with, set for the whole process
#: when this module is imported. matplotlib reads them from its global ``rcParams``
#: while drawing, and ``rc_context`` would swap those for every thread at once, so
#: concurrent web exports would draw with each other's settings; geoapp is the only
#: user of matplotlib in its processes (the web app or the CLI). Text stays text:
#: ``<text>`` in the SVG (in the font stack below, which browsers and rsvg resolve),
#: TrueType fonts embedded in the PDF (selectable and searchable; the default, Type 3,
#: is neither for many readers). Glyphs are not hinted on the Agg canvas: hinting
#: snaps advances to the pixel grid, so a PNG's words would be wider or narrower than
#: the same words in the PDF and SVG, which are laid out from the font's own metrics.
PRINT_RC = {
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "text.hinting": "no_hinting",
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans", "Bitstream Vera Sans", "Verdana", "Arial",
                        "Helvetica", "sans-serif"],
}  # fmt: skip
matplotlib.rcParams.update(PRINT_RC)

#: CSS pixels (the web map's unit) to typographic points (matplotlib's).
PX_TO_PT = 0.75

#: Drawn instead of a character no font has: what matplotlib would draw, without its warning.
MISSING_GLYPH = "\N{WHITE SQUARE}"


@lru_cache(maxsize=4)
def _charmap(weight: str = "normal", style: str = "normal") -> frozenset[int]:
    """The code points the default font of a weight and style has glyphs for."""
    path = font_manager.findfont(font_manager.FontProperties(weight=weight, style=style))
    return frozenset(font_manager.get_font(path).get_charmap())


def printable(text: str, weight: str = "normal", style: str = "normal") -> str:
    """``text`` with characters the font lacks (and controls) shown as a white square.

    Any text a user or the data gives (a title in Chinese, an emoji) draws with no
    warning: matplotlib would warn once per missing glyph and draw a box anyway.
    """
    known = _charmap(weight, style)
    return "".join(c if c == "\n" or ord(c) in known else MISSING_GLYPH for c in text)


def rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


#: The ``gid`` of every halo (the SVG's group id): what reads the map back can skip them.
HALO_GID = "halo"


def snap_to_pixels(text: Text, renderer) -> None:
    """Move a one-line ``text`` by under a pixel so that its baseline and left edge fall on
    whole pixels of the layout canvas.

    Agg draws a line of text at the pixel nearest its position while a PDF or SVG
    viewer draws it where it is, so a baseline half-way between two rows is a row
    apart in the two: the glyphs' edges then differ strongly. On whole pixels they
    agree. The move is at most half a pixel (a third of a point at 100 dpi).
    """
    if "\n" in text.get_text():
        return
    box = text.get_window_extent(renderer)
    _, _, descent = renderer.get_text_width_height_descent(
        text.get_text(), text.get_fontproperties(), ismath=False
    )
    dx, dy = round(box.x0) - box.x0, round(box.y0 + descent - 0.5) + 0.5 - (box.y0 + descent)
    if isinstance(text, Annotation):
        scale = 72 / text.figure.dpi  # offset points per pixel
        ox, oy = text.xyann
        text.xyann = (ox + dx * scale, oy + dy * scale)
    else:
        transform = text.get_transform()
        x, y = transform.transform(text.get_position())
        text.set_position(transform.inverted().transform((x + dx, y + dy)))


def halo_for(text: Text, width: float, colour: str = "white") -> Text:
    """Draw a ``colour`` outline of ``width`` points under ``text``, as a path of its own.

    A path effect on the text itself would make the PDF and SVG backends draw the
    text as outlines (not selectable, not searchable, not editable); the outline as a
    second artist leaves the text as text. Works for plain texts and annotations.
    """
    ax = text.axes
    if isinstance(text, Annotation):
        halo = ax.annotate(text.get_text(), text.xy, xytext=text.xyann, xycoords=text.xycoords,
                           textcoords=text.anncoords, annotation_clip=False)  # fmt: skip
    else:
        halo = ax.text(*text.get_position(), text.get_text(), transform=text.get_transform())
    halo.update_from(text)
    halo.set_parse_math(False)
    halo.set_color(colour)
    halo.set_zorder(text.get_zorder() - 0.05)
    halo.set_path_effects([patheffects.Stroke(linewidth=width, foreground=colour)])
    halo.set_gid(HALO_GID)
    return halo
