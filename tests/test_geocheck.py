"""The geographic and provenance rules, each proved on a small bad file in tmp_path.

The toy world of ``tests.factories``: a sea from lon 52.0 to 52.95 and lat 39.5 to 40.5,
land all round it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pyproj import Geod

from geoapp.data.validate import validate_dir
from tests.factories import SOURCES, make_feature, write_data_dir

GEOD = Geod(ellps="WGS84")


def messages(path) -> list[str]:
    return [str(p) for p in validate_dir(path)]


def line(*coords):
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


def point(lon, lat):
    return {"type": "Point", "coordinates": [lon, lat]}


def box(x0, y0, x1, y1):
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def km_in(message: str) -> float:
    return float(re.search(r"(\d+\.\d) km", message).group(1))


def test_the_toy_world_is_clean(tmp_path):
    assert messages(write_data_dir(tmp_path)) == []


# -- land ------------------------------------------------------------------------------


def test_a_land_point_in_the_sea_fails_with_its_distance_in_metres(tmp_path):
    port = make_feature("ports", "port-wet", geometry=point(52.5, 40.0))
    write_data_dir(tmp_path, {"ports": [port]})
    (found,) = [m for m in messages(tmp_path) if "port-wet" in m]
    assert found.startswith("ports.geojson: port-wet: point (52.500, 40.000) is ")
    assert "km into the sea (a feature on land may reach 1 km into it)" in found
    # The nearest shore is the east edge, 0.45 degrees of longitude away at 40 N.
    expected = GEOD.inv(52.5, 40.0, 52.95, 40.0)[2] / 1000
    assert km_in(found) == pytest.approx(expected, abs=0.15)


def test_a_land_line_whose_vertices_are_ashore_but_crosses_the_sea_fails(tmp_path):
    pipe = make_feature("pipelines", "pipe-wet", geometry=line((51.9, 40.0), (53.1, 40.0)))
    write_data_dir(tmp_path, {"pipelines": [pipe]})
    found = [m for m in messages(tmp_path) if "pipe-wet" in m]
    assert len(found) == 1
    assert found[0].startswith(
        "pipelines.geojson: pipe-wet: segment 1-2 (51.900, 40.000) -> (53.100, 40.000) reaches "
    )
    assert km_in(found[0]) > 30


def test_a_land_line_may_touch_the_sea_by_less_than_a_km(tmp_path):
    # 0.005 degrees (about 430 m) inside the east shore.
    pipe = make_feature("pipelines", "pipe-shore", geometry=line((52.945, 40.0), (53.5, 40.0)))
    write_data_dir(tmp_path, {"pipelines": [pipe]})
    assert messages(tmp_path) == []


# -- sea -------------------------------------------------------------------------------


def test_a_sea_route_over_land_fails(tmp_path):
    route = make_feature(
        "corridors",
        "route-dry",
        geometry=line((52.2, 40.0), (54.0, 40.0)),
        kind="shipping-route",
    )
    write_data_dir(tmp_path, {"corridors": [route]})
    (found,) = [m for m in messages(tmp_path) if "route-dry" in m]
    assert found.startswith("corridors.geojson: route-dry: crosses ")
    assert "(beyond 5 km of its ends); a route at sea may cross at most 2 km" in found
    # About 1.05 degrees of longitude ashore, less the 5 km kept for its end.
    ashore = GEOD.inv(52.95, 40.0, 54.0, 40.0)[2] / 1000 - 5
    assert km_in(found) == pytest.approx(ashore, abs=0.5)


def test_a_sea_route_may_come_ashore_at_its_ends(tmp_path):
    route = make_feature(
        "corridors",
        "route-port",
        geometry=line((52.2, 40.0), (52.97, 40.02)),
        kind="shipping-route",
    )
    write_data_dir(tmp_path, {"corridors": [route]})
    assert messages(tmp_path) == []


def test_an_offshore_area_on_land_fails(tmp_path):
    areas = [
        make_feature("caspian", "caspian-toy"),
        make_feature("caspian", "area-dry", geometry=box(52.5, 39.8, 53.5, 40.2), kind="offshore-area"),
    ]  # fmt: skip
    write_data_dir(tmp_path, {"caspian": areas})
    found = [m for m in messages(tmp_path) if "area-dry" in m]
    assert found and all("crosses" in m and "of land" in m for m in found)


def test_the_geographic_rules_need_the_sea(tmp_path):
    area = make_feature("caspian", "area-only", kind="offshore-area")
    write_data_dir(tmp_path, {"caspian": [area]})
    assert (
        "caspian.geojson: *: no feature of kind 'sea': the geographic rules need the Caspian "
        "polygon"
    ) in messages(tmp_path)


# -- coast and border ------------------------------------------------------------------


def test_a_seaport_inland_fails(tmp_path):
    port = make_feature("ports", "port-inland", geometry=point(53.2, 40.0), kind="seaport")
    write_data_dir(tmp_path, {"ports": [port]})
    (found,) = [m for m in messages(tmp_path) if "port-inland" in m]
    assert found.startswith("ports.geojson: port-inland: (53.200, 40.000) is ")
    assert "km from the Caspian shore (a seaport or coastline lies within 3 km of it)" in found
    assert km_in(found) == pytest.approx(GEOD.inv(53.2, 40.0, 52.95, 40.0)[2] / 1000, abs=0.15)


COUNTRIES = [
    make_feature("basemap", "country-tkm", geometry=box(53.0, 38.0, 55.0, 39.4), iso_a3="TKM"),
    make_feature("basemap", "country-uzb", geometry=box(55.0, 38.0, 57.0, 39.4), iso_a3="UZB"),
]


@pytest.mark.parametrize(("lon", "ok"), [(55.01, True), (55.1, False)])
def test_a_crossing_lies_within_2_km_of_its_border(tmp_path, lon, ok):
    crossing = make_feature(
        "borders", "crossing-x", geometry=point(lon, 38.5), kind="crossing", country=["TKM", "UZB"]
    )
    write_data_dir(tmp_path, {"borders": [crossing], "basemap": COUNTRIES})
    found = [m for m in messages(tmp_path) if "crossing-x" in m]
    if ok:
        assert found == []
    else:
        (message,) = found
        assert message.startswith("borders.geojson: crossing-x: (55.100, 38.500) is ")
        assert "km from the TKM-UZB border (a crossing lies within 2 km of it)" in message
        assert km_in(message) == pytest.approx(GEOD.inv(55.1, 38.5, 55.0, 38.5)[2] / 1000, abs=0.1)


def test_a_crossing_names_its_two_countries(tmp_path):
    crossing = make_feature("borders", "crossing-y", geometry=point(55.0, 38.5), kind="crossing")
    write_data_dir(tmp_path, {"borders": [crossing], "basemap": COUNTRIES})
    assert (
        "borders.geojson: crossing-y: a crossing names the two countries it joins in 'country'"
    ) in messages(tmp_path)


# -- provenance ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"kind": "volcano"}, "unknown kind 'volcano'; valid: sea, offshore-area"),
        ({"kind": "pipeline"}, "kind 'pipeline' does not belong in layer 'ports'; valid there: "
                               "seaport, river-port"),
        ({"kind": None}, "missing required property 'kind'"),
        ({"position": "guessed"}, "unknown position 'guessed'; valid: surveyed, approximate, "
                                  "schematic"),
        ({"position": None}, "missing required property 'position'"),
        ({"error_km": None}, "a approximate position needs 'error_km'"),
        ({"error_km": -1}, "'error_km' must be a positive number"),
        ({"position_source": "somebody said so"},
         "'position_source' must name at least one source id of sources.json"),
        ({"status_as_of": None}, "status 'operating' needs 'status_as_of'"),
        ({"status_as_of": "last year"}, "'status_as_of' must be an ISO date"),
        ({"status_as_of": "2999-01-01"}, "'status_as_of' 2999-01-01 is in the future"),
        ({"status_source": None}, "status 'operating' needs 'status_source'"),
        ({"status_source": "nowhere"}, "'status_source' 'nowhere' is not in sources.json"),
        ({"claim": "rumoured", "claimed_by": "x"}, "unknown claim 'rumoured'; valid: alleged"),
        ({"claim": "alleged"}, "a claim needs 'claimed_by', who made it"),
        ({"claimed_by": "someone"}, "'claimed_by' without 'claim'"),
        ({"asset": "port-nowhere"}, "'asset' 'port-nowhere' is not the id of any feature"),
        ({"asset": "ports-one"}, "'asset' names the feature itself"),
    ],
)  # fmt: skip
def test_provenance_rules(tmp_path, overrides, expected):
    write_data_dir(tmp_path, {"ports": [make_feature("ports", **overrides)]})
    found = messages(tmp_path)
    assert any(m.startswith("ports.geojson: ports-one: ") and expected in m for m in found), found


def test_a_surveyed_position_needs_no_error(tmp_path):
    write_data_dir(tmp_path, {"ports": [make_feature("ports", position="surveyed", error_km=None)]})
    assert messages(tmp_path) == []


def test_events_areas_and_boundaries_need_no_status_date(tmp_path):
    event = make_feature("events", status="event", date="2017", status_as_of=None,
                         status_source=None)  # fmt: skip
    write_data_dir(tmp_path, {"events": [event]})
    assert messages(tmp_path) == []


def test_a_project_is_drawn_on_or_beside_its_asset(tmp_path):
    port = make_feature("ports", "port-a")
    near = make_feature("ports", "port-a-expansion", geometry=point(52.99, 40.03), asset="port-a")
    far = make_feature("ports", "port-a-far", geometry=point(53.5, 40.5), asset="port-a")
    write_data_dir(tmp_path, {"ports": [port, near, far]})
    found = messages(tmp_path)
    assert not [m for m in found if "port-a-expansion" in m]
    (message,) = [m for m in found if "port-a-far" in m]
    assert message.startswith("ports.geojson: port-a-far: drawn ")
    assert "km from its asset 'port-a'; a project is drawn on or beside what it upgrades" in message


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"accessed": None}, "sources.json: ref: a source with a 'url' needs 'accessed'"),
        ({"accessed": "22/11/2026"}, "sources.json: ref: 'accessed' must be an ISO date"),
        ({"accessed": "2999-01-01"}, "sources.json: ref: 'accessed' 2999-01-01 is in the future"),
    ],
)
def test_every_source_with_a_url_says_when_it_was_read(tmp_path, entry, expected):
    ref = {k: v for k, v in {**SOURCES["ref"], **entry}.items() if v is not None}
    write_data_dir(tmp_path, sources={**SOURCES, "ref": ref})
    assert any(m.startswith(expected) for m in messages(tmp_path)), messages(tmp_path)


def test_the_bundled_data_passes_the_geographic_rules():
    from geoapp.config import DEFAULTS

    assert messages(DEFAULTS["DATA_DIR"]) == []
    sources = json.loads((Path(DEFAULTS["DATA_DIR"]) / "sources.json").read_text("utf-8"))
    assert all("accessed" in s for s in sources.values() if "url" in s)
