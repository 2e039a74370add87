"""Which catalog features a passage mentions, and where.

Words are compared folded by :func:`geoapp.data.search.normalise` (the same rule as the
map's search box: Türkmenbaşy is turkmenbasy) and lightly stemmed (a possessive or a
plural "s" falls off, and a final y is an i, so Turkmenbashy is Turkmenbashi), so
"Russia's ports" and "the port of Aqtau" still meet the names of the map.

A feature is mentioned:

- by its name, the name without its parenthesis, a part of a parenthesis split by
  "/" (Serdar / Kapaz), an alias, or the name of the article table row it carries;
- by context, where the article names a thing without its name:
  a table row of an article is about the feature that carries it (its first cell);
  a town the map has features at, with a word for their kind in the same sentence
  ("the port of Aktau", "a naval facility in Kaspiysk"), is those features;
  "a naval base" with a single littoral country in the sentence is that country's
  base; a dated event is mentioned by a passage that dates it to the month (or, for
  an event known only to the year, dates it to the year and shares a word of its
  name); a kind in the plural ("shipping routes") is every feature of that kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from geoapp.data.articles.dates import Found
from geoapp.data.schema import KINDS, LAYERS, parse_iso_date
from geoapp.data.search import normalise

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z“\"(])|\s\|\s")
_PARENS = re.compile(r"\s*\(([^)]*)\)")

#: Words for what a layer's features are, that make a town name mean them.
KIND_WORDS: dict[str, frozenset[str]] = {
    "ports": frozenset({"port", "seaport", "harbour", "harbor", "terminal"}),
    "naval_bases": frozenset({"naval", "navy", "flotilla", "fleet"}),
}
#: Phrases that mean "a base of the navy" without naming where.
BASE_PHRASES = (("naval", "base"), ("naval", "facility"), ("navy", "base"))
#: Country names and adjectives the articles use, for "a naval base" with its country.
COUNTRY_WORDS: dict[str, str] = {
    "russia": "RUS", "russian": "RUS", "turkmenistan": "TKM", "turkmen": "TKM",
    "kazakhstan": "KAZ", "kazakh": "KAZ", "azerbaijan": "AZE", "azerbaijani": "AZE",
    "iran": "IRN", "iranian": "IRN",
}  # fmt: skip
#: Words too common in this catalog's names to tie a year to an event.
COMMON = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "over",
        "under",
        "turkmenistan",
        "turkmen",
        "russia",
        "russian",
        "caspian",
        "sea",
        "first",
        "military",
        "port",
        "naval",
        "base",
        "gas",
        "pipeline",
        "border",
        "section",
        "sector",
    ]
)


def stem(word: str) -> str:
    """Fold one word, then drop a possessive or plural s and spell a final y as i."""
    folded = normalise(re.sub(r"['’]s$", "", word)).replace(" ", "")
    if len(folded) > 4 and folded.endswith("s") and not folded.endswith("ss"):
        folded = folded[:-1]
    return folded.replace("y", "i")


def _stemmed_kinds() -> dict[str, frozenset[str]]:
    return {layer: frozenset(stem(w) for w in ws) for layer, ws in KIND_WORDS.items()}


def words(text: str) -> list[tuple[str, int, int]]:
    """The stemmed words of a text with their spans."""
    out = []
    for m in _WORD.finditer(text):
        for part in normalise(m.group()).split() if "_" in m.group() else [m.group()]:
            out.append((stem(part), m.start(), m.end()))
    return [w for w in out if w[0]]


def _stems(text: str) -> tuple[str, ...]:
    return tuple(w for w, _, _ in words(text))


_KIND_STEMS = _stemmed_kinds()
_COUNTRY_STEMS = {stem(w): code for w, code in COUNTRY_WORDS.items()}
_BASE_STEMS = {(stem(a), stem(b)) for a, b in BASE_PHRASES}


@dataclass(frozen=True)
class Mention:
    """A feature a passage mentions: where in the passage, the words, and how it was found."""

    feature: str
    start: int
    end: int
    text: str
    how: str


@dataclass(frozen=True)
class Lexicon:
    """The catalog's features as mention-finding sees them, built once per data version."""

    terms: dict[str, list[tuple[tuple[str, ...], str, str]]]
    places: dict[tuple[str, ...], list[dict]]
    rows: dict[str, str]
    events: list[tuple[str, object, object, str, frozenset[str]]]
    kinds: dict[tuple[str, ...], list[str]]
    bases: dict[str, list[str]]

    @classmethod
    def build(cls, features: Iterable[dict]) -> Lexicon:
        """Index every feature's names (``features`` are property dicts)."""
        terms: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        places: dict[tuple[str, ...], list[dict]] = {}
        rows: dict[str, str] = {}
        events = []
        kinds: dict[tuple[str, ...], list[str]] = {}
        bases: dict[str, list[str]] = {}
        order = list(LAYERS)

        def add(text: str, fid: str, how: str, place: tuple[str, ...] = ()) -> None:
            key = _stems(text)
            if not key or key == place or not any(c.isalpha() for c in "".join(key)):
                return
            if (key, fid, how) not in terms.get(key[0], []):
                terms.setdefault(key[0], []).append((key, fid, how))

        props_list = sorted(features, key=lambda p: order.index(p["layer"]))
        # Town names first: a town's other spellings stand in for it inside other names.
        towns: dict[str, set[str]] = {}
        for p in props_list:
            if p.get("place"):
                here = _stems(p["place"])
                spellings = [a for a in p.get("aliases") or () if _is_town_alias(a)]
                for t in [p["place"], *spellings]:
                    places.setdefault(_stems(t), []).append(p)
                if len(here) == 1:
                    towns.setdefault(here[0], set()).update(
                        a for a in spellings if len(_stems(a)) == 1
                    )
        for p in props_list:
            fid, name = p["id"], p["name"]
            place = _stems(p["place"]) if p.get("place") else ()
            add(name, fid, "name", place)
            bare = _PARENS.sub("", name).strip()
            add(bare, fid, "name", place)
            for inside in _PARENS.findall(name):
                if "/" in inside:
                    for part in inside.split("/"):
                        if len(part.strip()) >= 3:
                            add(part, fid, "name", place)
            head, colon, tail = name.partition(": ")
            if colon:
                for variant in _variants(tail, towns):
                    add(variant, fid, "name", place)
            for alias in p.get("aliases") or ():
                if not (place and _is_town_alias(alias)):
                    add(alias, fid, "alias", place)
            if p.get("table_row"):
                label = p["table_row"].partition(":")[2]
                add(label, fid, "table_row")
                rows[normalise(label)] = fid
            if p.get("date"):
                try:
                    first, last = parse_iso_date(p["date"])
                except ValueError:
                    continue
                distinct = frozenset(s for s in _stems(name) if len(s) > 3 and s not in COMMON)
                events.append((fid, first, last, p["date"], distinct))
            kind = KINDS.get(p.get("kind", ""))
            if kind and len(kind.title.split()) >= 2:
                plural = _stems(kind.title + "s")
                kinds.setdefault(plural, []).append(fid)
            if p["layer"] == "naval_bases":
                for code in p.get("country") or ():
                    bases.setdefault(code, []).append(fid)
        return cls(terms, places, rows, events, kinds, bases)


