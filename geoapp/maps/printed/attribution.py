"""The credits line: Natural Earth, the articles cited, and the date of the data."""

from __future__ import annotations

from datetime import date

import pyproj

from geoapp import styles
from geoapp.data.catalog import Catalog
from geoapp.maps.printed.projection import projection_name

#: The basemap's credit, on every map: printed, on screen and in the About box.
BASEMAP_CREDIT = "Natural Earth (public domain)"
NATURAL_EARTH_URL = "https://www.naturalearthdata.com/"


def data_date(catalog: Catalog) -> date | None:
    """The date of the data: the newest dated source, else the build's date, else None.

    Only the catalog reads data files: its sources table, then ``build_info``
    (``geodata/build.json``). File times are no date of the data (a checkout or a
    copy resets them), so they are never used.
    """
    dates = []
    for source in catalog.sources.values():
        for key in ("date", "published", "accessed"):
            dates += _iso_date(source.get(key))
    if not dates:
        for key in ("date", "built", "data_date"):
            dates += _iso_date(catalog.build_info.get(key))
    return max(dates) if dates else None


def _iso_date(value: object) -> list[date]:
    try:
        return [date.fromisoformat(str(value or "")[:10])]
    except ValueError:
        return []


#: An article's title in a short credit: cut at a word before this many characters.
SHORT_TITLE = 48


def attribution(
    catalog: Catalog,
    shown,
    tiles: str | None = None,
    crs: pyproj.CRS | None = None,
    *,
    short: bool = False,
    towns: bool = False,
) -> str:
    """Basemap, the articles behind what is shown, the data date, the projection, the tool.

    ``towns``: the map names towns (GeoNames'), so their licence is credited.

    ``short`` cuts long article titles (a small page's three lines of credits must still
    hold every licence and the tool's name)."""
    cited = dict.fromkeys(
        s["article"] for props, _ in shown for s in props.get("sources") or () if "article" in s
    )
    articles = []
    for source_id in cited:
        source = catalog.sources.get(source_id, {})
        if source.get("kind") != "article":
            continue
        publisher = source.get("publisher")
        title = source.get("title", source_id)
        if short and len(title) > SHORT_TITLE:
            title = title[:SHORT_TITLE].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        articles.append(f"{publisher}, “{title}”" if publisher else f"“{title}”")
    parts = [f"Basemap: {BASEMAP_CREDIT}"]
    if tiles:
        parts.append(f"Tiles: {styles.TILE_PROVIDERS[tiles]}")
    if articles:
        parts.append("Sources: " + "; ".join(articles))
    if towns:
        parts.append("Towns: GeoNames (CC BY 4.0)")
    when = data_date(catalog)
    if when is not None:
        parts.append(f"Data as of {when.isoformat()}")
    if crs is not None:
        parts.append(f"{projection_name(crs)} projection; scale true at the bar")
    parts.append("Made with geoapp")
    return ". ".join(parts) + "."
