"""Text on the printed map: what the fonts can draw, and colours as matplotlib takes them."""

from __future__ import annotations

from functools import lru_cache

from matplotlib import font_manager

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