def _is_town_alias(alias: str) -> bool:
    """Whether an alias of a feature at a town is another spelling of the town."""
    ws = set(_stems(alias))
    kinds = set().union(*_KIND_STEMS.values())
    return 0 < len(_stems(alias)) <= 3 and not ws & kinds


def _variants(tail: str, towns: dict[str, set[str]]) -> list[str]:
    """A route's name "A – B (C)" as an article may write it: "A to B", "A – C", with the
    towns' other spellings (Türkmenbaşy for Turkmenbashi)."""
    bare = _PARENS.sub("", tail).strip()
    forms = {tail, bare}
    ends = [e.strip() for e in re.split(r"\s+[–-]\s+", bare)]
    inner = _PARENS.findall(tail)
    if len(ends) == 2:
        pairs = [tuple(ends)]
        if inner and len(inner[0].split()) == 1:
            pairs.append((ends[0], inner[0]))
        for a, b in pairs:
            for x in [a, *towns.get(stem(a), ())] if len(a.split()) == 1 else [a]:
                for y in [b, *towns.get(stem(b), ())] if len(b.split()) == 1 else [b]:
                    forms |= {f"{x} – {y}", f"{x} to {y}"}
    return sorted(forms)


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _match_terms(lex: Lexicon, text: str, ws: list[tuple[str, int, int]]) -> list[Mention]:
    found = []
    for i, (w, s, _) in enumerate(ws):
        for key, fid, how in lex.terms.get(w, ()):
            n = len(key)
            if tuple(x[0] for x in ws[i : i + n]) != key:
                continue
            # "Trans-Caspian" is not the Caspian: a one-word name glued to a word before it.
            if n == 1 and s >= 2 and text[s - 1] in "-–" and text[s - 2].isalnum():
                continue
            end = ws[i + n - 1][2]
            found.append(Mention(fid, s, end, text[s:end], how))
    return found


