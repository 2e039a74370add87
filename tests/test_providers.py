"""Every provider answers every Query as Query.matches says, byte for byte alike.

Each query of the matrix runs on every layer against every provider (the
``provider`` fixture: files and PostGIS) and is compared with an oracle: the
layer file's features filtered one by one with ``Query.matches`` and shapely's
``intersects``. The PostGIS answers are then compared with the files provider's
directly: the same count, ids in the same order, the same features and the same
encoded bytes.
"""

from __future__ import annotations

import itertools
from datetime import date
from functools import cache
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from geoapp.config import DEFAULTS
from geoapp.data.providers.base import Result
from geoapp.data.providers.files import encode
from geoapp.data.query import CASPIAN_BBOX, MEMBER_OF, Query, queryables
from geoapp.data.schema import COUNTRIES, LAYERS, SECTORS, STATUSES, THEMATIC_LAYERS
from geoapp.data.validate import read_layer_file
from tests.postgis import data_dir_copy

ALL_LAYERS = tuple(LAYERS)
PAGES = [(None, 0), (2, 1), (0, 0), (1, 0), (3, 2), (10, 0), (5, 100), (None, 3)]
#: Every page for these queries, two for the others (the whole set, then a middle page).
PAGED = ("all", "default-layers", "sectors-any-energy", "bbox-caspian", "text-'a'", "combo")


@cache
def features_of(layer: str) -> list[dict]:
    return read_layer_file(Path(DEFAULTS["DATA_DIR"]) / LAYERS[layer].filename)[0]


@cache
def shapes_of(layer: str) -> list:
    return [shape(f["geometry"]) for f in features_of(layer)]


@cache
def kept(query: Query, layer: str) -> list[dict]:
    """The features of ``layer`` that ``query`` keeps, by the definition: no index, no SQL."""
    spec = LAYERS[layer]
    box = None if query.bbox is None else shapely.box(*query.bbox)
    return [
        f
        for f, geometry in zip(features_of(layer), shapes_of(layer), strict=True)
        if (box is None or geometry.intersects(box)) and query.matches(f["properties"], spec)
    ]


def oracle(query: Query, layer: str, limit: int | None, offset: int) -> tuple[int, list[dict]]:
    rows = kept(query, layer)
    end = None if limit is None else offset + limit
    return len(rows), rows[offset:end]


def applies(query: Query, layer: str) -> bool:
    """Whether every ``where`` property is a queryable of ``layer``."""
    return all(name in queryables(LAYERS[layer]) for name, _ in query.where)


def assert_result(result: Result, layer: str, matched: int, features: list[dict]) -> None:
    assert result.layer == layer
    assert result.matched == matched
    assert [f["properties"]["id"] for f in result.features] == [
        f["properties"]["id"] for f in features
    ]
    assert list(result.features) == features
    assert list(result.encoded) == [encoded(f) for f in features]


@cache
def _encoded_by_id() -> dict[str, bytes]:
    return {f["properties"]["id"]: encode(f) for layer in LAYERS for f in features_of(layer)}


def encoded(feature: dict) -> bytes:
    """A feature's encoding as the files provider makes it (cached: the basemap is big)."""
    return _encoded_by_id()[feature["properties"]["id"]]


# -- the matrix --------------------------------------------------------------------------


def _values(name: str) -> list[str]:
    """Values of a queryable property as a client writes them, from the data, plus one absent."""
    found: list[str] = []
    for layer in ALL_LAYERS:
        if name not in queryables(LAYERS[layer]):
            continue
        for feature in features_of(layer):
            value = feature["properties"].get(MEMBER_OF.get(name, name))
            for item in value if isinstance(value, list) else [value]:
                if item is not None and str(item) not in found:
                    found.append(str(item))
    picked = found[:3]
    kind = queryables(LAYERS["ports"]).get(name) or queryables(LAYERS["basemap"])[name]
    if kind in ("int", "number") and picked:
        picked.append(f"{float(picked[0])}")  # 2018 and 2018.0 are one number
        picked.append("7.5")
    elif name in ("sector", "sectors"):
        picked = list(SECTORS)
    elif name == "status":
        picked = list(STATUSES)
    elif name == "country":
        picked = ["TKM", "RUS", "IND"]
    elif name == "layer":
        picked = list(LAYERS)
    else:
        picked.append("no such value")
    return picked


def _where_cases() -> list[tuple[str, Query]]:
    names = sorted(set(queryables(LAYERS["ports"])) | set(queryables(LAYERS["basemap"])))
    cases = []
    for name in names:
        layers = tuple(k for k in ALL_LAYERS if name in queryables(LAYERS[k]))
        for value in _values(name):
            cases.append(
                (f"where-{name}={value[:20]}", Query(layers=layers, where=((name, value),)))
            )
    return cases


def _point_of(layer: str) -> tuple[float, float]:
    lon, lat = features_of(layer)[0]["geometry"]["coordinates"][:2]
    return lon, lat


