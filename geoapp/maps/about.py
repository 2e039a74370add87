"""The page's "About this map": what it shows, its sources, the data's date, the licences.

Everything comes from the catalog (``geodata/sources.json``) and the printed map's
credits (:mod:`geoapp.maps.printed.attribution`), so the screen and an export agree.
Text reaches the page escaped by the template; a source's link only when it is a
web URL (:func:`schema.is_web_url`).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from geoapp.data.catalog import Catalog
from geoapp.data.schema import is_web_url
from geoapp.maps.printed.attribution import BASEMAP_CREDIT, NATURAL_EARTH_URL, data_date

#: Source kinds in the order the box lists them: the articles the map is built on first.
KINDS = {"article": "Articles", "dataset": "Data sets", "reference": "References"}


def about(catalog: Catalog) -> dict:
    """The About box's content: sources grouped by kind, the data's date, the licences."""
    groups: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for key, entry in catalog.sources.items():
        url = entry.get("url")
        groups.setdefault(entry.get("kind") or "reference", []).append(
            {
                "id": key,
                "title": entry.get("title") or key,
                "publisher": entry.get("publisher"),
                "date": entry.get("date"),
                "url": url if is_web_url(url) else None,
            }
        )
    when = data_date(catalog)
    return {
        "groups": [
            {"kind": kind, "title": KINDS.get(kind, kind.capitalize()), "sources": sources}
            for kind, sources in groups.items()
            if sources
        ],
        "data_date": when.isoformat() if when else None,
        "basemap": BASEMAP_CREDIT,
        "basemap_url": NATURAL_EARTH_URL,
        "geonames_url": GEONAMES_URL if uses_geonames(catalog) else None,
    }


#: Where the towns the map names come from (``build.json``'s ``named_places``).
GEONAMES_URL = "https://www.geonames.org/"


def uses_geonames(catalog: Catalog) -> bool:
    """Whether the map names towns found in GeoNames (CC BY 4.0 asks for the credit)."""
    return bool((catalog.build_info.get("named_places") or {}).get("places"))


def attribution_html(geonames: bool = False) -> Markup:
    """The map's attribution (Leaflet shows it as HTML): code, not data. The basemap, and
    GeoNames when the map names towns from it."""
    credit = Markup('Basemap: <a href="{}">Natural Earth</a> (public domain)').format(
        escape(NATURAL_EARTH_URL)
    )
    if geonames:
        credit += Markup(" | ") + towns_attribution_html()
    return credit


def towns_attribution_html() -> Markup:
    """GeoNames' credit, which its licence asks for wherever its towns are shown: the
    page adds it to the attribution line while the towns are on (towns=off: not)."""
    return Markup('Towns: <a href="{}">GeoNames</a> (CC BY 4.0)').format(escape(GEONAMES_URL))
