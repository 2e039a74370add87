"""The printed page: its size in inches and pixels, its resolution, its title.

``geoapp export --size/--width/--height/--dpi/--title`` and ``/export.<fmt>?size=&title=``
take the same text; both call these parsers, so a value valid in one is valid in
the other and a bad one fails with the same message (a
:class:`~geoapp.errors.QueryError`: exit 2 on the CLI, 400 on the web).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from geoapp.errors import QueryError

#: The page rule, the one for ``--size``, ``--width/--height/--dpi`` and ``?size=``. Fonts
#: are in points, so a page needs inches as well as pixels: at 6 x 4 in the title, legend and
#: labels fit; under 600 x 400 px they cannot be read; over 6000 px a side costs seconds and
#: hundreds of MB. A dpi outside 72 to 1000 is a typo (6000 px / 6 in is 1000 dpi).
MIN_INCHES = (6.0, 4.0)
MIN_PIXELS = (600, 400)
MAX_PIXELS = 6000
#: The most pixels in all (EXPORT_MAX_PIXELS in geoapp.config, which may lower or raise it):
#: 6000 x 4000. The raster being drawn takes 4 bytes a pixel.
DEFAULT_MAX_AREA = 24_000_000
DPI_RANGE = (72.0, 1000.0)
DEFAULT_DPI = 150.0


def page_hint(max_area: int = DEFAULT_MAX_AREA) -> str:
    """The page rule in words, with the pixel budget in force."""
    return (
        f"a page at least {MIN_INCHES[0]:g} x {MIN_INCHES[1]:g} in and "
        f"{MIN_PIXELS[0]} x {MIN_PIXELS[1]} px, at most {MAX_PIXELS} px a side and "
        f"{max_area} px in all, at {DPI_RANGE[0]:g} to {DPI_RANGE[1]:g} dpi"
    )


PAGE_HINT = page_hint()
SIZE_PATTERN = re.compile(r"([0-9]{1,5})[xX]([0-9]{1,5})")
SIZE_HINT = f"WIDTHxHEIGHT in pixels, {PAGE_HINT}"


@dataclass(frozen=True)
class Page:
    """Figure size in inches and resolution in dots per inch."""

    width: float = 10.0
    height: float = 7.0
    dpi: float = DEFAULT_DPI
    #: Every type size on the page is multiplied by this (a slide is read from afar).
    type_scale: float = 1.0

    @classmethod
    def from_pixels(
        cls, width: int, height: int, dpi: float = DEFAULT_DPI, type_scale: float = 1.0
    ) -> Page:
        return cls(width / dpi, height / dpi, dpi, type_scale)

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * self.dpi), round(self.height * self.dpi)

    def fits(self, max_area: int = DEFAULT_MAX_AREA) -> bool:
        """Whether the page keeps :func:`page_hint` (small float slack on the inches)."""
        dpi = self.dpi
        if not all(math.isfinite(v) for v in (self.width, self.height, dpi)):
            return False
        w, h = self.pixels
        return (
            DPI_RANGE[0] <= dpi <= DPI_RANGE[1]
            and self.width >= MIN_INCHES[0] - 1e-9
            and self.height >= MIN_INCHES[1] - 1e-9
            and MIN_PIXELS[0] <= w <= MAX_PIXELS
            and MIN_PIXELS[1] <= h <= MAX_PIXELS
            and w * h <= max_area
        )


def parse_size(raw: str | None) -> tuple[int, int] | None:
    """Parse ``WIDTHxHEIGHT`` in pixels (``1600x1000``); None when absent.

    Only the form is checked here; :func:`parse_page` applies the page rule.
    """
    if raw is None or not raw.strip():
        return None
    # ASCII digits only: str.isdigit() and int() also take "²" or "٣", which are no size.
    match = SIZE_PATTERN.fullmatch(raw.strip())
    if match is None:
        raise QueryError("size", raw, SIZE_HINT)
    return int(match[1]), int(match[2])


#: Named pages for reports, slides and posts: (width, height, unit, dpi, type scale).
#: Paper is in inches at 300 dpi (print); screens are in pixels, at a dpi that makes the
#: type read at the size they are shown (a slide from across a room, a post on a phone).
PRESETS: dict[str, Page] = {
    "a4-landscape": Page(11.69, 8.27, 300.0),
    "a4-portrait": Page(8.27, 11.69, 300.0),
    "letter-landscape": Page(11.0, 8.5, 300.0),
    "slide-16x9": Page.from_pixels(1920, 1080, dpi=144.0, type_scale=1.35),
    "social-1200x675": Page.from_pixels(1200, 675, dpi=100.0, type_scale=1.5),
}


def parse_preset(raw: str | None) -> Page | None:
    """The page a preset names (``a4-landscape``), or None when absent or blank."""
    if raw is None or not raw.strip():
        return None
    page = PRESETS.get(raw.strip())
    if page is None:
        raise QueryError("preset", raw, list(PRESETS))
    return page


def parse_page(
    size: str | None = None,
    width: float | None = None,
    height: float | None = None,
    dpi: float | None = None,
    max_area: int = DEFAULT_MAX_AREA,
    preset: str | None = None,
) -> Page:
    """The page of an image export from pixels (``size``) or inches, at ``dpi``.

    ``max_area`` is the most pixels in all (the setting EXPORT_MAX_PIXELS).

    Without ``dpi``, a ``size`` is drawn at 150 dpi, or lower where that keeps the
    page at least 6 x 4 in (600 x 400 px is a 6 x 4 in page at 100 dpi), so that
    text in points fits any size the rule lets through.

    Raises
    ------
    QueryError
        When the page breaks the rule; the message states the rule (:data:`PAGE_HINT`).

    Examples
    --------
    >>> parse_page("600x400")
    Page(width=6.0, height=4.0, dpi=100.0, type_scale=1.0)

    A ``preset`` names the page (:data:`PRESETS`); it takes no size, but a ``dpi``
    redraws it at another resolution (the type keeps its size in points).
    """
    named = parse_preset(preset)
    if named is not None:
        if size or width is not None or height is not None:
            raise QueryError("preset", preset, "a preset or a size, not both")
        page = named if dpi is None else replace(named, dpi=dpi)
        if not page.fits(max_area):
            raise QueryError("dpi", f"{dpi:g}", page_hint(max_area))
        return page
    pixels = parse_size(size)
    if pixels is not None:
        value = size if dpi is None else f"{size} at {dpi:g} dpi"
        if dpi is None:
            dpi = min(DEFAULT_DPI, pixels[0] / MIN_INCHES[0], pixels[1] / MIN_INCHES[1])
        page, what = Page.from_pixels(*pixels, dpi=dpi), "size"
    else:
        page = Page(width or Page.width, height or Page.height, dpi or DEFAULT_DPI)
        given = {"width": width, "height": height, "dpi": dpi}
        what = next((k for k, v in given.items() if v is not None), "size")
        value = ", ".join(f"{k} {v:g}" for k, v in given.items() if v is not None)
    if not page.fits(max_area):
        hint = page_hint(max_area)
        raise QueryError(what, value, hint if pixels is None else f"WIDTHxHEIGHT in pixels, {hint}")
    return page


#: Longest title (characters): a longer one cannot be read on any page.
MAX_TITLE = 200
TITLE_HINT = f"at most {MAX_TITLE} characters; empty for the default title"


def parse_title(raw: str | None) -> str | None:
    """The title of an export, or None for the default: the CLI's and the web's one rule.

    An empty (or blank) title counts as absent, as a form's blank field does.
    """
    if raw is None or not raw.strip():
        return None
    if len(raw) > MAX_TITLE:
        raise QueryError("title", raw[:20] + "…", TITLE_HINT)
    return raw
