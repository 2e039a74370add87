"""An ingested article as the reader shows it beside the map: passages cut into marks.

The article's text, its passages and the spans of what they mention come from the
articles database (``geoapp ingest``); here they become what the template writes:
each passage a run of plain-text segments, a segment either bare text, a mention of
a catalog feature (a link to it), or a place the gazetteer found that the map does
not have. Nothing here is markup: the template escapes every segment, and the
script gets the passages' features and places as JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta

#: Passage kinds as the reader labels them (the API's words).
KIND_TAGS = {"title": "h2", "heading": "h3", "paragraph": "p", "item": "li", "row": "p"}


def date_label(first: str | None, last: str | None) -> str:
    """An interval of ISO dates as a reader reads it: ``1999`` for a whole year,
    ``March 2017`` for a whole month, ``2 October 2017`` for a day, else ``from – to``;
    ``until``/``from`` when an end is open."""
    if first and last:
        return _whole(first, last) or f"{_day(first)} – {_day(last)}"
    if last:
        return f"until {_day(last)}"
    return f"from {_day(first)}" if first else ""


def _day(iso: str) -> str:
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d:%B %Y}"


def _whole(first: str, last: str) -> str | None:
    """``1999`` or ``March 2017`` or one day, when the interval is exactly that."""
    try:
        a, b = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        return None
    if a == b:
        return _day(first)
    if (a.month, a.day, b.month, b.day) == (1, 1, 12, 31) and a.year == b.year:
        return str(a.year)
    month_end = (b + timedelta(days=1)).day == 1
    if a.day == 1 and (a.year, a.month) == (b.year, b.month) and month_end:
        return f"{a:%B %Y}"
    if a.day == 1 and a.month % 3 == 1 and (b.year, b.month) == (a.year, a.month + 2) and month_end:
        return f"Q{a.month // 3 + 1} {a.year}"
    return None


def _segments(text: str, start: int, end: int, marks: list[tuple]) -> list[dict]:
    """The passage ``text[start:end]`` cut at its marks (which do not overlap)."""
    out: list[dict] = []
    at = start
    for s, e, kind, value in marks:
        if s < at or e > end:
            continue  # overlaps a mark already placed, or runs past the passage
        if s > at:
            out.append({"text": text[at:s]})
        out.append({"text": text[s:e], kind: value})
        at = e
    if at < end:
        out.append({"text": text[at:end]})
    return out


def reading(article: Mapping, known: Callable[[str], Mapping | None]) -> dict:
    """What the reader writes for an article (the ``/api/articles/<id>`` document).

    ``known(id)`` gives a catalog feature or None: a mention of a feature the data no
    longer has is shown as plain text. Places the gazetteer found that are also a
    feature are shown as that feature's mention; the others are suggestions, listed
    with their coordinates ("places mentioned, not mapped").
    """
    text = article["text"]
    marks_by_passage: dict[str, list[tuple]] = {}
    for m in article.get("mentions", ()):
        if known(m["feature"]) is not None:
            marks_by_passage.setdefault(m["passage"], []).append(
                (m["start"], m["end"], "feature", m["feature"])
            )
    # Each place once (a town named twice is one suggestion), and each of its mentions.
    places: list[dict] = []
    spans: list[tuple[int, int, int]] = []  # (start, end, index into places)
    known_places: dict[object, int] = {}
    for place in article.get("places", ()):
        if place.get("feature"):
            continue
        key = place.get("geonameid") or (place["name"], place["lon"], place["lat"])
        if key not in known_places:
            known_places[key] = len(places)
            places.append({"index": len(places), "name": place["name"], "lon": place["lon"],
                           "lat": place["lat"], "geonameid": place.get("geonameid")})  # fmt: skip
        spans.append((place["start"], place["end"], known_places[key]))
    passages = []
    for passage in article["passages"]:
        start, end = passage["start"], passage["end"]
        own = [(s, e, i) for s, e, i in spans if start <= s and e <= end]
        marks = marks_by_passage.get(passage["id"], []) + [(s, e, "place", i) for s, e, i in own]
        # Earliest first, the longer of two that start together first.
        marks.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        features = [f for f in passage.get("features", ()) if known(f) is not None]
        passages.append(
            {
                "id": passage["id"],
                "kind": passage["kind"],
                "tag": KIND_TAGS.get(passage["kind"], "p"),
                "label": passage.get("label") or passage["kind"],
                "dates": [d for d in (date_label(a, b) for a, b in passage.get("dates", ())) if d],
                "features": features,
                "places": sorted({i for _, _, i in own}),
                "segments": _segments(text, start, end, marks),
            }
        )
    return {
        "id": article["id"],
        "title": article["title"],
        "date": article.get("date"),
        "passages": passages,
        "places": places,
        "unmapped": places,
    }


def script_data(view: Mapping) -> dict:
    """What the reader's script needs (JSON): each passage's features and places, and
    every place with its coordinates, for the story steps and the suggestion layer."""
    return {
        "article": view["id"],
        "passages": [
            {"id": p["id"], "features": p["features"], "places": p["places"]}
            for p in view["passages"]
        ],
        "places": [
            {
                "index": p["index"],
                "name": p["name"],
                "lon": p["lon"],
                "lat": p["lat"],
                "geonameid": p["geonameid"],
            }  # fmt: skip
            for p in view["places"]
        ],
    }
