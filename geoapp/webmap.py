"""The web map: a folium Map of every layer, rendered as components into ``map.html``.

One builder serves both the page at ``/`` (layer data fetched from
``/api/layers/<id>``, assets from ``/vendor`` and ``/static``) and the
standalone HTML export (data and assets inlined, no server needed). Styles
come from :mod:`geoapp.styles`; the browser gets the style table and the page
settings as one JSON blob, and the toggles, legend, popups and search in
``geoapp/static/`` read it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import folium
import jinja2
import shapely
import xyzservices.providers
from shapely.geometry import shape

from geoapp import assets, security, styles
from geoapp.cache import BuildOnceCache
from geoapp.catalog import BBox, Catalog, QueryError, check_parameters, parse_list
from geoapp.config import ROOT
from geoapp.exporters import FORMATS
from geoapp.schema import (
    COUNTRIES,
    FIELDS,
    LAYERS,
    SECTORS,
    STATUSES,
    THEMATIC_LAYERS,
    is_web_url,
)
from geoapp.selection import CASPIAN_BBOX

log = logging.getLogger(__name__)

#: Query parameters of the map page.
PARAMETERS = ("sectors", "layers", "lat", "lon", "zoom")
#: Formats of the export menu (routes ``/export.<fmt>``, issue 4): the exporters' list.
EXPORT_FORMATS: dict[str, str] = {fmt: f.label for fmt, f in FORMATS.items()}
MIN_ZOOM, MAX_ZOOM = 2, 18
#: Zoom used when a link gives a centre but no zoom.
DEFAULT_ZOOM = 6
#: Decimals kept for a centre: about 10 m, so near-identical links share one cached page.
CENTRE_DECIMALS = 4
#: Stands in for a standalone page's policy until its scripts can be hashed.
CSP_PLACEHOLDER = "geoapp-csp-placeholder"
#: Pane stacking: countries and sea at the bottom, sea zones under lines, points on top.
PANES = {"basemap": 200, "zones": 350}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(ROOT / "templates")),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Keep vocabulary order in the settings blob: the scripts list sectors and statuses in it.
_templates.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}


@dataclass(frozen=True)
class View:
    """What a map link shows: sectors and layers switched on, and optionally centre and zoom."""

    sectors: tuple[str, ...] = tuple(SECTORS)
    layers: tuple[str, ...] = THEMATIC_LAYERS
    centre: tuple[float, float] | None = None
    zoom: int | None = None

    def query(self) -> str:
        """The canonical query string (empty for the default view): the page cache key."""
        params: dict[str, str] = {}
        if self.sectors != tuple(SECTORS):
            params["sectors"] = ",".join(self.sectors)
        if self.layers != THEMATIC_LAYERS:
            params["layers"] = ",".join(self.layers)
        if self.centre is not None:
            params["lat"] = f"{self.centre[0]:.{CENTRE_DECIMALS}f}"
            params["lon"] = f"{self.centre[1]:.{CENTRE_DECIMALS}f}"
        if self.zoom is not None:
            params["zoom"] = str(self.zoom)
        return urlencode(params, safe=",")


def _parse_number(name: str, raw: str, low: float, high: float) -> float:
    hint = f"a number from {low:g} to {high:g}"
    try:
        value = float(raw)
    except ValueError:
        raise QueryError(name, raw, hint) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise QueryError(name, raw, hint)
    return value


def parse_view(args: Mapping[str, str]) -> View:
    """Parse the map page's query string; raise QueryError naming the valid values.

    ``sectors`` and ``layers`` are comma-separated (absent: all; empty: none);
    ``lat`` and ``lon`` come together; ``zoom`` is a whole number.
    """
    check_parameters(args, PARAMETERS)
    sectors = parse_list("sectors", args.get("sectors"), SECTORS)
    layers = parse_list("layers", args.get("layers"), THEMATIC_LAYERS)
    centre = None
    lat, lon = args.get("lat"), args.get("lon")
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise QueryError(missing, None, "lat and lon together, in degrees")
    if lat is not None and lon is not None:
        centre = (
            round(_parse_number("lat", lat, -90, 90), CENTRE_DECIMALS),
            round(_parse_number("lon", lon, -180, 180), CENTRE_DECIMALS),
        )
    zoom = None
    if (raw := args.get("zoom")) is not None:
        value = _parse_number("zoom", raw, MIN_ZOOM, MAX_ZOOM)
        if value != int(value):
            raise QueryError("zoom", raw, f"a whole number from {MIN_ZOOM} to {MAX_ZOOM}")
        zoom = int(value)
    return View(
        sectors=tuple(SECTORS) if sectors is None else sectors,
        layers=THEMATIC_LAYERS if layers is None else layers,
        centre=centre,
        zoom=zoom,
    )


def visible_features(
    catalog: Catalog,
    sectors: Iterable[str],
    layers: Iterable[str],
    features: Mapping[str, list[dict]] | None = None,
) -> list:
    """The features a view shows: in a switched-on layer and in a switched-on sector.

    ``features`` limits the choice to a selection already made (a standalone page's).
    """
    sectors = list(sectors)
    wanted = set(sectors)
    if features is None:
        return [f for layer in layers for f in catalog.features(layer, sectors=sectors)]
    return [
        f
        for layer in layers
        for f in features.get(layer, ())
        if wanted.intersection(f["properties"].get("sectors", ()))
    ]


def field_label(name: str) -> str:
    return {
        "sectors": "Sectors",
        "country": "Countries",
        "completion_date": "Completion by",
        "length_km": "Length (km)",
        "capacity_bcm": "Capacity (bcm/yr)",
        "table_row": "Article table row",
    }.get(name, name.replace("_", " ").capitalize())


#: Fields the popup shows (name is its heading; id, layer and sector are implied).
POPUP_FIELDS = tuple(f for f in FIELDS if f.name not in ("id", "name", "layer", "sector"))


def page_settings(
    catalog: Catalog,
    *,
    standalone: bool,
    layers: Iterable[str],
    styled: Iterable[dict],
    layer_url: Callable[[str], str] | None = None,
) -> dict:
    """The one JSON blob the page's scripts read: styles, vocabularies, sources, fields.

    ``layers`` are the thematic layers the page draws, ``styled`` their features
    (for their Leaflet options) and ``layer_url`` where a served page fetches each
    layer. Only http(s) source URLs are passed on (:func:`schema.is_web_url`).
    """
    layers = list(layers)
    fetched = [*layers, *(p["layer"] for p in basemap_parts(catalog))]
    return {
        "standalone": standalone,
        "styles": styles.style_table(),
        "sectors": SECTORS,
        "statuses": STATUSES,
        "layers": {k: LAYERS[k].title for k in THEMATIC_LAYERS},
        "drawn": layers,
        "panes": {"caspian": "zones"},
        "urls": {} if layer_url is None else {k: layer_url(k) for k in dict.fromkeys(fetched)},
        "basemap": basemap_parts(catalog),
        "featureStyles": feature_styles(styled),
        "countries": COUNTRIES,
        "sources": {
            key: {
                k: v
                for k, v in entry.items()
                if k in ("title", "publisher", "kind") or (k == "url" and is_web_url(v))
            }
            for key, entry in catalog.sources.items()
        },
        "fields": [
            {"name": f.name, "label": field_label(f.name), "type": f.type} for f in POPUP_FIELDS
        ],
        "exports": EXPORT_FORMATS,
        "centreDecimals": CENTRE_DECIMALS,
    }


# -- the map: folium builds the frame, the page's script draws the data -------------
#
# Data never enters a folium element. branca renders each element's script and then
# compiles that output as a Jinja template and renders it again, so any ``{{ }}`` or
# ``{% %}`` in a feature's text would run as template code on the server (issue 8).
# folium therefore builds only what the code itself decides (the map's frame, panes,
# scale, tile layers, the call that starts the page), and every string from the data
# reaches the page once, as JSON through ``tojson`` in ``map.html``.


def _style(feature: dict) -> dict:
    """Leaflet options of a feature: path options, or DivIcon options for a point symbol."""
    props = feature["properties"]
    style = styles.feature_style(props)
    classes = f"{style.css_class} id-{props['id']}"
    if feature["geometry"]["type"].endswith("Point"):
        size = 2 * styles.POINT_RADIUS + 6
        return {
            "className": classes,
            "html": styles.svg_symbol(
                style.symbol or "circle",
                style.colour,
                size=size,
                dash=styles.dash_array(props["status"], styles.SYMBOL_EDGE_WIDTH),
                opacity=style.opacity,
            ),
            "iconSize": [size, size],
            "iconAnchor": [size // 2, size // 2],
            "tooltipAnchor": [size // 2, 0],
        }
    return {**style.leaflet(), "className": classes}


def feature_styles(features: Iterable[dict]) -> dict[str, dict]:
    """Feature id -> its Leaflet options, for the page's script (sent as JSON)."""
    return {f["properties"]["id"]: _style(f) for f in features}


def basemap_parts(catalog: Catalog) -> list[dict]:
    """Countries and the Caspian Sea, drawn under everything and never toggled.

    Each part names the layer it draws from and, when not all of it, the ids it keeps.
    """
    base = styles.BASEMAP_STYLE
    sea = catalog.feature("caspian-sea")
    parts = [
        {"layer": "basemap", "ids": None, "fill": base["fill"], "weight": 0.8},
        {
            "layer": "caspian",
            "ids": ["caspian-sea"] if sea else [],
            "fill": base["water"],
            "weight": 0,
        },
    ]
    return [
        {
            "layer": p["layer"],
            "ids": p["ids"],
            "style": {
                "color": base["edge"],
                "weight": p["weight"],
                "fillColor": p["fill"],
                "fillOpacity": 1,
                "className": f"basemap basemap-{p['layer']}",
            },
        }
        for p in parts
    ]


class _Call(folium.MacroElement):
    """One call into the page's script with the map as first argument (no data: code only)."""

    _template = jinja2.Template(
        """{% macro script(this, kwargs) %}
        geoapp.{{ this.function }}({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, function: str):
        super().__init__()
        self._name = "Call"
        if not function.isidentifier():
            raise ValueError(f"not a function name: {function!r}")
        self.function = function


def _tile_layers(m: folium.Map, default_tiles: str) -> None:
    """Offer the online tile layers in a layer switcher; only ``default_tiles`` starts on."""
    if default_tiles and default_tiles not in styles.TILE_PROVIDERS:
        raise ValueError(
            f"DEFAULT_TILES={default_tiles!r}: use '' or one of {', '.join(styles.TILE_PROVIDERS)}"
        )
    for key, name in styles.TILE_PROVIDERS.items():
        provider = xyzservices.providers.query_name(name)
        folium.TileLayer(
            tiles=provider.build_url(),
            attr=provider.html_attribution,
            name=name.replace(".", " "),
            overlay=True,
            show=key == default_tiles,
            max_zoom=provider.get("max_zoom", 18),
        ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)


def build_map(
    view: View,
    *,
    local_assets: bool,
    bounds: BBox | None = None,
    online_tiles: bool = False,
    default_tiles: str = "",
) -> folium.Map:
    """Build the folium Map of a view: its frame, panes and controls, never its data.

    It takes no catalog on purpose: nothing read from the data can reach folium's
    two-pass rendering (see the note above). The page's script draws the layers
    from JSON (``geoapp.start``).

    Parameters
    ----------
    local_assets
        Link Leaflet from ``/vendor`` (a served page); False leaves the assets to
        the caller (the standalone export inlines them).
    bounds
        The box the map opens on, when the view has no centre (default: the Caspian
        region, ``selection.CASPIAN_BBOX``, which exports show by default too).
    """
    minx, miny, maxx, maxy = bounds or CASPIAN_BBOX
    centre = view.centre or ((miny + maxy) / 2, (minx + maxx) / 2)
    m = folium.Map(
        location=list(centre),
        zoom_start=view.zoom or DEFAULT_ZOOM,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
        min_zoom=MIN_ZOOM,
        max_zoom=MAX_ZOOM,
    )
    # Local assets on this instance only (folium's class-level CDN lists stay untouched).
    if local_assets:
        m.default_js, m.default_css = assets.map_assets()
    else:
        m.default_js, m.default_css = [], []
    for pane, z_index in PANES.items():
        folium.map.CustomPane(pane, z_index=z_index, pointer_events=pane != "basemap").add_to(m)
    if online_tiles and local_assets:
        _tile_layers(m, default_tiles)
    elif default_tiles:
        log.warning("DEFAULT_TILES=%r ignored: ONLINE_TILES is off", default_tiles)
    if view.centre is None and view.zoom is None:
        m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(10, 10))
    # Last: the page's script draws the layers and starts its controls.
    m.add_child(_Call("start"))
    _stable_names(m)
    return m


def _stable_names(m: folium.Map) -> None:
    """Give every element a name from its position, so equal views give equal pages (ETags)."""
    counter = 0

    def walk(element) -> None:
        nonlocal counter
        element._id = f"{counter:04d}"
        counter += 1
        for child in element._children.values():
            walk(child)

    walk(m)


def components(m: folium.Map) -> dict[str, str]:
    """folium's header, html and script parts, for our own Jinja page."""
    root = m.get_root()
    root.render()
    return {
        "header": root.header.render(),
        "html": root.html.render(),
        "script": root.script.render(),
    }


# -- pages ----------------------------------------------------------------------


def legend_rows(entries: Iterable[styles.LegendEntry]) -> list[dict]:
    """Legend entries with the swatch to draw for each (the script draws the same)."""
    rows = []
    for e in entries:
        if e.symbol:
            swatch = styles.svg_symbol(e.symbol, "#8a8a8a", size=16)
        elif e.colour:
            swatch = f'<span class="swatch-fill" style="background:{e.colour}"></span>'
        else:
            dash = f' stroke-dasharray="{e.dash}"' if e.dash else ""
            swatch = (
                '<svg width="28" height="10" aria-hidden="true"><line x1="1" y1="5" x2="27" '
                f'y2="5" stroke="#333" stroke-width="{styles.BASE_WIDTH}"{dash}/></svg>'
            )
        rows.append({"key": e.key, "label": e.label, "count": e.count, "swatch": swatch})
    return rows


def export_links(
    view: View, bbox: BBox, export_url: Callable[[str], str] | None = None
) -> dict[str, str]:
    """``/export.<fmt>?...`` for the current view (the script updates the query as you pan).

    ``export_url`` maps a format to its route (``url_for``, which knows a mount prefix).
    """
    export_url = export_url or (lambda fmt: f"/export.{fmt}")
    query = urlencode(
        {
            "sectors": ",".join(view.sectors),
            "layers": ",".join(view.layers),
            "bbox": ",".join(f"{v:.4f}" for v in bbox),
        },
        safe=",",
    )
    return {fmt: f"{export_url(fmt)}?{query}" for fmt in EXPORT_FORMATS}


def render_page(
    catalog: Catalog,
    view: View,
    *,
    data_url: Callable[[str], str] | None,
    static_url: Callable[[str], str] | None = None,
    export_url: Callable[[str], str] | None = None,
    features: Mapping[str, list[dict]] | None = None,
    bounds: BBox | None = None,
    online_tiles: bool = False,
    default_tiles: str = "",
    title: str | None = None,
) -> str:
    """Render ``map.html`` for a view: served (``data_url`` set) or standalone (None).

    A served page fetches its layers from ``data_url(layer)``; a standalone page
    carries ``features`` (and the basemap) in a JSON data block. Either way the
    data reaches the page only through ``tojson``.
    """
    standalone = data_url is None
    m = build_map(
        view,
        local_assets=not standalone,
        bounds=bounds,
        online_tiles=online_tiles,
        default_tiles=default_tiles,
    )
    parts = components(m)
    shown_layers = list(THEMATIC_LAYERS if features is None else features)
    if features is None:
        styled = [f for layer in shown_layers for f in catalog.layers[layer].features]
    else:
        styled = [f for fs in features.values() for f in fs]
    visible = visible_features(catalog, view.sectors, view.layers, features)
    box = bounds or CASPIAN_BBOX
    data = None
    if standalone:
        data = {
            "thematic": {
                layer: {"type": "FeatureCollection", "features": list(fs)}
                for layer, fs in (features or {}).items()
            },
            "basemap": {
                part["layer"]: {"type": "FeatureCollection", "features": _kept(catalog, part)}
                for part in basemap_parts(catalog)
            },
        }
    html = _templates.get_template("map.html").render(
        csp_placeholder=CSP_PLACEHOLDER if standalone else None,
        title=title or "geoapp · Russia–Turkmenistan cooperation in the Caspian region",
        standalone=standalone,
        folium=parts,
        assets_inline=assets.standalone_assets() if standalone else "",
        own_css=[static_url(n) for n in assets.OWN_CSS] if static_url else [],
        own_js=[static_url(n) for n in assets.OWN_JS] if static_url else [],
        settings=page_settings(
            catalog, standalone=standalone, layers=shown_layers, styled=styled, layer_url=data_url
        ),
        data=data,
        sectors=[
            {"id": s, "label": label, "colour": styles.SECTOR_COLOURS[s], "on": s in view.sectors}
            for s, label in SECTORS.items()
        ],
        layers=[
            {"id": layer, "label": LAYERS[layer].title, "on": layer in view.layers}
            for layer in shown_layers
        ],
        legend=legend_rows(styles.legend(visible, view.sectors)),
        exports={} if standalone else export_links(view, box, export_url),
        export_labels=EXPORT_FORMATS,
    )
    if standalone:
        # A file opened from disk has no headers: its policy travels in a <meta>, which
        # comes before the title and any data, so the first occurrence is always it.
        policy = security.page_policy(html, frame_ancestors=False)
        html = html.replace(CSP_PLACEHOLDER, policy, 1)
    return html


def _kept(catalog: Catalog, part: dict) -> list[dict]:
    """The features of a basemap part (its layer, less any id it does not keep)."""
    features = catalog.layers[part["layer"]].features
    if part["ids"] is None:
        return list(features)
    return [f for f in features if f["properties"]["id"] in part["ids"]]


def standalone_html(
    catalog: Catalog,
    *,
    sectors: list[str],
    layers: list[str],
    bbox: tuple | None = None,
    title: str | None = None,
) -> str:
    """Return one self-contained HTML document of the selected features.

    Leaflet, the page's scripts and styles, and the features of ``layers`` in
    any of ``sectors`` (intersecting ``bbox`` when given) are all inlined: the
    file opens from disk with no server and no network, with the same toggles,
    legend, popups and search as the served page.

    Raises
    ------
    QueryError
        For an unknown sector or layer (with the valid values).
    """
    sectors_t = parse_list("sectors", ",".join(sectors), SECTORS) or ()
    layers_t = parse_list("layers", ",".join(layers), THEMATIC_LAYERS) or ()
    box = tuple(float(v) for v in bbox) if bbox is not None else None
    selected = {
        layer: catalog.features(layer, sectors=list(sectors_t), bbox=box) for layer in layers_t
    }
    if box is None:
        drawn = [f for fs in selected.values() for f in fs]
        box = _features_bounds(drawn) if drawn else CASPIAN_BBOX
    return render_page(
        catalog,
        View(sectors=sectors_t, layers=layers_t),
        data_url=None,
        features=selected,
        bounds=box,
        title=title,
    )


def _features_bounds(features: list[dict]) -> BBox:
    minx, miny, maxx, maxy = shapely.total_bounds([shape(f["geometry"]) for f in features])
    return float(minx), float(miny), float(maxx), float(maxy)


class PageCache(BuildOnceCache[tuple[bytes, str]]):
    """Built pages by normalised query string: UTF-8 bytes and their Content-Security-Policy.

    The policy names the page's inline scripts by hash, so it is computed once with
    the page (PAGE_CACHE_SIZE of them).
    """

    def get(  # type: ignore[override]
        self, key: str, build: Callable[[], str], image_hosts: Iterable[str] = ()
    ) -> tuple[bytes, str]:
        """Return the page for ``key`` and its policy, building them once when missing."""

        def build_both() -> tuple[bytes, str]:
            html = build()
            return html.encode("utf-8"), security.page_policy(html, image_hosts=image_hosts)

        return super().get(key, build_both)


def online_tile_hosts() -> list[str]:
    """The hosts of the online tile layers, for a page's img-src when they are offered."""
    return security.tile_hosts(
        xyzservices.providers.query_name(name).build_url()
        for name in styles.TILE_PROVIDERS.values()
    )
