"""The one place where attributes become style.

Sector -> colour (Okabe–Ito, safe for the common colour-vision deficiencies),
status -> dash pattern and opacity, capacity -> line width, layer -> point
symbol. The web map (Leaflet path options and SVG symbols), the legend and the
static export (matplotlib) all derive from the tables below.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from geoapp.data.schema import LAYERS, SECTORS, STATUSES

#: Okabe & Ito (2008) colour-blind-safe palette.
SECTOR_COLOURS: dict[str, str] = {
    "energy": "#E69F00",  # orange
    "security": "#0072B2",  # blue
    "trade": "#009E73",  # bluish green
}

#: Dash pattern as on-off lengths in line widths (empty: solid), and opacity.
STATUS_STYLES: dict[str, tuple[tuple[float, ...], float]] = {
    "proposed": ((4, 3), 0.95),  # dashed
    "construction": ((1, 2), 0.95),  # dotted
    "operating": ((), 1.0),  # solid
    "shelved": ((6, 2, 1, 2), 0.6),  # dash-dot
    "cancelled": ((1, 4), 0.45),
    "mothballed": ((6, 2, 1, 2), 0.45),
    "retired": ((), 0.35),
    "event": ((), 1.0),
    "area": ((3, 2), 0.9),
    # A border is no project: a dash-dot-dot of its own (see BOUNDARY_COLOUR).
    "boundary": ((5, 2, 1, 2, 1, 2), 0.9),
}

#: Point symbol per layer (one shape each, so they read apart in greyscale too).
LAYER_SYMBOLS: dict[str, str] = {
    "ports": "square",
    "naval_bases": "triangle",
    "borders": "diamond",  # crossings
    "corridors": "circle",  # customs points
    "events": "star",
    "programmes": "hexagon",
}

#: SVG outline of each symbol in a 20 x 20 box: the web map's point icons and its legend.
SYMBOL_PATHS: dict[str, str] = {
    "square": "M4 4H16V16H4Z",
    "triangle": "M10 2L18.5 17H1.5Z",
    "diamond": "M10 1L19 10L10 19L1 10Z",
    "circle": "M10 3A7 7 0 1 1 9.99 3Z",
    "star": "M10 1L12.6 7.2L19.5 7.6L14.2 12L15.9 19L10 15.2L4.1 19L5.8 12L0.5 7.6L7.4 7.2Z",
    "hexagon": "M5.5 2H14.5L19 10L14.5 18H5.5L1 10Z",
}

#: matplotlib marker for each symbol.
MPL_MARKERS: dict[str, str] = {
    "square": "s",
    "triangle": "^",
    "diamond": "D",
    "circle": "o",
    "star": "*",
    "hexagon": "h",
}

BASEMAP_STYLE = {"fill": "#F2EFE9", "edge": "#9A9A9A", "water": "#CFE3F0", "label": "#555555"}
#: Areas at sea are tinted, not painted: several overlap on the sea and must stay readable.
CASPIAN_FILL_OPACITY = 0.12
BASE_WIDTH = 2.5
POINT_RADIUS = 7
#: Outline of point symbols, dashed by status (web icons, legends and the static export).
SYMBOL_EDGE = "#222222"
#: Its width, in the 20-unit box of SYMBOL_PATHS (pixels on the web).
SYMBOL_EDGE_WIDTH = 1.5

#: Optional online tile layers (off by default; see config ONLINE_TILES/DEFAULT_TILES).
TILE_PROVIDERS: dict[str, str] = {
    "osm": "OpenStreetMap.Mapnik",
    "esri": "Esri.WorldImagery",
}


def line_width(props: dict) -> float:
    """Width in pixels (or points): wider for larger capacity, where it is known."""
    capacity = props.get("capacity_bcm")
    if not capacity:
        return BASE_WIDTH
    return round(min(8.0, BASE_WIDTH + capacity / 10), 2)


def dash_array(status: str, width: float) -> str | None:
    """Leaflet/SVG ``dashArray`` for a status at a line width, or None for solid."""
    pattern, _ = STATUS_STYLES[status]
    if not pattern:
        return None
    return " ".join(f"{max(1.0, p * width):g}" for p in pattern)


def mpl_dashes(status: str) -> tuple[int, tuple[float, ...]] | str:
    """matplotlib linestyle for a status: the same pattern, in line widths."""
    pattern, _ = STATUS_STYLES[status]
    return (0, pattern) if pattern else "solid"


@dataclass(frozen=True)
class Style:
    """Resolved style of one feature, in the terms both renderers share."""

    colour: str
    width: float
    dash: str | None
    opacity: float
    fill_opacity: float
    symbol: str | None
    css_class: str

    def leaflet(self) -> dict:
        """Leaflet path options (also used for circle-style markers)."""
        options = {
            "color": self.colour,
            "weight": self.width,
            "opacity": self.opacity,
            "fillColor": self.colour,
            "fillOpacity": self.fill_opacity,
            "className": self.css_class,
        }
        if self.dash:
            options["dashArray"] = self.dash
        return options


def svg_symbol(
    symbol: str,
    colour: str,
    *,
    size: int = 2 * POINT_RADIUS + 6,
    dash: str | None = None,
    opacity: float = 1.0,
) -> str:
    """An inline SVG of a point symbol, filled with the sector colour, outlined by status."""
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="-1 -1 22 22" aria-hidden="true"><path d="{SYMBOL_PATHS[symbol]}" '
        f'fill="{colour}" fill-opacity="{opacity:g}" stroke="{SYMBOL_EDGE}" '
        f'stroke-width="{SYMBOL_EDGE_WIDTH:g}"{dash_attr}/></svg>'
    )


def css_classes(props: dict) -> str:
    """``feature layer-<id> sector-<s>...``: for theming and for the browser tests."""
    sectors = props.get("sectors") or []
    return " ".join(
        ["feature", f"layer-{props['layer']}", *(f"sector-{s}" for s in sectors)]
        + [f"status-{props['status']}"]
    )


def shown_sector(props: dict, selected: Iterable[str] | None = None) -> str:
    """The sector whose colour a feature wears when ``selected`` sectors are switched on.

    Its primary sector when that is on (or when no selection is given); otherwise the
    first of its other sectors that is on, so that a sector switched off never colours
    the map and every colour on it is in the legend. The web map's script applies the
    same rule on every toggle.
    """
    primary = props["sector"]
    if selected is None:
        return primary
    selected = set(selected)
    if primary in selected:
        return primary
    return next((s for s in props.get("sectors", ()) if s in selected), primary)


#: Borders wear one neutral colour whatever sectors are on: in a sector's colour a border
#: would read as a pipeline or a corridor of that sector.
BOUNDARY_COLOUR = "#5a5a5a"


#: How sure a geometry is changes its look, on the web map and the printed map alike:
#: (width factor, opacity factor). Schematic geometry says where, not the line or outline
#: (a route drawn port to port, a programme pinned to its capital, ±25 to 1000 km): it is
#: drawn thinner and fainter, with its own legend row. Approximate geometry (±3 to 30 km
#: for all but one feature: a few pixels at the map's zooms) looks like surveyed.
POSITION_STYLES: dict[str, tuple[float, float]] = {
    "surveyed": (1.0, 1.0),
    "approximate": (1.0, 1.0),
    "schematic": (0.6, 0.5),
}


#: An approximate point off by this much or more (km) is drawn with a soft circle of that
#: radius around its symbol: "somewhere in here". Smaller errors are under a symbol's
#: width at the map's zooms; schematic points are drawn faint instead (a programme pinned
#: to its capital is not "within 1000 km" of anywhere in particular).
UNCERTAINTY_MIN_KM = 20.0
#: Fill opacity of that circle (no edge: it is a zone, not a border).
UNCERTAINTY_OPACITY = 0.14


def uncertainty_km(props: dict, geometry_type: str) -> float | None:
    """The radius (km) of the circle drawn around an approximate point, or None."""
    error = props.get("error_km") or 0
    if (
        geometry_type == "Point"
        and props.get("position") == "approximate"
        and error >= UNCERTAINTY_MIN_KM
    ):
        return float(error)
    return None


def feature_style(props: dict, selected: Iterable[str] | None = None) -> Style:
    """Return the style of a thematic feature from its layer, sector, status, capacity and
    how sure its geometry is (``position``)."""
    status = props["status"]
    thinner, fainter = POSITION_STYLES.get(props.get("position") or "surveyed", (1.0, 1.0))
    width = line_width(props) * thinner
    _, opacity = STATUS_STYLES[status]
    layer = props["layer"]
    neutral = status == "boundary"
    return Style(
        colour=BOUNDARY_COLOUR if neutral else SECTOR_COLOURS[shown_sector(props, selected)],
        width=width,
        dash=dash_array(status, width),
        opacity=opacity * fainter,
        fill_opacity=(CASPIAN_FILL_OPACITY if layer == "caspian" else 0.85) * fainter,
        symbol=LAYER_SYMBOLS.get(layer),
        css_class=css_classes(props),
    )


@dataclass(frozen=True)
class LegendEntry:
    key: str  # "sector:energy", "status:proposed", "position:schematic" or "layer:ports"
    label: str
    count: int
    colour: str | None = None
    dash: str | None = None
    symbol: str | None = None
    #: A line swatch's width factor and opacity (a position row: thinner and fainter).
    width: float = 1.0
    opacity: float = 1.0


def legend(features: Iterable[dict], selected: Iterable[str] | None = None) -> list[LegendEntry]:
    """Legend entries for exactly these GeoJSON features: sectors, statuses, symbols; counted.

    A sector's row counts the features drawn in its colour (:func:`shown_sector`: with
    ``selected``, a sector switched on), so the colours' counts add up to the coloured
    features on the map, not to more: a feature of two sectors wears one colour.
    Borders wear the neutral boundary colour and count under their status row only.
    """
    features = list(features)
    props = [f["properties"] for f in features]
    by_sector = Counter(shown_sector(p, selected) for p in props if p["status"] != "boundary")
    by_status = Counter(p["status"] for p in props)
    by_symbol = Counter(
        f["properties"]["layer"]
        for f in features
        if f["geometry"]["type"].endswith("Point") and f["properties"]["layer"] in LAYER_SYMBOLS
    )
    entries = [
        LegendEntry(f"sector:{s}", SECTORS[s], by_sector[s], colour=SECTOR_COLOURS[s])
        for s in SECTORS
        if by_sector[s]
    ]
    # Events are points, and the Event symbol's row counts them: no status row says it again.
    entries += [
        LegendEntry(f"status:{s}", STATUSES[s], by_status[s], dash=dash_array(s, BASE_WIDTH) or "")
        for s in STATUSES
        if by_status[s] and s != "event"
    ]
    circles = [
        radius
        for f in features
        if (radius := uncertainty_km(f["properties"], f["geometry"]["type"])) is not None
    ]
    if circles:
        span = _km_span(circles)
        entries.append(
            LegendEntry("position:approximate", f"Approximate ({span})", len(circles),
                        colour=SWATCH_LINE, opacity=UNCERTAINTY_OPACITY * 2)
        )  # fmt: skip
    errors = [p.get("error_km") or 0 for p in props if p.get("position") == "schematic"]
    if errors:
        thinner, fainter = POSITION_STYLES["schematic"]
        span = (
            f"±{min(errors):g} km"
            if min(errors) == max(errors)
            else f"±{min(errors):g}–{max(errors):g} km"
        )
        entries.append(
            LegendEntry("position:schematic", f"Schematic ({span})",
                        len(errors), dash="", width=thinner, opacity=fainter)
        )  # fmt: skip
    entries += [
        LegendEntry(
            f"layer:{layer}", _symbol_label(layer), by_symbol[layer], symbol=LAYER_SYMBOLS[layer]
        )
        for layer in LAYER_SYMBOLS
        if by_symbol[layer]
    ]
    return entries


def _km_span(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"±{low:g} km" if low == high else f"±{low:g}–{high:g} km"


#: Grey of symbol swatches: a symbol's legend row is about its shape, not its sector.
SWATCH_GREY = "#8a8a8a"
SWATCH_LINE = "#333333"


def swatch_svg(entry: LegendEntry) -> str:
    """The swatch of a legend row as a standalone SVG document (the page shows it as an image).

    A symbol for a point layer, a filled square for a sector, a line with the
    status's dash for a status.
    """
    head = '<svg xmlns="http://www.w3.org/2000/svg"'
    if entry.key == "position:approximate":  # a soft disc around a small symbol
        return (
            f'{head} width="16" height="16" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7.5" '
            f'fill="{entry.colour}" fill-opacity="{entry.opacity:g}"/><circle cx="8" cy="8" '
            f'r="2.5" fill="{entry.colour}" stroke="{SYMBOL_EDGE}" stroke-width="0.5"/></svg>'
        )
    if entry.symbol:
        return svg_symbol(entry.symbol, SWATCH_GREY, size=16)
    if entry.colour:
        return (
            f'{head} width="16" height="16" viewBox="0 0 16 16"><rect x="1" y="1" '
            f'width="14" height="14" rx="2" fill="{entry.colour}" stroke="{SYMBOL_EDGE}" '
            'stroke-width="0.5"/></svg>'
        )
    dash = f' stroke-dasharray="{entry.dash}"' if entry.dash else ""
    faint = f' stroke-opacity="{entry.opacity:g}"' if entry.opacity != 1 else ""
    return (
        f'{head} width="28" height="10" viewBox="0 0 28 10"><line x1="1" y1="5" x2="27" y2="5" '
        f'stroke="{SWATCH_LINE}" stroke-width="{BASE_WIDTH * entry.width:g}"{dash}{faint}/></svg>'
    )


def _symbol_label(layer: str) -> str:
    return {"borders": "Border crossing", "corridors": "Customs point"}.get(
        layer, LAYERS[layer].title.rstrip("s")
    )


#: Order in which point labels claim room on a map (web and print): the places the
#: articles are about first.
LABEL_PRIORITY = ("ports", "naval_bases", "borders", "corridors", "programmes", "events")

#: Where a label may sit around its symbol, best first, as a unit offset (x right, y up):
#: right and a little up, left and a little up, then below, above, beside. A label grows
#: away from its symbol in that direction. The printed map and the web map try the same.
LABEL_DIRECTIONS = (
    (1, 0.45),
    (-1, 0.45),
    (1, -0.45),
    (-1, -0.45),
    (0, 1),
    (0, -1),
    (1, 0),
    (-1, 0),
)


#: How a town of the places layer looks by population class (1: a million people or more
#: ... 5: villages, :data:`geoapp.data.places.CLASSES`): dot diameter and type (pixels).
PLACE_CLASS_STYLES: dict[int, dict[str, int]] = {
    1: {"dot": 7, "size": 13, "weight": 600},
    2: {"dot": 6, "size": 12, "weight": 500},
    3: {"dot": 5, "size": 12, "weight": 400},
    4: {"dot": 4, "size": 11, "weight": 400},
    5: {"dot": 4, "size": 10, "weight": 400},
}


def layer_noun(layer: str) -> str:
    """What one point of ``layer`` is, in running text: ``port``, ``border crossing``."""
    return _symbol_label(layer).lower() if layer in LAYER_SYMBOLS else LAYERS[layer].title.lower()


def plural(noun: str) -> str:
    """``port`` -> ``ports``, ``border crossing`` -> ``border crossings``."""
    return noun + "es" if noun.endswith(("s", "x", "ch", "sh")) else noun + "s"


def style_table() -> dict:
    """Every style rule as plain JSON, for the browser (one source of truth)."""
    return {
        "sectors": {s: {"label": SECTORS[s], "colour": c} for s, c in SECTOR_COLOURS.items()},
        "statuses": {
            s: {"label": STATUSES[s], "dash": dash_array(s, BASE_WIDTH), "opacity": o}
            for s, (_, o) in STATUS_STYLES.items()
        },
        "symbols": LAYER_SYMBOLS,
        "symbol_paths": SYMBOL_PATHS,
        "symbol_labels": {layer: _symbol_label(layer) for layer in LAYER_SYMBOLS},
        "layers": {k: {"title": v.title, "thematic": v.thematic} for k, v in LAYERS.items()},
        "basemap": BASEMAP_STYLE,
        "point_radius": POINT_RADIUS,
        "label_priority": LABEL_PRIORITY,
        "label_directions": LABEL_DIRECTIONS,
        "place_classes": PLACE_CLASS_STYLES,
    }
