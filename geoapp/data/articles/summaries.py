"""The towns the features' summaries name, found in GeoNames: names for the map.

A summary says where a thing is in words ("from Galkynysh via Herat and Kandahar,
then Quetta and Multan, to Fazilka"); the web map names those places so that a
reader sees them. They are found with the articles' gazetteer rules
(:func:`gazetteer.find_places`: the map's region first, then population) at data
build time and kept in ``geodata/build.json`` as facts with their GeoNames id, never
looked up at run time.

Two kinds of hit are left out: a place a point feature already stands on (within
``NEAR_KM``; the feature's own label names it), and a word of the naming feature's own
name (the Dostluk field is not the village of Dostluk; the Turkmenbashi–Alat ferry's
Alat is not Alat in Uzbekistan).
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterable

from geoapp.data.articles import gazetteer
from geoapp.data.search import normalise

#: A place this close (km) to a point feature is that feature's place: not named twice.
NEAR_KM = 12.0


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (km) between two lon/lat points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _points(features: Iterable[dict]) -> list[tuple[float, float]]:
    out = []
    for f in features:
        geom = f["geometry"]
        if geom["type"] == "Point":
            out.append(tuple(geom["coordinates"][:2]))
        elif geom["type"] == "MultiPoint":
            out.extend(tuple(c[:2]) for c in geom["coordinates"])
    return out


def _own_words(props: dict) -> set[str]:
    names = [props.get("name") or "", *(props.get("aliases") or ())]
    return {normalise(w) for n in names for w in re.findall(r"\w+", n)}


def named_places(
    features: list[dict], conn: sqlite3.Connection, region: gazetteer.Region
) -> list[dict]:
    """Places the thematic features' summaries name, most populous first.

    Each is ``{name, geonameid, lon, lat, population, country, named_by: [feature ids]}``.
    ``conn`` holds the gazetteer (:func:`gazetteer.ensure`).
    """
    props = [f["properties"] for f in features]
    text = " ".join(p.get("summary") or "" for p in props)
    lowercase = frozenset(normalise(w) for w in re.findall(r"\b[a-z][a-z]+\b", text))
    stands = _points(features)
    found: dict[int, dict] = {}
    for p in props:
        own = _own_words(p)
        for place in gazetteer.find_places(conn, p.get("summary") or "", region, lowercase):
            if normalise(place.name) in own:
                continue
            if any(_km((place.lon, place.lat), xy) <= NEAR_KM for xy in stands):
                continue
            entry = found.setdefault(
                place.geonameid,
                {
                    "name": place.name,
                    "geonameid": place.geonameid,
                    "lon": round(place.lon, 5),
                    "lat": round(place.lat, 5),
                    "population": place.population,
                    "country": place.country,
                    "named_by": [],
                },
            )
            if p["id"] not in entry["named_by"]:
                entry["named_by"].append(p["id"])
    return sorted(found.values(), key=lambda e: (-e["population"], e["name"]))