#: Source filters: articles, their tables, a reference, the dataset, an id no feature cites
#: as a table (so its ``:table`` value keeps nothing).
SOURCE_CASES = ("rt-2025", "rt-2025:energy", "rt-2025:security", "rt-2025:trade",
                "diplomat-2017", "natural-earth", "arabnews-hazar-2012",
                "natural-earth:security")  # fmt: skip


def _cases() -> list[tuple[str, Query]]:
    q = Query(layers=ALL_LAYERS)
    cases: list[tuple[str, Query]] = [("all", q), ("default-layers", Query())]
    for n in range(4):
        for sectors in itertools.combinations(SECTORS, n):
            for match in ("any", "all"):
                cases.append((f"sectors-{match}-{'+'.join(sectors)}", q.replace(
                    sectors=sectors, sectors_match=match)))  # fmt: skip
    for status in STATUSES:
        cases.append((f"status-{status}", q.replace(statuses=(status,))))
    cases += [("status-none", q.replace(statuses=())),
              ("status-two", q.replace(statuses=("operating", "proposed")))]  # fmt: skip
    for country in COUNTRIES:
        cases.append((f"country-{country}", q.replace(countries=(country,))))
    cases += [("country-none", q.replace(countries=())),
              ("country-two", q.replace(countries=("AFG", "AZE")))]  # fmt: skip
    for source in SOURCE_CASES:
        cases.append((f"source-{source}", q.replace(sources=(source,))))
    cases += [("source-none", q.replace(sources=())),
              ("source-two-tables", q.replace(sources=("rt-2025:energy", "rt-2025:trade"))),
              ("source-table-and-id", q.replace(sources=("rt-2025:security", "diplomat-2017")))]  # fmt: skip
    x, y = _point_of("ports")
    for name, box in {
        "caspian": CASPIAN_BBOX,
        "small": (52.0, 39.0, 54.0, 41.0),
        "empty": (0.0, 0.0, 1.0, 1.0),
        "world": (-180.0, -90.0, 180.0, 90.0),
        "port-point": (x, y, x, y),
        "port-line": (x, y - 1, x, y + 1),
        "near-port": (x + 1e-9, y + 1e-9, x + 1.0, y + 1.0),
        "touching-port": (x, y, x + 1.0, y + 1.0),
        "antimeridian-side": (170.0, -10.0, 180.0, 10.0),
    }.items():
        cases.append((f"bbox-{name}", q.replace(bbox=box)))
    for first, last in [
        (date(2017, 1, 1), date(2017, 12, 31)),
        (None, date(2000, 1, 1)),
        (date(2021, 1, 21), None),
        (date(2021, 1, 21), date(2021, 1, 21)),
        (date(1999, 1, 1), date(1999, 1, 1)),
        (date(1998, 12, 31), date(1998, 12, 31)),
        (date(2030, 1, 1), None),
        (None, None),
    ]:
        cases.append((f"time-{first}-{last}", q.replace(time=(first, last))))
    for day in (date(1900, 1, 1), date(2020, 1, 1), date(2025, 12, 31), date(2100, 1, 1)):
        cases.append((f"completed-by-{day}", q.replace(completed_by=day)))
    for text in ("port", "PORT", "aktau", "a", "ß", "SS", "%", "_", "'", "\\", "ş", "İ", "a_b", ""):
        cases.append((f"text-{text!r}", q.replace(text=text)))
    cases += _where_cases()
    cases += [
        ("combo-sectors-status-bbox", q.replace(sectors=("energy",), statuses=("operating",),
                                                 bbox=CASPIAN_BBOX)),
        ("combo-all-country-text", q.replace(sectors=("energy", "trade"), sectors_match="all",
                                             countries=("TKM",), text="a")),
        ("combo-time-bbox-sectors", q.replace(time=(date(2010, 1, 1), None),
                                              bbox=(40.0, 30.0, 70.0, 50.0),
                                              sectors=("security",))),
        ("combo-completed-status", q.replace(completed_by=date(2030, 1, 1),
                                             statuses=("proposed", "construction"))),
        ("combo-where-sector-bbox", Query(layers=THEMATIC_LAYERS, sectors=("trade",),
                                          bbox=CASPIAN_BBOX,
                                          where=(("country", "TKM"), ("sector", "energy")))),
        ("combo-basemap-ignores", Query(layers=("basemap",), sectors=(), statuses=(),
                                        countries=(), bbox=CASPIAN_BBOX, text="stan")),
        ("combo-basemap-time", Query(layers=("basemap",), time=(None, None))),
        ("combo-basemap-iso", Query(layers=("basemap",), where=(("iso_a3", "TKM"),))),
    ]  # fmt: skip
    return cases


CASES = _cases()


@pytest.mark.parametrize("name, query", CASES, ids=[name for name, _ in CASES])
def test_query_matrix(provider, name, query):
    pages = PAGES if name.startswith(PAGED) else PAGES[:2]
    for layer in query.layers:
        if not applies(query, layer):
            continue
        for limit, offset in pages:
            result = provider.query(query, layer, limit=limit, offset=offset)
            assert_result(result, layer, *oracle(query, layer, limit, offset))


