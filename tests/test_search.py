"""The search rule (geoapp.data.search): folding, typos, aliases, table rows, the order."""

from __future__ import annotations

import pytest

from geoapp.config import DEFAULTS
from geoapp.data.catalog import Catalog
from geoapp.data.providers.files import FilesProvider
from geoapp.data.query import Query
from geoapp.data.search import build_index, distance, normalise, search, search_catalog
from tests.factories import make_feature


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return Catalog(FilesProvider(DEFAULTS["DATA_DIR"]))


def ids(catalog: Catalog, text: str) -> list[str]:
    return [m.id for m in search_catalog(catalog, text)]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Türkmenbaşy", "turkmenbasy"),
        ("AŞGABAT", "asgabat"),
        ("Bakı", "baki"),
        ("Ələt", "elet"),
        ("Putin’s visit", "putins visit"),
        ("  Bandar-e   Anzali ", "bandar e anzali"),
        ("Central Asia–Center", "central asia center"),
    ],
)
def test_normalise_folds_accents_case_and_punctuation(text, folded):
    assert normalise(text) == folded


def test_distance_counts_a_swap_as_one_edit_and_stops_at_its_bound():
    assert distance("turkmenbashy", "turkmenbashi", 2) == 1
    assert distance("makhcahkala", "makhachkala", 2) == 1
    assert distance("aktau", "astrakhan", 2) == 3


def ranked(*props: dict) -> list:
    """The search index of test features (ports unless a ``layer`` is given)."""
    return build_index(make_feature(p.pop("layer", "ports"), **p) for p in props)


def test_the_order_is_name_alias_place_typo_summary():
    index = ranked(
        {"fid": "in-summary", "name": "Elsewhere", "summary": "Ships call at Makhachkala."},
        {"fid": "typo", "name": "Port of Makhachkalla", "layer": "naval_bases"},
        {"fid": "at-place", "name": "Harbour master", "place": "Makhachkala"},
        {"fid": "alias", "name": "New harbour", "aliases": ["Makhachkala"]},
        {"fid": "name-words", "name": "Port of Makhachkala"},
        {"fid": "name-start", "name": "Makhachkala Port"},
        {"fid": "name-exact", "name": "Makhachkala"},
        {"fid": "nothing", "name": "Astrakhan"},
    )
    found = search(index, "MAKHACHKALA")
    assert [m.id for m in found] == [
        "name-exact", "name-start", "name-words", "alias", "at-place", "typo", "in-summary",
    ]  # fmt: skip
    assert [m.field for m in found] == [
        "name", "name", "name", "aliases", "place", "name", "summary",
    ]  # fmt: skip
    assert [m.how for m in found] == [
        "exact", "prefix", "words", "exact", "exact", "typo", "words",
    ]  # fmt: skip
    assert found[-1].snippet == "Ships call at Makhachkala."


def test_short_words_allow_no_typo_and_nothing_matches_nothing():
    index = ranked({"fid": "a", "name": "Port of Olya"})
    assert search(index, "olyo") == []
    assert search(index, "   ") == []


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Krasnovodsk", "port-turkmenbashi"),
        ("krasnovodsk", "port-turkmenbashi"),
        ("Türkmenbaşy", "port-turkmenbashi"),
        ("Turkmenbashy", "port-turkmenbashi"),
        ("turkmenbshi", "port-turkmenbashi"),  # a letter missing
        ("Shevchenko", "port-aktau"),
        ("Aqtau", "port-aktau"),
        ("Aktau Port Expansion", "port-aktau-expansion"),
        ("Petrovsk-Port", "port-makhachkala"),
        ("Pahlavi", "port-bandar-anzali"),
        ("Kushka", "crossing-serhetabat-torghundi"),
        ("Guryev", "rail-bereket-astrakhan"),
        ("Trans-Afghanistan", "pipeline-tapi"),
    ],
)
def test_the_bundled_data_answers_other_names_and_typos(bundled, text, first):
    assert ids(bundled, text)[0] == first


def test_table_row_names_are_searched_by_the_row_not_the_table():
    index = ranked(
        {"fid": "row", "name": "Harbour works", "table_row": "trade:Aktau Port Expansion"}
    )
    [found] = search(index, "aktau port expansion")
    assert (found.id, found.field, found.how, found.snippet) == (
        "row", "table_row", "exact", "Aktau Port Expansion",
    )  # fmt: skip
    assert search(index, "trade") == []


def test_makhachkala_ranks_its_port_and_base_above_summaries_that_mention_it(bundled):
    found = search_catalog(bundled, "Makhachkala")
    top = [m.id for m in found[:2]]
    assert set(top) == {"port-makhachkala", "naval-makhachkala"}
    summaries = [i for i, m in enumerate(found) if m.field == "summary"]
    assert summaries and min(summaries) > 1


def test_ashgabat_finds_every_feature_at_ashgabat_before_any_summary(bundled):
    at_ashgabat = {
        f["properties"]["id"]
        for fs in bundled.query(Query()).values()
        for f in fs
        if f["properties"].get("place") == "Ashgabat"
    }
    assert len(at_ashgabat) == 4
    found = search_catalog(bundled, "ashgabat")
    assert {m.id for m in found[:4]} == at_ashgabat
    assert all(m.field != "summary" for m in found[:4])
    assert any(m.field == "summary" for m in found[4:])
