"""Schemathesis against the OpenAPI document of /ogc: every check, a short seeded run.

The document is generated from the schema (``geoapp.api.openapi``); this run holds the
server to it. Every request the document calls valid must get a 2xx (or a 404 for an
id that does not exist), every one it calls invalid a 400, and every answer must have a
documented status, media type and shape (Schemathesis' checks, all of them).

It runs in-process through WSGI, with ``Accept-Encoding: identity`` because its WSGI
transport does not decode gzip (gzip is tested in tests/test_http.py). Bounded: a few
examples per operation, derandomized, so the run is the same every time (~10 s).

Two rules of the document are prose that OpenAPI 3.0 cannot state as a schema (the OGC
standard's own bbox schema has the same gap): a bbox is four or six numbers, never five,
its latitudes lie within ±90 and longitudes within ±180, each minimum at most its
maximum; a datetime interval has at least one end and does not end before it starts. Valid cases
are drawn within those rules (``keeps_the_prose``); invalid ones are drawn as generated.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.data import features as stored

EXAMPLES = 12


@pytest.fixture(scope="module")
def ogc_schema(app):
    """The document of the app on each provider: both must keep to it."""
    return schemathesis.openapi.from_wsgi("/ogc/api?f=json", app)


def _numbers(value) -> list[float]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [float(v) for v in items]


def _bbox_keeps_the_prose(value) -> bool:
    try:
        values = _numbers(value)
    except (TypeError, ValueError):
        return True  # not numbers: the schema itself says it is invalid
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4:
        return False  # five numbers
    minx, miny, maxx, maxy = values
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def _datetime_keeps_the_prose(value) -> bool:
    if not isinstance(value, str) or "/" not in value:
        return True
    start, end = value.split("/", 1)
    days = [re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", part) for part in (start, end)]
    if not any(days):
        return False  # "../..", "/": no end at all
    return not all(days) or days[0][0] <= days[1][0]


def keeps_the_prose(case) -> bool:
    """Whether a case keeps the rules the document states in words only (see above)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return True
    query = case.query or {}
    return _bbox_keeps_the_prose(query.get("bbox", "0,0,0,0")) and _datetime_keeps_the_prose(
        query.get("datetime")
    )


def call(case, failures: list[str]) -> None:
    try:
        case.call_and_validate(headers={"Accept-Encoding": "identity"})
    except (Exception, BaseExceptionGroup) as exc:  # noqa: B036 - FailureGroup is a BaseException
        failures.append(f"{case.operation.label}: {exc}")


def test_the_ogc_api_keeps_to_its_openapi_document(ogc_schema):
    """Schemathesis' coverage phase (boundary and invalid values of every parameter, the
    same every run), then a short fuzzing run, valid and invalid, with all checks."""
    assert len(GenerationMode) == 2  # valid and invalid requests, both drawn below
    operations = [result.ok() for result in ogc_schema.get_all_operations()]
    assert len(operations) > 20, "the document lost its paths"
    failures: list[str] = []
    covered = 0
    for operation in operations:
        config = ogc_schema.config.generation_for(operation=operation)
        for case in ogc_schema.iter_coverage_cases(
            operation, generation_modes=list(GenerationMode), generation_config=config
        ):
            if keeps_the_prose(case):
                covered += 1
                call(case, failures)
        cases = [operation.as_strategy(mode).filter(keeps_the_prose) for mode in GenerationMode]

        @given(case=cases[0] | cases[1])
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            found: list[str] = []
            call(case, found)
            assert not found, found[0]

        try:
            fuzz()
        except AssertionError as exc:
            failures.append(str(exc))
    assert covered > 1000, covered
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures[:10])


# -- the mismatches an adversarial run found, pinned --------------------------------------


def test_an_empty_datetime_is_no_filter(client):
    everything = client.get("/ogc/collections/events/items?limit=1000").get_json(force=True)
    empty = client.get("/ogc/collections/events/items?limit=1000&datetime=")
    assert empty.status_code == 200
    assert empty.get_json(force=True)["numberMatched"] == everything["numberMatched"] > 0


@pytest.mark.parametrize("value", ["0.5", "2017.0", "1e3", " 2017", "٢٠١٧", "2017x"])
def test_integer_properties_take_whole_numbers_only(client, value):
    response = client.get("/ogc/collections/pipelines/items", query_string={"year_started": value})
    assert response.status_code == 400
    assert response.get_json()["hint"] == "a whole number"


def test_integer_properties_filter_by_whole_numbers(client, catalog):
    years = [f["properties"].get("year_started") for f in stored(catalog, "pipelines")]
    year = next(y for y in years if y is not None)
    doc = client.get(f"/ogc/collections/pipelines/items?year_started={year}").get_json(force=True)
    assert doc["numberMatched"] == years.count(year)


def test_offset_takes_every_value_its_message_names(client):
    top = client.get("/ogc/collections/ports/items?offset=1000000000000")
    assert top.status_code == 200 and top.get_json(force=True)["features"] == []
    over = client.get("/ogc/collections/ports/items?offset=1000000000001").get_json()
    assert over["hint"] == "a whole number from 0 to 1000000000000"
