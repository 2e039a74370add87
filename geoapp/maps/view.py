"""What the browser draws for a query: which features show, how each looks, the legend.

Every rule that decides what the map shows lives here and in :mod:`geoapp.styles`,
in Python, once: which features a query keeps (the catalog), the colour a
multi-sector feature wears, the legend rows, their counts and swatches, and the
export links. The page's script asks ``/api/view`` for the answer on every change
of the toggles and only applies it; the standalone export carries one answer.
The printed map draws from the same functions, so the legend on screen and on
paper is the same list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import NamedTuple
from urllib.parse import quote

from geoapp import styles
from geoapp.data.catalog import Catalog
from geoapp.data.query import Query
from geoapp.data.schema import LAYERS, SECTORS, THEMATIC_LAYERS, source_keys, time_label
from geoapp.maps import names

#: Side of a point symbol's icon in CSS pixels.
ICON_SIZE = 2 * styles.POINT_RADIUS + 6


def leaflet_options(feature: dict, sectors: Iterable[str]) -> dict:
    """Leaflet options of a feature when ``sectors`` are on: path options or DivIcon options.

    Without the feature's CSS classes (see :func:`styles.css_classes`), so that
    features that look alike share one entry.
    """
    props = feature["properties"]
    style = styles.feature_style(props, sectors)
    if feature["geometry"]["type"].endswith("Point"):
        return {
            "html": styles.svg_symbol(
                style.symbol or "circle",
                style.colour,
                size=ICON_SIZE,
                dash=styles.dash_array(props["status"], styles.SYMBOL_EDGE_WIDTH),
                opacity=style.opacity,
            ),
            "iconSize": [ICON_SIZE, ICON_SIZE],
            "iconAnchor": [ICON_SIZE // 2, ICON_SIZE // 2],
            "tooltipAnchor": [ICON_SIZE // 2, 0],
        }
    options = style.leaflet()
    del options["className"]
    return options


def legend_rows(entries: Iterable[styles.LegendEntry]) -> list[dict]:
    """Legend entries as JSON rows, each with its swatch as an SVG document (text)."""
    return [
        {"key": e.key, "label": e.label, "count": e.count, "swatch": styles.swatch_svg(e)}
        for e in entries
    ]


def swatch_uri(svg: str) -> str:
    """A swatch as a ``data:`` URI for an ``<img>``: an image cannot run anything."""
    return "data:image/svg+xml;charset=utf-8," + quote(svg, safe="")


def view_answer(catalog: Catalog, query: Query, exports: Mapping[str, str] | None = None) -> dict:
    """The answer to a query for the browser: features shown, their looks, the legend.

    ``features`` maps each shown feature's id to its style key, CSS classes and,
    when dated, the date the feature list shows (:func:`schema.time_label`);
    ``styles`` maps each key to Leaflet options; ``facets`` counts what each value
    of the page's filters would keep (:func:`facet_counts`). ``exports`` maps each format of
    the Export menu to its route; the links carry the query's filters and the
    script adds the view (centre, zoom, box) and the page's options.

    The query's ``bbox`` is the view on screen. It does not narrow what is drawn
    (every feature the filters keep is drawn, so panning shows what was off
    screen): it narrows what the legend counts to the features that intersect
    it, which is what a reader sees, and what the printed map of that view counts
    with the same :func:`styles.legend`. Without a box the legend counts every
    feature drawn.

    ``labels`` are the names of the points drawn, at each zoom, in the order they
    claim room (:func:`names.feature_labels`); ``countryLabels`` name the countries
    in the box, each inside its part in view (:func:`names.country_labels`).
    """
    drawn = _drawn(catalog, query.replace(bbox=None), exports or {})
    counted = drawn.shown if query.bbox is None else _flat(catalog.query(query))
    return {
        **drawn.answer,
        "legend": legend_rows(styles.legend(counted, query.shown_sectors)),
        "countryLabels": names.country_labels(catalog, query.bbox),
    }


def focus_query(query: Query, feature: dict) -> Query:
    """What a link to one feature (``/?feature=<id>``) opens: the query, so that it shows.

    Its layer and primary sector are switched on when they were off; when other
    filters (status, country, source, time) would still hide it, they are dropped:
    the link names the feature, whatever else it says. The view (centre, zoom) is
    the feature's, so it is dropped too.
    """
    props = feature["properties"]
    layer = props["layer"]
    layers = tuple(k for k in THEMATIC_LAYERS if k in query.layers or k == layer)
    sectors = query.sectors
    if sectors is not None and not set(sectors) & set(props.get("sectors") or ()):
        sectors = tuple(s for s in SECTORS if s in sectors or s == props["sector"])
    focused = query.replace(layers=layers, sectors=sectors, centre=None, zoom=None)
    if not focused.matches(props, LAYERS[layer]):
        focused = focused.replace(
            sectors_match="any", statuses=None, countries=None, sources=None, time=None
        )
    return focused


#: The filters the page offers as checkboxes with counts: URL parameter -> Query field.
FACETS = {"status": "statuses", "country": "countries", "source": "sources"}


def facet_counts(catalog: Catalog, query: Query) -> dict[str, dict[str, int]]:
    """For each filter the page offers, how many features each value would keep.

    A value's count is of the features that every *other* current filter keeps
    (layers, sectors, time, the other facets) and that have the value: what the
    reader gets by ticking it alone. ``source`` counts the values the data takes
    (:meth:`Catalog.source_values`). The box on screen does not narrow them.
    """
    valid_sources = set(catalog.source_values())
    counts: dict[str, dict[str, int]] = {}
    for parameter, field in FACETS.items():
        others = query.replace(**{field: None}, bbox=None)
        tally: dict[str, int] = {}
        for features in catalog.query(others).values():
            for feature in features:
                props = feature["properties"]
                if parameter == "status":
                    values: Iterable[str] = (props["status"],)
                elif parameter == "country":
                    values = props.get("country") or ()
                else:
                    values = (k for k in source_keys(props) if k in valid_sources)
                for value in values:
                    tally[value] = tally.get(value, 0) + 1
        counts[parameter] = tally
    return counts


class _Drawn(NamedTuple):
    answer: dict
    shown: list[dict]


def _flat(kept: Mapping[str, list[dict]]) -> list[dict]:
    return [f for features in kept.values() for f in features]


def _drawn(catalog: Catalog, query: Query, exports: Mapping[str, str]) -> _Drawn:
    """What a query draws, whatever the view: kept per data version and query.

    The page asks again at every pan (the legend follows the view), so the part that
    does not depend on the view is built once per filter set, not once per box.
    """
    filters = query.replace(centre=None, zoom=None, bbox=None, feature=None).canonical()

    def build() -> _Drawn:
        sectors = query.shown_sectors
        shown = _flat(catalog.query(query))
        features: dict[str, dict] = {}
        looks: dict[str, dict] = {}
        for feature in shown:
            options = leaflet_options(feature, sectors)
            # A key named by the look itself, so that equal keys mean equal looks across
            # answers: the script restyles a feature only when its key changes.
            encoded = json.dumps(options, sort_keys=True).encode()
            key = "s" + hashlib.blake2b(encoded, digest_size=6).hexdigest()
            looks[key] = options
            props = feature["properties"]
            features[props["id"]] = {
                "style": key,
                "className": f"{styles.css_classes(props)} id-{props['id']}",
            }
            when = time_label(props)
            if when is not None:  # the feature list's date column
                features[props["id"]]["when"] = when
            radius = styles.uncertainty_km(props, feature["geometry"]["type"])
            if radius is not None:  # a zone under the symbol: it takes no clicks
                features[props["id"]]["uncertainty"] = {
                    "radius": radius * 1000,
                    "stroke": False,
                    "fillColor": styles.feature_style(props, sectors).colour,
                    "fillOpacity": styles.UNCERTAINTY_OPACITY,
                    "interactive": False,
                }
        answer = {
            "version": catalog.version,
            "query": filters,
            "features": features,
            "styles": looks,
            "count": len(shown),
            "labels": names.feature_labels(shown),
            # Towns too: ``towns=off`` hides the towns the summaries name with the rest.
            "placeLabels": names.place_labels(
                catalog.build_info, (f["properties"]["id"] for f in shown)
            )
            if query.towns
            else [],
            "facets": facet_counts(catalog, query),
            "exports": {
                fmt: f"{url}?{filters}" if filters else url for fmt, url in exports.items()
            },
        }
        return _Drawn(answer, shown)

    return catalog.memo(("view", filters, tuple(sorted(exports.items()))), build)
