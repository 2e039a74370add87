"""What an export shows: sectors, layers and a view, parsed once for the CLI and the web.

``geoapp export --sectors ... --layers ... --bbox ...`` and ``/export.<fmt>?sectors=...``
take the same comma-separated text; both call :func:`parse_selection`, so a value
valid in one is valid in the other and a bad one fails with the same message
(a :class:`~geoapp.catalog.QueryError`: exit 2 on the CLI, 400 on the web).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geoapp import catalog
from geoapp.catalog import BBox, Catalog, QueryError, parse_list
from geoapp.schema import SECTORS, THEMATIC_LAYERS

#: The default view: the Caspian Sea with the littoral states' coasts and all of
#: Turkmenistan, where the articles' sites are (minlon, minlat, maxlon, maxlat).
#: The one definition of "the Caspian region": the map page opens on it
#: (geoapp.webmap) and exports without a bbox show it.
CASPIAN_BBOX: BBox = (44.0, 35.0, 67.0, 48.0)

BBOX_HINT = f"{catalog.BBOX_HINT}, min < max"


@dataclass(frozen=True)
class Selection:
    """The sectors, layers and view of one export."""

    sectors: tuple[str, ...] = tuple(SECTORS)
    layers: tuple[str, ...] = THEMATIC_LAYERS
    bbox: BBox = CASPIAN_BBOX

    def features(self, catalog: Catalog) -> dict[str, list[dict]]:
        """The selected GeoJSON features of each selected layer, in layer order."""
        return {
            layer: catalog.features(layer, sectors=self.sectors, bbox=self.bbox)
            for layer in self.layers
        }

    def replace(self, **changes) -> Selection:
        """A copy with some fields changed (for ``--each``)."""
        return Selection(**{**self.__dict__, **changes})


def parse_bbox(raw: str | None) -> BBox | None:
    """Parse ``minlon,minlat,maxlon,maxlat`` as the API does, and refuse an empty box."""
    if raw is None or not raw.strip():
        return None
    minx, miny, maxx, maxy = catalog.parse_bbox(raw)
    if not (minx < maxx and miny < maxy):
        raise QueryError("bbox", raw, BBOX_HINT)
    return minx, miny, maxx, maxy


def parse_selection(
    sectors: str | None = None, layers: str | None = None, bbox: str | None = None
) -> Selection:
    """Build a Selection from the text of the three options; absent means all, empty none.

    Raises
    ------
    QueryError
        On an unknown sector or layer, or a malformed bbox; the message names the
        valid values.

    Examples
    --------
    >>> parse_selection("energy", "pipelines,ports").layers
    ('pipelines', 'ports')
    """
    chosen_sectors = parse_list("sectors", sectors, SECTORS)
    chosen_layers = parse_list("layers", layers, THEMATIC_LAYERS)
    return Selection(
        sectors=tuple(SECTORS) if chosen_sectors is None else chosen_sectors,
        layers=THEMATIC_LAYERS if chosen_layers is None else chosen_layers,
        bbox=parse_bbox(bbox) or CASPIAN_BBOX,
    )


#: Bounds of an image's width and height in pixels.
MIN_PIXELS, MAX_PIXELS = 200, 6000
SIZE_PATTERN = re.compile(r"([0-9]{1,5})[xX]([0-9]{1,5})")
SIZE_HINT = f"WIDTHxHEIGHT in pixels, each {MIN_PIXELS} to {MAX_PIXELS}"


def parse_size(raw: str | None) -> tuple[int, int] | None:
    """Parse ``WIDTHxHEIGHT`` in pixels (``1600x1000``); None when absent."""
    if raw is None or not raw.strip():
        return None
    # ASCII digits only: str.isdigit() and int() also take "²" or "٣", which are no size.
    match = SIZE_PATTERN.fullmatch(raw.strip())
    if match is None:
        raise QueryError("size", raw, SIZE_HINT)
    size = int(match[1]), int(match[2])
    if not all(MIN_PIXELS <= v <= MAX_PIXELS for v in size):
        raise QueryError("size", raw, SIZE_HINT)
    return size
