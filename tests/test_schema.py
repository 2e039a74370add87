"""The vocabularies and the date rules every layer shares."""

from datetime import date

import pytest

from geoapp.data.schema import (
    FIELDS,
    LAYERS,
    SECTORS,
    STATUSES,
    normalise_completion,
    parse_iso_date,
    time_span,
)


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("Q4 2025", date(2025, 12, 31)),
        ("Q1 2026", date(2026, 3, 31)),
        ("Q2 2026", date(2026, 6, 30)),
        ("Mid 2026", date(2026, 6, 30)),
        ("End 2025", date(2025, 12, 31)),
        ("2027", date(2027, 12, 31)),
        ("by 2020", date(2020, 12, 31)),
    ],
)
def test_expected_completion_normalises_to_the_latest_day_it_allows(printed, expected):
    assert normalise_completion(printed) == expected


@pytest.mark.parametrize("printed", ["soon", "Q5 2025", "2025 Q4", "", "Spring 2025"])
def test_unrecognised_completion_is_an_error(printed):
    with pytest.raises(ValueError, match="unrecognised"):
        normalise_completion(printed)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2017-10-02", date(2017, 10, 2), date(2017, 10, 2)),
        ("2016-06", date(2016, 6, 1), date(2016, 6, 30)),
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29)),
        ("2012", date(2012, 1, 1), date(2012, 12, 31)),
        ("1999/2000", date(1999, 1, 1), date(2000, 12, 31)),
    ],
)
def test_iso_dates_cover_their_whole_period(text, first, last):
    assert parse_iso_date(text) == (first, last)


@pytest.mark.parametrize("text", ["2017-13", "17-10-02", "2000/1999", "October 2017"])
def test_bad_iso_dates_are_rejected(text):
    with pytest.raises(ValueError):
        parse_iso_date(text)


def test_every_layer_has_a_title_and_geometry_types_geojson_knows():
    geojson_types = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                     "MultiPolygon"}  # fmt: skip
    for layer in LAYERS.values():
        assert layer.title and layer.description
        assert layer.geometry_types and set(layer.geometry_types) <= geojson_types


def test_vocabularies_match_the_issue():
    assert list(SECTORS) == ["energy", "security", "trade"]
    gem = ["proposed", "construction", "operating", "shelved", "cancelled", "mothballed", "retired"]
    assert list(STATUSES)[:7] == gem
    assert {"event", "area"} <= set(STATUSES)
    names = [f.name for f in FIELDS]
    for required in ("id", "name", "layer", "sector", "sectors", "status", "objective",
                     "expected_completion", "completion_date", "expected_outcome", "date",
                     "country", "notes", "sources"):  # fmt: skip
        assert required in names


def test_time_span_events_projects_and_infrastructure():
    """One rule: events by their date, projects from start to due date, things from opening on."""
    assert time_span({"date": "2012-09"}) == (date(2012, 9, 1), date(2012, 9, 30))
    listed = {"status": "proposed", "status_as_of": "2025", "completion_date": "2027-12-31"}
    assert time_span(listed) == (date(2025, 1, 1), date(2027, 12, 31))
    begun = {"status": "construction", "year_started": 2015, "status_as_of": "2024"}
    assert time_span(begun) == (date(2015, 1, 1), None)  # no due date: open
    overdue = {"status": "construction", "status_as_of": "2021-06-08",
               "completion_date": "2020-12-31"}  # fmt: skip
    assert time_span(overdue) == (date(2021, 6, 8), None)
    assert time_span({"status": "operating", "year_completed": 1972}) == (date(1972, 1, 1), None)
    assert time_span({"status": "operating", "status_as_of": "2023"}) is None  # not a start
    assert time_span({"status": "proposed"}) is None