def find_mentions(
    lex: Lexicon, text: str, kind: str = "paragraph", dates: Iterable[Found] = ()
) -> list[Mention]:
    """Every mention of a catalog feature in one passage's text, in order of position."""
    ws = words(text)
    found = _match_terms(lex, text, ws)
    if kind == "row":
        first = text.split(" | ")[0]
        fid = lex.rows.get(normalise(first))
        if fid:
            found.append(Mention(fid, 0, len(first), first, "row"))
    for s0, e0 in _sentences(text):
        sw = [w for w in ws if s0 <= w[1] < e0]
        stems = {w[0] for w in sw}
        for i, (_w, s, _) in enumerate(sw):
            for n in (3, 2, 1):
                key = tuple(x[0] for x in sw[i : i + n])
                for p in lex.places.get(key, ()) if len(key) == n else ():
                    if stems & _KIND_STEMS.get(p["layer"], frozenset()):
                        end = sw[i + n - 1][2]
                        found.append(Mention(p["id"], s, end, text[s:end], "place"))
        countries = {_COUNTRY_STEMS[w] for w in stems if w in _COUNTRY_STEMS}
        for i in range(len(sw) - 1):
            if (sw[i][0], sw[i + 1][0]) in _BASE_STEMS and len(countries) == 1:
                named = any(set(key) <= stems for key in lex.places)
                candidates = lex.bases.get(next(iter(countries)), [])
                if len(candidates) == 1 and not named:
                    s, e = sw[i][1], sw[i + 1][2]
                    found.append(Mention(candidates[0], s, e, text[s:e], "country"))
        for i in range(len(sw)):
            for key, fids in lex.kinds.items():
                if tuple(x[0] for x in sw[i : i + len(key)]) == key:
                    s, e = sw[i][1], sw[i + len(key) - 1][2]
                    found += [Mention(f, s, e, text[s:e], "kind") for f in fids]
    all_stems = {w[0] for w in ws}
    for d in dates:
        if d.first is None or d.last is None:
            continue
        for fid, first, last, iso, distinct in lex.events:
            if not (d.first <= last and first <= d.last):
                continue
            precise = (d.last - d.first).days <= 31 and (last - first).days <= 31
            inside = first <= d.first and d.last <= last and bool(distinct & all_stems)
            if precise or inside and (len(iso) == 4 or "/" in iso):
                found.append(Mention(fid, d.start, d.end, d.text, "date"))
    # One feature's mention inside a longer one of the same feature ("Caspian" in
    # "Caspian Sea") is the same mention: keep the longest, once.
    kept = {
        (m.feature, m.start, m.end): m
        for m in found
        if not any(
            o.feature == m.feature and o.start <= m.start and m.end <= o.end
            and (o.end - o.start) > (m.end - m.start)
            for o in found
        )
    }  # fmt: skip
    return sorted(kept.values(), key=lambda m: (m.start, m.end, m.feature))
