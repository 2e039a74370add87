"""Dates in passages: the articles' forms, as intervals, by the data's completion rules."""

from __future__ import annotations

from datetime import date

import pytest

from geoapp.data.articles.dates import find_dates
from tests import articles as fixtures

file_catalog = fixtures.file_catalog


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q4 2025", [("Q4 2025", date(2025, 10, 1), date(2025, 12, 31))]),
        ("Mid 2026", [("Mid 2026", date(2026, 1, 1), date(2026, 6, 30))]),
        ("End 2025", [("End 2025", date(2025, 1, 1), date(2025, 12, 31))]),
        ("built by 2020.", [("by 2020", None, date(2020, 12, 31))]),
        ("On October 2, 2017, they", [("October 2, 2017", date(2017, 10, 2), date(2017, 10, 2))]),
        ("a June 2016 note", [("June 2016", date(2016, 6, 1), date(2016, 6, 30))]),
        (
            "in 1999 and 2000",
            [
                ("1999", date(1999, 1, 1), date(1999, 12, 31)),
                ("2000", date(2000, 1, 1), date(2000, 12, 31)),
            ],
        ),  # fmt: skip
        ("2027", [("2027", date(2027, 1, 1), date(2027, 12, 31))]),
        ("since the early 1990s", [("1990s", date(1990, 1, 1), date(1999, 12, 31))]),
        ("up by 30% and 25% faster", []),
    ],
)
def test_forms_of_the_articles(text, expected):
    found, _ = find_dates(text)
    assert [(f.text, f.first, f.last) for f in found] == expected


def test_a_day_without_a_year_takes_the_last_year_written():
    _, year = find_dates("On October 2, 2017, a treaty.")
    found, _ = find_dates("during the October 2 visit", year)
    assert [(f.first, f.last) for f in found] == [(date(2017, 10, 2), date(2017, 10, 2))]


def test_completion_ends_agree_with_the_data(file_catalog):
    """Every expected completion the data prints ends where its completion_date says."""
    from geoapp.data.articles.ingest import thematic

    checked = 0
    for props in thematic(file_catalog):
        if props.get("expected_completion") and props.get("completion_date"):
            found, _ = find_dates(props["expected_completion"])
            assert found[-1].last.isoformat() == props["completion_date"], props["id"]
            checked += 1
    assert checked >= 3
