"""The web map page: folium builds the map's frame, the page's script draws the data.

One builder serves both the page at ``/`` (layers fetched from ``/api/layers/<id>``,
what shows from ``/api/view``, assets from ``/vendor`` and ``/static``) and the
standalone HTML export (data, one view answer and assets inlined, no server).

Data never enters a folium element. branca renders each element's script and then
compiles that output as a Jinja template and renders it again, so any ``{{ }}`` or
``{% %}`` in a feature's text would run as template code on the server (issue 8).
folium therefore builds only what the code decides (the frame, panes, scale, tile
layers, the call that starts the page); :func:`build_map` takes no catalog. Every
string from the data reaches the page once, as JSON through ``tojson``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

import folium
import jinja2
import shapely
import xyzservices.providers
from shapely.geometry import shape

from geoapp import styles
from geoapp.data import generalise
from geoapp.data.catalog import Catalog
from geoapp.data.query import CASPIAN_BBOX, CENTRE_DECIMALS, MAX_ZOOM, MIN_ZOOM, BBox, Query
from geoapp.data.schema import COUNTRIES, FIELDS, LAYERS, SECTORS, STATUSES, is_web_url
from geoapp.maps import assets, csp, reading
from geoapp.maps.about import about, attribution_html, towns_attribution_html, uses_geonames
from geoapp.maps.printed.page import MAX_TITLE, PRESETS, Page
from geoapp.maps.view import swatch_uri, view_answer

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Zoom used when a link gives a centre but no zoom.
DEFAULT_ZOOM = 6
#: Stands in for a standalone page's policy until its scripts can be hashed.
CSP_PLACEHOLDER = "geoapp-csp-placeholder"
#: Pane stacking: countries and sea at the bottom, sea zones under lines, points on top.
PANES = {"basemap": 200, "zones": 350}
#: The feature list's columns (geoapp-list.js reads each cell from the data and settings).
LIST_COLUMNS = (
    ("name", "Name"),
    ("layer", "Layer"),
    ("sectors", "Sectors"),
    ("status", "Status"),
    ("when", "Date or due"),
    ("country", "Countries"),
)
#: Closest zoom a page opened on one feature (``/?feature=<id>``) fits it at.
FOCUS_ZOOM = 8
DEFAULT_TITLE = "geoapp · Russia–Turkmenistan cooperation in the Caspian region"

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Keep vocabulary order in the settings blob: the scripts list sectors and statuses in it.
_templates.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
_templates.filters["swatch_uri"] = swatch_uri


def field_label(name: str) -> str:
    return {
        "sectors": "Sectors",
        "country": "Countries",
        "completion_date": "Completion by",
        "length_km": "Length (km)",
        "capacity_bcm": "Capacity (bcm/yr)",
        "table_row": "Article table row",
        "aliases": "Also known as",
    }.get(name, name.replace("_", " ").capitalize())


#: Fields the popup shows (name is its heading; id, layer and sector are implied).
POPUP_FIELDS = tuple(f for f in FIELDS if f.name not in ("id", "name", "layer", "sector"))


def basemap_parts(catalog: Catalog) -> list[dict]:
    """Countries and the Caspian Sea, drawn under everything and never toggled.

    Each part names the layer it draws from and, when not all of it, the ids it keeps.
    """
    base = styles.BASEMAP_STYLE
    sea = catalog.get("caspian-sea")
    parts = [
        ("basemap", None, base["fill"], 0.8),
        ("caspian", ["caspian-sea"] if sea else [], base["water"], 0),
    ]
    return [
        {
            "layer": layer,
            "ids": ids,
            "style": {
                "color": base["edge"],
                "weight": weight,
                "fillColor": fill,
                "fillOpacity": 1,
                "className": f"basemap basemap-{layer}",
            },
        }
        for layer, ids, fill, weight in parts
    ]


def page_settings(
    catalog: Catalog,
    *,
    standalone: bool,
    layers: Iterable[str],
    layer_url: Callable[[str], str] | None = None,
    view_url: str | None = None,
) -> dict:
    """The one JSON blob the page's scripts read: styles, vocabularies, sources, fields.

    ``layers`` are the thematic layers the page draws; ``layer_url`` is where a
    served page fetches each layer and ``view_url`` where it asks what shows.
    Only http(s) source URLs are passed on (:func:`schema.is_web_url`).
    """
    layers = list(layers)
    parts = basemap_parts(catalog)
    fetched = [*layers, *(p["layer"] for p in parts)]
    if layer_url is not None:
        # Zoomed out, the countries come simplified to half a pixel of the zoom (a third of
        # the vertices at the first view); the stored layer from generalise.FULL_FROM on.
        for part in parts:
            if part["layer"] == "basemap":
                url = layer_url("basemap")
                part["levels"] = generalise.levels(lambda z, url=url: f"{url}?simplify={z}")
    return {
        "standalone": standalone,
        "styles": styles.style_table(),
        "sectors": SECTORS,
        "statuses": STATUSES,
        "layers": {k: LAYERS[k].title for k in LAYERS if LAYERS[k].thematic},
        "drawn": layers,
        "panes": {"caspian": "zones"},
        "urls": {} if layer_url is None else {k: layer_url(k) for k in dict.fromkeys(fetched)},
        "viewUrl": view_url,
        "basemap": parts,
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
        "centreDecimals": CENTRE_DECIMALS,
        # The basemap's credit in the map's attribution line (HTML written here, not data).
        "attribution": str(attribution_html()),
        # GeoNames' credit, on the line while the towns show (geoapp-access.js).
        "townsAttribution": str(towns_attribution_html()) if uses_geonames(catalog) else None,
    }


def filter_controls(catalog: Catalog, query: Query) -> dict:
    """The page's time, status, country and source controls, from the data's vocabularies.

    ``time``: the years the features' time spans cover (:func:`schema.time_span`, through
    each layer's extent) and the query's window in them. ``status`` and ``country``: the
    values the features carry, in vocabulary order; ``source``: each article with its
    tables (:meth:`Catalog.source_values`). A value the query names is always listed,
    so that the controls can say what the link shows. Counts come with each view answer.
    """

    def present() -> dict[str, set[str]]:
        found: dict[str, set[str]] = {"status": set(), "country": set()}
        for features in catalog.query(Query()).values():
            for feature in features:
                props = feature["properties"]
                found["status"].add(props["status"])
                found["country"].update(props.get("country") or ())
        return found

    found = catalog.memo("filter-vocabulary", present)
    extents = [info.time_extent for info in catalog.layers().values() if info.time_extent]
    years = [d.year for extent in extents for d in extent if d is not None] or [date.today().year]
    first, last = min(years), max(years)
    start, end = query.time or (None, None)
    sources = catalog.sources
    articles = [
        k for k in catalog.source_values() if ":" in k or sources[k].get("kind") == "article"
    ]
    named = [k for k in query.sources or () if k not in articles]

    def box(value: str, label: str, chosen: tuple[str, ...] | None) -> dict:
        return {"value": value, "label": label, "on": value in (chosen or ())}

    def source_label(value: str) -> str:
        key, _, table = value.partition(":")
        return f"{table.capitalize()} table" if table else sources[key]["title"]

    return {
        "time": {
            "min": first,
            "max": last,
            "from": min(max(start.year, first), last) if start else first,
            "to": max(min(end.year, last), first) if end else last,
        },
        "status": [
            box(s, label, query.statuses)
            for s, label in STATUSES.items()
            if s in found["status"] or s in (query.statuses or ())
        ],
        "country": [
            box(c, name, query.countries)
            for c, name in COUNTRIES.items()
            if c in found["country"] or c in (query.countries or ())
        ],
        "source": [
            {**box(v, source_label(v), query.sources), "table": ":" in v}
            for v in [*articles, *named]
        ],
    }


def page_choices() -> list[dict[str, str]]:
    """The Export menu's page choices: the default page, then each preset (:data:`PRESETS`).

    Named and measured from the pages themselves, so the menu offers exactly what
    ``?preset=`` takes and says what each page is.
    """

    def measure(page: Page) -> str:
        width, height = page.pixels
        return f"{page.width:.4g} × {page.height:.4g} in, {width} × {height} px"

    return [
        {"value": "", "label": f"Default page ({measure(Page())})"},
        *({"value": name, "label": f"{name} ({measure(page)})"} for name, page in PRESETS.items()),
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


class _FitBounds(folium.MacroElement):
    """``map.fitBounds`` without its animation (folium's animates): the page's script
    starts on the view it will stay on, so its first questions are about that view."""

    _template = jinja2.Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }}, {{ this.fit|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, bounds: list[list[float]], max_zoom: int | None):
        super().__init__()
        self._name = "FitBounds"
        fit: dict = {"padding": [10, 10], "animate": False}
        if max_zoom is not None:
            fit["maxZoom"] = max_zoom
        self.bounds = [[float(v) for v in corner] for corner in bounds]
        self.fit = fit


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
    query: Query,
    *,
    local_assets: bool,
    bounds: BBox | None = None,
    online_tiles: bool = False,
    default_tiles: str = "",
    max_fit_zoom: int | None = None,
) -> folium.Map:
    """Build the folium Map of a view: its frame, panes and controls, never its data.

    Parameters
    ----------
    query
        Only its view is read (centre, zoom); the filters are the script's business.
    local_assets
        Link Leaflet from ``/vendor`` (a served page); False leaves the assets to
        the caller (the standalone export inlines them).
    bounds
        The box the map opens on, when the view has no centre (default: the Caspian
        region, :data:`~geoapp.data.query.CASPIAN_BBOX`, which exports show too).
    max_fit_zoom
        The closest zoom that fitting ``bounds`` may reach (a point's box has no size).
    """
    minx, miny, maxx, maxy = bounds or CASPIAN_BBOX
    centre = query.centre or ((miny + maxy) / 2, (minx + maxx) / 2)
    m = folium.Map(
        location=list(centre),
        zoom_start=query.zoom or DEFAULT_ZOOM,
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
    if query.centre is None and query.zoom is None:
        m.add_child(_FitBounds([[miny, minx], [maxy, maxx]], max_fit_zoom))
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


#: The page's viewport: folium's forbids zooming the page (maximum-scale, user-scalable=no),
#: which a reader with low vision needs (WCAG 1.4.4).
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
_VIEWPORT = re.compile(r"<meta\s+name=\"viewport\"[^>]*>", re.S)


def components(m: folium.Map) -> dict[str, str]:
    """folium's header, html and script parts, for our own Jinja page (our viewport)."""
    root = m.get_root()
    root.render()
    header = _VIEWPORT.sub("", root.header.render())
    return {
        "header": VIEWPORT + header,
        "html": root.html.render(),
        "script": root.script.render(),
    }


def _search_names(thematic: dict) -> list[tuple[str, str]]:
    """(text, feature id) for every name, alias and place of a standalone file's features.

    A place names its first feature in label order (a port before an event there).
    """
    order = {layer: i for i, layer in enumerate(styles.LABEL_PRIORITY)}
    features = sorted(
        (f for fc in thematic.values() for f in fc["features"]),
        key=lambda f: order.get(f["properties"]["layer"], 99),
    )
    names: dict[str, str] = {}
    for f in features:
        p = f["properties"]
        for text in (p["name"], *(p.get("aliases") or ()), p.get("place")):
            if text:
                names.setdefault(text, p["id"])
    return sorted(names.items(), key=lambda item: item[0].casefold())


def render_page(
    catalog: Catalog,
    query: Query,
    *,
    layer_url: Callable[[str], str] | None,
    view_url: str | None = None,
    static_url: Callable[[str], str] | None = None,
    exports: Mapping[str, tuple[str, str]] | None = None,
    export_options: Mapping[str, Sequence[str]] | None = None,
    bounds: BBox | None = None,
    online_tiles: bool = False,
    default_tiles: str = "",
    title: str | None = None,
    search_url: str | None = None,
    search: tuple[str, Sequence[Mapping]] | None = None,
    focus: dict | None = None,
    feature_url: str | None = None,
    reader: Mapping | None = None,
    articles_url: str | None = None,
    passage_search_url: str | None = None,
    places_url: str | None = None,
) -> str:
    """Render ``map.html`` for a query: served (``layer_url`` set) or standalone (None).

    A served page fetches its layers from ``layer_url(layer)``, asks ``view_url``
    what shows and offers ``exports`` (format -> (label, URL)) in its Export menu,
    with a page choice and a title field; ``export_options`` names the formats each
    of those options applies to (the export's own rule, which the script follows);
    a standalone page carries the features the query keeps (and the basemap) and
    its one view answer in a JSON data block. Either way the data reaches the page
    only through ``tojson``. ``search_url`` is where the search box asks
    (``/api/search``); ``search`` is a text and its matches (``search_answer``'s
    JSON), listed in the page as it opens, before any script runs. ``focus`` is the
    feature a link names (``/?feature=<id>``): the page opens fitted to it and opens its
    popup; ``feature_url`` is the link to one feature that each popup offers (the
    feature's id is appended). ``reader`` is an article to show beside the map
    (:func:`reading.reading`'s document; ``articles_url`` lists every article);
    ``passage_search_url`` is where the search box finds words in their passages;
    ``places_url`` where the map asks for the towns of its view (none: no towns layer).
    """
    standalone = layer_url is None
    if focus is not None:
        bounds = _features_bounds([focus])
    m = build_map(
        query,
        local_assets=not standalone,
        bounds=bounds,
        online_tiles=online_tiles,
        default_tiles=default_tiles,
        max_fit_zoom=FOCUS_ZOOM if focus is not None or reader is not None else None,
    )
    parts = components(m)
    exports = exports or {}
    answer = view_answer(catalog, query, {fmt: url for fmt, (_, url) in exports.items()})
    data = None
    if standalone:
        # Every feature the filters keep, not only those in the box: the file is a map to
        # pan, and what lies beyond the exported view shows when the reader pans to it.
        kept = catalog.query(query.replace(bbox=None))
        data = {
            "thematic": {
                layer: {"type": "FeatureCollection", "features": features}
                for layer, features in kept.items()
            },
            "basemap": {
                part["layer"]: {"type": "FeatureCollection", "features": _kept(catalog, part)}
                for part in basemap_parts(catalog)
            },
            "view": answer,
        }
    html = _templates.get_template("map.html").render(
        csp_placeholder=CSP_PLACEHOLDER if standalone else None,
        title=title or DEFAULT_TITLE,
        standalone=standalone,
        folium=parts,
        assets_inline=assets.standalone_assets() if standalone else "",
        own_css=[static_url(n) for n in assets.OWN_CSS] if static_url else [],
        own_js=[static_url(n) for n in assets.OWN_JS] if static_url else [],
        settings={
            **page_settings(
                catalog,
                standalone=standalone,
                layers=query.layers,
                layer_url=layer_url,
                view_url=view_url,
            ),
            "exportOptions": {k: list(v) for k, v in (export_options or {}).items()},
            "searchUrl": search_url,
            # A file has no server to run the search rule: it offers the names it can go
            # to (names, aliases, places) in a native list, which the browser filters.
            "searchNames": _search_names(data["thematic"]) if data else None,
            # The feature a link names: its popup opens (geoapp-list.js).
            "feature": focus["properties"]["id"] if focus is not None else None,
            "featureUrl": feature_url,
            # Mentions in popups link to the reader: its address, and the articles' titles.
            "articlesUrl": articles_url,
            "passageSearchUrl": passage_search_url,
            "placesUrl": places_url,
            "articles": dict(catalog.mentions.titles()) if catalog.mentions is not None else {},
            "reading": reader is not None,
            # The link's filters that have no toggle on the page (status, country, time,
            # text): the script sends them with the toggles, so the link's view is kept.
            "filters": query.replace(
                layers=Query().layers,
                sectors=None,
                bbox=None,
                centre=None,
                zoom=None,
                feature=None,
                towns=True,
            ).canonical(),
        },
        data=data,
        sectors=[
            {
                "id": s,
                "label": label,
                "colour": styles.SECTOR_COLOURS[s],
                "on": s in query.shown_sectors,
            }
            for s, label in SECTORS.items()
        ],
        layers=_layer_toggles(query, standalone),
        # The towns context layer's switch (towns=off); its state is the query's.
        towns=query.towns,
        filters=filter_controls(catalog, query),
        facets=answer["facets"],
        legend=answer["legend"],
        count=answer["count"],
        list_columns=LIST_COLUMNS,
        exports={} if standalone else answer["exports"],
        export_labels={fmt: label for fmt, (label, _) in exports.items()},
        pages=page_choices(),
        max_title=MAX_TITLE,
        search=_search_list(search),
        about=about(catalog),
        reader=reader,
        reader_data=reading.script_data(reader) if reader else None,
        reader_links={"list": articles_url, "feature": feature_url or "/?feature="},
    )
    if standalone:
        # A file opened from disk has no headers: its policy travels in a <meta>, which
        # comes before the title and any data, so the first occurrence is always it.
        policy = csp.page_policy(html, frame_ancestors=False)
        html = html.replace(CSP_PLACEHOLDER, policy, 1)
    return html


def _search_list(search: tuple[str, Sequence[Mapping]] | None) -> dict | None:
    """The search box's text, what it says and its matches, each with its layer's title."""
    if search is None:
        return None
    text, found = search
    return {
        "q": text,
        "status": search_status(len(found), text),
        "results": [{**m, "layer_title": LAYERS[m["layer"]].title} for m in found],
    }


def search_status(count: int, text: str) -> str:
    """What the search box says of an answer (the script says the same)."""
    if not count:
        return f"No feature matches “{text}”."
    return "1 match." if count == 1 else f"{count} matches, best first."


def _layer_toggles(query: Query, standalone: bool) -> list[dict]:
    """A toggle per thematic layer (a standalone page lists only the layers it carries)."""
    thematic = [k for k, v in LAYERS.items() if v.thematic]
    shown = query.layers if standalone else thematic
    return [
        {"id": layer, "label": LAYERS[layer].title, "on": layer in query.layers} for layer in shown
    ]


def _kept(catalog: Catalog, part: dict) -> list[dict]:
    """The features of a basemap part (its layer, less any id it does not keep)."""
    features = catalog.query(Query(layers=(part["layer"],)))[part["layer"]]
    if part["ids"] is None:
        return features
    return [f for f in features if f["properties"]["id"] in part["ids"]]


def standalone_html(catalog: Catalog, query: Query, *, title: str | None = None) -> str:
    """Return one self-contained HTML document of what the query shows.

    Leaflet, the page's scripts and styles, and the features the query keeps
    are all inlined: the file opens from disk with no server and no network,
    with the legend, popups and search of the served page, fixed to the
    exported view (a snapshot: its toggles are the query's, switched off).

    It opens where the screen was: at the query's centre and zoom when given
    (the Export menu sends them), else fitted to its box. Every feature the
    filters keep is carried, not only those in the box, so a reader who pans
    out sees what the screen would; the legend counts the box, as the screen's did.
    """
    box = query.bbox
    if box is None:
        drawn = [f for fs in catalog.query(query).values() for f in fs]
        box = _features_bounds(drawn) if drawn else CASPIAN_BBOX
    return render_page(catalog, query, layer_url=None, bounds=box, title=title)


def _features_bounds(features: list[dict]) -> BBox:
    minx, miny, maxx, maxy = shapely.total_bounds([shape(f["geometry"]) for f in features])
    return float(minx), float(miny), float(maxx), float(maxy)


def online_tile_hosts() -> list[str]:
    """The hosts of the online tile layers, for a page's img-src when they are offered."""
    return csp.tile_hosts(
        xyzservices.providers.query_name(name).build_url()
        for name in styles.TILE_PROVIDERS.values()
    )