def test_postgis_answers_as_files(files_provider, postgis_provider):
    """Both providers, compared directly: count, ids in order, features, encoded bytes."""
    compared = 0
    for _, query in CASES:
        for layer in query.layers:
            if not applies(query, layer):
                continue
            for limit, offset in PAGES[:2]:
                a = files_provider.query(query, layer, limit=limit, offset=offset)
                b = postgis_provider.query(query, layer, limit=limit, offset=offset)
                assert (b.layer, b.matched) == (a.layer, a.matched), (query, layer)
                assert list(b.encoded) == list(a.encoded), (query, layer)
                if layer != "basemap" or limit is not None:  # the matrix decodes it all too
                    assert list(b.features) == list(a.features), (query, layer)
                compared += 1
    assert compared > 2000


def test_matrix_matches_something_and_nothing():
    """The matrix is not vacuous: most filters keep some features and drop others."""
    kept = sum(
        1
        for _, q in CASES
        for layer in q.layers
        if applies(q, layer) and oracle(q, layer, None, 0)[0]
    )
    dropped = sum(
        1
        for _, q in CASES
        for layer in q.layers
        if applies(q, layer) and oracle(q, layer, None, 0)[0] < len(features_of(layer))
    )
    assert kept > 300 and dropped > 300


# -- random queries --------------------------------------------------------------------


def _subset(values):
    return st.none() | st.lists(st.sampled_from(list(values)), unique=True).map(tuple)


_days = st.none() | st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))
_boxes = st.none() | st.tuples(
    st.floats(30, 80), st.floats(20, 55), st.floats(0, 20), st.floats(0, 15)
).map(lambda b: (b[0], b[1], min(b[0] + b[2], 180.0), min(b[1] + b[3], 90.0)))
_texts = st.none() | st.text(alphabet="aeiknorstuASTßİş%_ -'", max_size=4)


@st.composite
def queries(draw):
    first, last = draw(_days), draw(_days)
    if first and last and last < first:
        first, last = last, first
    return Query(
        layers=ALL_LAYERS,
        sectors=draw(_subset(SECTORS)),
        sectors_match=draw(st.sampled_from(["any", "all"])),
        statuses=draw(_subset(STATUSES)),
        countries=draw(_subset(["TKM", "RUS", "KAZ", "AZE", "IRN", "AFG"])),
        sources=draw(_subset(SOURCE_CASES[:6])),
        bbox=draw(_boxes),
        time=draw(st.none() | st.just((first, last))),
        completed_by=draw(_days),
        text=draw(_texts),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries(), layer=st.sampled_from(ALL_LAYERS),
       limit=st.none() | st.integers(0, 6), offset=st.integers(0, 8))  # fmt: skip
def test_random_queries(provider, query, layer, limit, offset):
    result = provider.query(query, layer, limit=limit, offset=offset)
    assert_result(result, layer, *oracle(query, layer, limit, offset))


# -- get, layers, sources ----------------------------------------------------------------


def test_get_every_feature(provider):
    for layer in ALL_LAYERS:
        for feature in features_of(layer):
            got = provider.get(feature["properties"]["id"])
            assert got == feature
            assert encode(got) == encode(feature)
    assert provider.get("no-such-feature") is None
    assert provider.get("") is None
    assert provider.get("port-aktau' OR '1'='1") is None


def test_layers_agree(files_provider, postgis_provider):
    files, postgis = files_provider.layers(), postgis_provider.layers()
    assert list(postgis) == list(files) == list(LAYERS)
    for layer, a in files.items():
        b = postgis[layer]
        assert (b.layer, b.count, b.sectors, b.time_extent) == (
            a.layer,
            a.count,
            a.sectors,
            a.time_extent,
        ), layer
        assert dict(b.vocabularies) == dict(a.vocabularies), layer
        assert b.bbox == pytest.approx(a.bbox, abs=1e-9), layer
        assert b.count == len(features_of(layer))


def test_sources_and_build_info_agree(files_provider, postgis_provider):
    assert dict(postgis_provider.sources()) == dict(files_provider.sources())
    assert list(postgis_provider.sources()) == list(files_provider.sources())
    assert dict(postgis_provider.build_info()) == dict(files_provider.build_info())


def test_version_is_a_token(provider):
    assert isinstance(provider.version(), str) and provider.version()
    assert provider.version() == provider.version()


def test_versions_share_the_content_hash(files_provider, postgis_provider):
    """The PostGIS version is the load counter and the files provider's version (the hash)."""
    assert postgis_provider.version().split("-", 1)[1] == files_provider.version()


def test_content_hash_is_the_files_version(tmp_path, files_provider):
    from geoapp.data import db
    from geoapp.data.providers.files import FilesProvider

    assert db.content_hash(DEFAULTS["DATA_DIR"]) == files_provider.version()
    changed = data_dir_copy(tmp_path)
    (changed / "sources.json").write_text(
        (changed / "sources.json").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    assert db.content_hash(changed) == FilesProvider(changed).version() != files_provider.version()
