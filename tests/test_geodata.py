"""The bundled data: every item of the two articles, placed where it really is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point, shape

from geoapp.config import DEFAULTS, ROOT
from geoapp.data.datadoc import render_data_readme
from geoapp.data.schema import LAYERS
from tests.data import features

ARTICLES = ROOT.parent / "shared" / "articles"
GEOD = Geod(ellps="WGS84")

#: The first article's three tables, row by row, as printed (figures exactly), in the order
#: (expected outcome, expected completion, objective or focus).
TABLE_ROWS = {
    "energy:TurkmenGas Upgrade": (None, "Q4 2025", "Increase pipeline capacity by 30%"),
    "energy:Caspian Offshore Joint Drilling": (None, "Mid 2026", "Explore new gas fields"),
    "energy:Green Energy Retrofit": (None, "End 2025", "Reduce emissions by 15%"),
    "security:Border Security": ("Reduced smuggling activities", None, "Joint patrols and surveillance"),
    "security:Maritime Safety": ("Protection of energy assets", None, "Casual Sea region monitoring"),
    "security:Cyber Defense": ("Enhanced response to cyber threats", None, "Information sharing & drills"),
    "trade:Turkmenistan-Russia Rail Link Upgrade": ("25% faster transit time", "2026", None),
    "trade:Digital Customs Platform": ("50% reduction in clearance delays", "2025", None),
    "trade:Aktau Port Expansion": ("30% increase in cargo capacity", "2027", None),
}  # fmt: skip

#: Reference positions (lon, lat) of places, from their Wikipedia infoboxes (English, or the
#: Russian/German article where the English one gives none), checked independently of the data.
REFERENCE = {
    "Aktau": (51.17, 43.65), "Turkmenbashi": (52.97, 40.02), "Makhachkala": (47.50, 42.98),
    "Astrakhan": (48.04, 46.35), "Bandar Anzali": (49.46, 37.47), "Kaspiysk": (47.64, 42.88),
    "Herat": (62.20, 34.35), "Kandahar": (65.71, 31.61), "Quetta": (67.00, 30.18),
    "Multan": (71.47, 30.20), "Fazilka": (74.03, 30.40), "Beyneu": (55.20, 45.32),
    "Khiva": (60.36, 41.38), "Ashgabat": (58.38, 37.95), "Zhanaozen": (52.855, 43.338),
    "Serhetabat": (62.34, 35.28), "Galkynysh": (62.3586, 37.3014), "Shatlyk": (61.583, 37.600),
    "Olya": (47.534, 45.785), "Alat": (49.407, 39.948), "Puta": (49.662, 40.296),
    "Kuryk": (51.65, 43.20), "Bereket": (55.517, 39.243), "Atyrau": (51.883, 47.117),
    "Kulsary": (54.017, 46.963), "Sangachal": (49.481, 40.201), "Hazar": (53.128, 39.413),
}  # fmt: skip

#: Points that must lie within 5 km of a reference position.
POINTS_AT = {
    "port-aktau": "Aktau", "port-turkmenbashi": "Turkmenbashi",
    "port-makhachkala": "Makhachkala", "port-astrakhan": "Astrakhan",
    "port-bandar-anzali": "Bandar Anzali", "naval-kaspiysk": "Kaspiysk",
    "naval-astrakhan": "Astrakhan", "naval-bandar-anzali": "Bandar Anzali",
    "naval-turkmenbashi": "Turkmenbashi", "naval-makhachkala": "Makhachkala",
    "naval-aktau": "Aktau", "port-olya": "Olya", "port-baku-alat": "Alat",
    "naval-baku-puta": "Puta", "port-kuryk": "Kuryk",
}  # fmt: skip

#: Routes and the towns they must pass within 25 km of.
ROUTES_THROUGH = {
    "pipeline-tapi": [
        "Galkynysh",
        "Serhetabat",
        "Herat",
        "Kandahar",
        "Quetta",
        "Multan",
        "Fazilka",
    ],
    "pipeline-cac-main": ["Shatlyk", "Khiva", "Beyneu"],
    "pipeline-trans-caspian": ["Sangachal"],
    "pipeline-cac-3-coastal": ["Hazar", "Zhanaozen", "Beyneu"],
    "corridor-rail-link": ["Bereket", "Zhanaozen", "Beyneu", "Kulsary", "Atyrau", "Astrakhan"],
}


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2] / 1000


def distance_to_line_km(point: tuple[float, float], geom) -> float:
    nearest = shapely.ops.nearest_points(geom, Point(point))[0]
    return km(point, (nearest.x, nearest.y))


def props_of(catalog, fid):
    feature = catalog.get(fid)
    assert feature is not None, f"missing feature {fid}"
    return feature["properties"]


def test_every_layer_is_non_empty(catalog):
    for layer_id in LAYERS:
        assert features(catalog, layer_id), layer_id


def test_ids_are_unique_across_layers(catalog):
    ids = [f["properties"]["id"] for layer in LAYERS for f in features(catalog, layer)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", TABLE_ROWS)
def test_every_table_row_is_on_the_map_with_its_exact_figures(catalog, row):
    carriers = [
        f["properties"]
        for layer in LAYERS
        for f in features(catalog, layer)
        if f["properties"].get("table_row") == row
    ]
    assert len(carriers) == 1, f"{row}: carried by {len(carriers)} features"
    props = carriers[0]
    outcome, completion, objective = TABLE_ROWS[row]
    assert props.get("objective") == objective
    assert props.get("expected_completion") == completion
    assert props.get("expected_outcome") == outcome
    assert props["sector"] == row.split(":")[0]
    assert any(s["article"] == "rt-2025" for s in props["sources"])


@pytest.mark.skipif(not ARTICLES.is_dir(), reason="the articles are not beside the checkout")
def test_table_rows_match_the_article_as_printed():
    text = "\n".join(p.read_text(encoding="utf-8") for p in ARTICLES.glob("*.txt"))
    printed = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and not set(cells[0]) <= {"-"}:
            printed.add(tuple(cells))
    for row, figures in TABLE_ROWS.items():
        outcome, completion, objective = figures
        cells = (objective, completion, outcome)
        expected = (row.split(":", 1)[1], *[f for f in cells if f is not None])
        assert expected in printed, expected


@pytest.mark.parametrize(
    "fid",
    ["caspian-sea", "area-dostluk-field", "area-itera-block-21", "area-maritime-safety",
     "pipeline-cac-main", "pipeline-cac-3-coastal", "pipeline-tapi", "pipeline-trans-caspian",
     "port-turkmenbashi", "port-aktau", "port-kuryk", "port-makhachkala", "port-astrakhan",
     "port-olya", "port-baku-alat", "port-bandar-anzali", "port-amirabad",
     "border-tkm-afg", "border-tkm-irn", "border-tkm-uzb", "border-tkm-kaz",
     "crossing-serhetabat-torghundi", "crossing-imamnazar-aqina",
     "naval-kaspiysk", "naval-astrakhan", "naval-makhachkala", "naval-turkmenbashi",
     "naval-baku-puta", "naval-bandar-anzali", "naval-aktau",
     "event-2012-turkmen-naval-drill", "event-2013-itera-drilling",
     "event-2017-10-02-ashgabat-visit", "event-2016-06-kremlin-training-arms",
     "event-1999-2000-ashgabat-afghan-talks", "event-2017-03-ismail-khan-tapi-statement"],
)  # fmt: skip
def test_each_named_place_is_present_and_sourced(catalog, fid):
    props = props_of(catalog, fid)
    assert props["summary"]
    assert props["sources"]


def test_the_second_articles_items_cite_it(catalog):
    for fid in ("naval-kaspiysk", "naval-turkmenbashi", "event-2012-turkmen-naval-drill",
                "event-2013-itera-drilling", "border-tkm-afg", "pipeline-trans-caspian"):  # fmt: skip
        assert any(s["article"] == "diplomat-2017" for s in props_of(catalog, fid)["sources"])
    # The article's "by 2020" belongs to the new facility, a project of its own on the base.
    new_base = props_of(catalog, "naval-kaspiysk-new-base")
    assert new_base["expected_completion"] == "by 2020"
    assert new_base["asset"] == "naval-kaspiysk" and new_base["status"] == "construction"
    assert "2022" in new_base["summary"] and "tass-kaspiysk-2021" in new_base["status_source"]
    assert "expected_completion" not in props_of(catalog, "naval-kaspiysk")


#: Table rows that upgrade something that exists: the project and the asset it upgrades.
UPGRADES = {
    "trade:Aktau Port Expansion": ("port-aktau-expansion", "port-aktau"),
    "energy:TurkmenGas Upgrade": ("pipeline-turkmengas-upgrade", "pipeline-cac-main"),
    "trade:Turkmenistan-Russia Rail Link Upgrade": ("corridor-rail-link", "rail-bereket-astrakhan"),
}


@pytest.mark.parametrize("row", UPGRADES)
def test_projects_are_not_their_assets(catalog, row):
    project_id, asset_id = UPGRADES[row]
    project, asset = props_of(catalog, project_id), props_of(catalog, asset_id)
    assert project["table_row"] == row and project["asset"] == asset_id
    assert project["status"] in ("proposed", "construction")
    assert asset["status"] == "operating" and "table_row" not in asset


def test_alleged_claims_say_who_made_them(catalog):
    statement = props_of(catalog, "event-2017-03-ismail-khan-tapi-statement")
    assert statement["claim"] == "alleged" and "Ismail Khan" in statement["claimed_by"]


def test_the_issue_11_corrections_are_in_the_data(catalog):
    torghundi = props_of(catalog, "crossing-serhetabat-torghundi")
    assert "2011" not in torghundi["summary"]
    assert "November 2017" in torghundi["summary"] and "February 2018" in torghundi["summary"]
    uzb = props_of(catalog, "border-tkm-uzb")
    assert "1,621" in uzb["summary"] and "1,793" in uzb["summary"]
    for fid, words in (("port-bandar-anzali", "straight line"), ("naval-baku-puta", "straight line"),
                       ("port-olya", "straight line")):  # fmt: skip
        assert words in props_of(catalog, fid)["summary"], fid
    drill = shape(catalog.get("event-2012-turkmen-naval-drill")["geometry"])
    assert km((drill.x, drill.y), REFERENCE["Turkmenbashi"]) == pytest.approx(60, abs=5)


def test_events_have_the_dates_the_article_gives(catalog):
    dates = {p["id"]: p["date"] for p in (f["properties"] for f in features(catalog, "events"))}
    assert dates["event-2017-10-02-ashgabat-visit"] == "2017-10-02"
    assert dates["event-2012-turkmen-naval-drill"].startswith("2012-09")
    assert dates["event-2016-06-kremlin-training-arms"].startswith("2016-06")
    assert dates["event-2017-03-ismail-khan-tapi-statement"].startswith("2017-03")
    assert dates["event-1999-2000-ashgabat-afghan-talks"] == "1999/2000"


def test_article_errors_are_kept_and_noted(catalog):
    maritime = props_of(catalog, "area-maritime-safety")
    assert maritime["objective"] == "Casual Sea region monitoring"
    assert "Caspian" in maritime["notes"]
    aktau = props_of(catalog, "port-aktau")
    assert aktau["country"] == ["KAZ"] and "Kazakhstan" in aktau["notes"]


@pytest.mark.parametrize(("fid", "place"), POINTS_AT.items())
def test_points_lie_within_5_km_of_the_real_place(catalog, fid, place):
    geom = shape(catalog.get(fid)["geometry"])
    assert km((geom.x, geom.y), REFERENCE[place]) <= 5


@pytest.mark.parametrize(("fid", "towns"), ROUTES_THROUGH.items())
def test_routes_pass_within_25_km_of_every_town_they_serve(catalog, fid, towns):
    geom = shape(catalog.get(fid)["geometry"])
    for town in towns:
        assert distance_to_line_km(REFERENCE[town], geom) <= 25, town


def test_tapi_runs_through_its_four_countries_in_order(catalog):
    tapi = shape(catalog.get("pipeline-tapi")["geometry"])
    countries = {f["properties"]["iso_a3"]: shape(f["geometry"])
                 for f in features(catalog, "basemap")}  # fmt: skip
    start, end = Point(tapi.coords[0]), Point(tapi.coords[-1])
    assert countries["TKM"].contains(start) and countries["IND"].contains(end)
    for code in ("AFG", "PAK"):
        assert tapi.intersects(countries[code])
    assert props_of(catalog, "pipeline-tapi")["country"] == ["TKM", "AFG", "PAK", "IND"]


def test_crossings_sit_on_their_border(catalog):
    for fid, border in (("crossing-serhetabat-torghundi", "border-tkm-afg"),
                        ("crossing-imamnazar-aqina", "border-tkm-afg"),
                        ("crossing-serhetyaka-bolashak", "border-tkm-kaz"),
                        ("crossing-farap-alat", "border-tkm-uzb")):  # fmt: skip
        point = shape(catalog.get(fid)["geometry"])
        assert distance_to_line_km((point.x, point.y), shape(catalog.get(border)["geometry"])) <= 5


def test_caspian_area_is_within_3_percent_of_the_reference(catalog):
    sea = shape(catalog.get("caspian-sea")["geometry"])
    area = abs(GEOD.geometry_area_perimeter(sea)[0]) / 1e6
    includes_kbg = sea.contains(Point(53.5, 41.3))
    reference = 386_000 if includes_kbg else 371_000
    assert abs(area / reference - 1) <= 0.03, area


def test_areas_at_sea_lie_in_the_caspian(catalog):
    sea = shape(catalog.get("caspian-sea")["geometry"]).buffer(0.05)
    for feature in features(catalog, "caspian"):
        assert sea.contains(shape(feature["geometry"])), feature["properties"]["id"]


def test_basemap_covers_the_region(catalog):
    codes = {f["properties"]["iso_a3"] for f in features(catalog, "basemap")}
    assert {"RUS", "KAZ", "TKM", "UZB", "AZE", "IRN", "AFG", "PAK", "IND", "GEO", "ARM",
            "TJK", "KGZ", "TUR", "CHN"} <= codes  # fmt: skip


def test_every_fact_from_elsewhere_names_a_registered_source(catalog):
    for layer in LAYERS:
        for feature in features(catalog, layer):
            for source in feature["properties"]["sources"]:
                assert source["article"] in catalog.sources


def test_the_data_readme_is_generated_from_the_data(catalog):
    committed = (Path(DEFAULTS["DATA_DIR"]) / "README.md").read_text(encoding="utf-8")
    assert committed == render_data_readme(catalog), "run: make geodata"


def test_no_sentence_is_copied_from_the_articles():
    if not ARTICLES.is_dir():
        pytest.skip("the articles are not beside the checkout")
    words = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

    def shingles(text: str) -> set[str]:
        ws = words.findall(text.lower())
        return {" ".join(ws[i : i + 9]) for i in range(len(ws) - 8)}

    source = set().union(*(shingles(p.read_text()) for p in ARTICLES.glob("*.txt")))
    for path in [*Path(ROOT / "geodata").rglob("*.*")]:
        if path.suffix in (".json", ".geojson", ".toml", ".md"):
            assert not shingles(path.read_text(encoding="utf-8")) & source, path
