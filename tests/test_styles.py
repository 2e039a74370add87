"""Attributes become style in one place: colours, dashes, widths, symbols, legend."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from geoapp import styles
from geoapp.data.schema import LAYERS, SECTORS, STATUSES
from tests.factories import make_feature


def test_every_sector_has_its_own_colour():
    assert set(styles.SECTOR_COLOURS) == set(SECTORS)
    assert len(set(styles.SECTOR_COLOURS.values())) == len(SECTORS)


def test_status_sets_the_dash_proposed_dashed_construction_dotted_operating_solid():
    width = styles.BASE_WIDTH
    assert styles.dash_array("operating", width) is None
    dashed = [float(v) for v in styles.dash_array("proposed", width).split()]
    dotted = [float(v) for v in styles.dash_array("construction", width).split()]
    assert dashed[0] > dotted[0]  # dashes are longer than dots
    assert set(styles.STATUS_STYLES) == set(STATUSES)


def test_capacity_widens_a_line_up_to_a_cap():
    assert styles.line_width({}) == styles.BASE_WIDTH
    assert styles.line_width({"capacity_bcm": 30}) > styles.line_width({"capacity_bcm": 5})
    assert styles.line_width({"capacity_bcm": 10_000}) == 8.0


def test_css_classes_name_the_layer_and_every_sector():
    props = make_feature("ports", sectors=["trade", "security"])["properties"]
    classes = styles.css_classes(props).split()
    assert classes[:4] == ["feature", "layer-ports", "sector-trade", "sector-security"]


@pytest.mark.parametrize("layer", sorted(styles.LAYER_SYMBOLS))
def test_each_point_layer_has_a_distinct_svg_symbol(layer):
    symbol = styles.LAYER_SYMBOLS[layer]
    svg = styles.svg_symbol(symbol, "#0072B2", dash="2 2")
    root = ET.fromstring(svg)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path.get("d") == styles.SYMBOL_PATHS[symbol]
    assert path.get("fill") == "#0072B2" and path.get("stroke-dasharray") == "2 2"
    assert len(set(styles.LAYER_SYMBOLS.values())) == len(styles.LAYER_SYMBOLS)
    assert layer in LAYERS


def test_legend_lists_only_what_is_present_with_counts():
    features = [
        make_feature("pipelines", "p1", sector="energy", sectors=["energy"], status="proposed"),
        make_feature("pipelines", "p2", sector="energy", sectors=["energy", "security"]),
        make_feature("ports", "port", sector="trade", sectors=["trade"]),
    ]
    entries = {e.key: e.count for e in styles.legend(features)}
    # p2 is of two sectors but wears one colour: the colours count 3 features, not 4.
    assert entries == {
        "sector:energy": 2,
        "sector:trade": 1,
        "status:proposed": 1,
        "status:operating": 2,
        "layer:ports": 1,
    }


def test_style_table_is_plain_json_covering_every_rule():
    table = json.loads(json.dumps(styles.style_table()))
    assert set(table["sectors"]) == set(SECTORS)
    assert set(table["statuses"]) == set(STATUSES)
    assert set(table["symbol_paths"]) >= set(table["symbols"].values())
    assert set(table["symbol_labels"]) == set(table["symbols"])


def test_schematic_geometry_is_thinner_and_fainter_than_approximate():
    line = {"type": "LineString", "coordinates": [[50, 40], [52, 41]]}
    sure = make_feature("pipelines", geometry=line, position="approximate", error_km=5)
    rough = make_feature("pipelines", geometry=line, position="schematic", error_km=50)
    a = styles.feature_style(sure["properties"])
    b = styles.feature_style(rough["properties"])
    assert b.width < a.width and b.opacity < a.opacity and b.fill_opacity < a.fill_opacity
    assert a.colour == b.colour  # the sector still reads


def test_legend_has_a_schematic_row_with_its_error_range_and_no_second_event_row():
    point = {"type": "Point", "coordinates": [52, 40]}
    features = [
        make_feature("events", "event-a", geometry=point, status="event", position="schematic",
                     error_km=50),
        make_feature("pipelines", "pipe-b", position="schematic", error_km=1000),
        make_feature("pipelines", "pipe-c", position="approximate", error_km=10),
    ]  # fmt: skip
    entries = {e.key: e for e in styles.legend(features)}
    row = entries["position:schematic"]
    assert (row.label, row.count) == ("Schematic (±50–1000 km)", 2)
    assert row.opacity < 1 and row.width < 1
    assert "status:event" not in entries and entries["layer:events"].count == 1
    swatch = ET.fromstring(styles.swatch_svg(row))
    (stroke,) = [e for e in swatch.iter() if e.tag.endswith("line")]
    assert float(stroke.get("stroke-opacity")) == row.opacity


def test_only_approximate_points_off_by_20_km_or_more_get_an_uncertainty_circle():
    far = make_feature("events", position="approximate", error_km=120)["properties"]
    near = make_feature("events", position="approximate", error_km=5)["properties"]
    sketch = make_feature("events", position="schematic", error_km=1000)["properties"]
    assert styles.uncertainty_km(far, "Point") == 120
    assert styles.uncertainty_km(near, "Point") is None
    assert styles.uncertainty_km(sketch, "Point") is None  # drawn faint instead
    assert styles.uncertainty_km(far, "LineString") is None


def test_borders_keep_a_neutral_colour_and_a_dash_no_other_status_has():
    line = {"type": "LineString", "coordinates": [[55, 38], [58, 37]]}
    border = make_feature("borders", geometry=line, status="boundary", sector="security",
                          sectors=["security"])["properties"]  # fmt: skip
    for selected in (None, ["security"], ["energy", "security"]):
        assert styles.feature_style(border, selected).colour == styles.BOUNDARY_COLOUR
    assert styles.BOUNDARY_COLOUR not in styles.SECTOR_COLOURS.values()
    dashes = {s: styles.dash_array(s, styles.BASE_WIDTH) for s in styles.STATUS_STYLES}
    assert dashes["boundary"] and list(dashes.values()).count(dashes["boundary"]) == 1


def test_legend_colours_count_each_feature_once_in_the_colour_it_wears():
    features = [
        make_feature("pipelines", "p1", sector="energy", sectors=["energy", "security"]),
        make_feature("ports", "p2", sector="trade", sectors=["trade", "security"]),
        make_feature("borders", "b1", sector="security", sectors=["security"], status="boundary"),
    ]
    everything = {e.key: e.count for e in styles.legend(features)}
    assert everything["sector:energy"] == 1 and everything["sector:trade"] == 1
    assert "sector:security" not in everything  # the border is grey, not security's colour
    assert everything["status:boundary"] == 1
    security_only = {e.key: e.count for e in styles.legend(features, ["security"])}
    assert security_only["sector:security"] == 2  # both wear security's colour now
    assert "sector:energy" not in security_only
