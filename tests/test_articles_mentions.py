"""Mentions of catalog features: names, aliases, towns with their kind, table rows, dates."""

from __future__ import annotations

from geoapp.data.articles.dates import find_dates
from geoapp.data.articles.mentions import Lexicon, find_mentions

FEATURES = [
    {"id": "port-t", "name": "Turkmenbashi International Seaport", "layer": "ports",
     "place": "Turkmenbashi", "aliases": ["Türkmenbaşy", "Krasnovodsk"], "kind": "seaport"},
    {"id": "naval-t", "name": "Turkmen Navy base, Turkmenbashi", "layer": "naval_bases",
     "place": "Turkmenbashi", "aliases": ["Türkmenbaşy"], "country": ["TKM"], "kind": "seaport"},
    {"id": "sea", "name": "Caspian Sea", "layer": "caspian", "aliases": ["Caspian"], "kind": "sea"},
    {"id": "tcp", "name": "Trans-Caspian Gas Pipeline (proposed)", "layer": "pipelines",
     "kind": "subsea-pipeline"},
    {"id": "row-x", "name": "Green Energy Retrofit", "layer": "programmes",
     "table_row": "energy:Green Energy Retrofit", "kind": "programme"},
    {"id": "route", "name": "Caspian shipping: Turkmenbashi – Makhachkala", "layer": "corridors",
     "kind": "shipping-route"},
    {"id": "drill", "name": "Hazar-2012: a military exercise", "layer": "events",
     "date": "2012-09-05", "kind": "event"},
]  # fmt: skip


def ids(text: str, kind: str = "paragraph") -> set[str]:
    lex = Lexicon.build(FEATURES)
    found, _ = find_dates(text)
    return {m.feature for m in find_mentions(lex, text, kind, found)}


def test_a_town_alone_is_not_its_port_but_with_a_word_for_ports_it_is():
    assert ids("Ministers met in Turkmenbashi.") == set()
    assert ids("The port of Türkmenbaşy grew.") == {"port-t"}
    assert ids("Krasnovodsk harbour was rebuilt.") == {"port-t"}
    assert ids("The navy moored at TURKMENBASHY.") == {"naval-t"}


def test_case_accents_and_inflection():
    assert ids("across the caspian's waters") == {"sea"}
    assert ids("Two Caspian Seas") == {"sea"}


def test_a_hyphenated_compound_is_not_its_second_word():
    assert ids("the Trans-Caspian gas pipeline") == {"tcp"}


def test_a_naval_base_with_one_country_is_that_countrys_base():
    assert ids("Turkmenistan built a naval base on the coast.") == {"naval-t"}
    assert ids("Turkmenistan and Russia each built a naval base.") == set()


def test_a_table_row_is_about_the_feature_that_carries_it():
    assert ids("Green Energy Retrofit | Reduce emissions | End 2025", "row") == {"row-x"}


def test_a_route_by_its_ends_in_another_spelling():
    assert ids("Ferries from Türkmenbaşy to Makhachkala") == {"route"}


def test_an_event_by_its_month_not_by_its_year_alone():
    assert ids("In September 2012, a drill was held.") == {"drill"}
    assert ids("Since 2012, things changed.") == set()


def test_mention_spans_point_at_the_words():
    lex = Lexicon.build(FEATURES)
    text = "Boats sail the Casp. and the Caspian Sea daily."
    found = find_mentions(lex, text)
    assert [(text[m.start : m.end], m.feature) for m in found] == [("Caspian Sea", "sea")]
