"""Dates in a passage, as intervals of days, by the data's own rules.

An expected completion ("Q4 2025", "Mid 2026", "End 2025", "by 2020") ends on the
day :func:`geoapp.data.schema.normalise_completion` gives it, so an article and the
map never disagree on when a project is due; a day, a month or a year ("October 2,
2017", "June 2016", "2027") covers the days :func:`geoapp.data.schema.parse_iso_date`
gives its ISO form. A day or month with no year ("October 2") takes the year of the
last date before it in the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from geoapp.data.schema import normalise_completion, parse_iso_date

MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"), 1)}  # fmt: skip
_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December)"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?![\d%]|s\b)"
_PATTERNS = [
    ("decade", re.compile(r"\b(?P<year>(?:19|20)\d)0s\b")),
    ("day", re.compile(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r"(?:\s+" + _YEAR + r")?")),
    ("month", re.compile(_MONTH + r"\s+" + _YEAR)),
    ("completion", re.compile(
        r"\b(?P<head>Q[1-4]|[Mm]id-?|[Ee]nd(?: of)?|[Bb]y|[Ll]ate|[Ee]arly|H1|[Mm]iddle of)\s+"
        + _YEAR, re.UNICODE)),
    ("day", re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?!\d)(?:st|nd|rd|th)?(?:,?\s+" + _YEAR + r")?")),
    ("year", re.compile(r"(?<![\d.,])" + _YEAR)),
]  # fmt: skip


@dataclass(frozen=True)
class Found:
    """A date in a passage: where (code points, relative to the passage) and which days."""

    start: int
    end: int
    text: str
    first: date | None
    last: date | None


def interval(kind: str, m: re.Match, year: int | None) -> tuple[date | None, date | None] | None:
    """The days one match covers, or None when it has no year to stand on."""
    y = int(m.group("year")) if m.groupdict().get("year") else year
    if y is None:
        return None
    if kind == "completion":
        head = m.group("head").lower().rstrip("-")
        last = normalise_completion(f"{head} {y}")
        if head == "by":
            return None, last
        if head.startswith("q"):
            return date(y, 3 * int(head[1]) - 2, 1), last
        return date(y, 1, 1), last
    if kind == "day":
        return parse_iso_date(
            f"{y:04d}-{MONTHS[m.group('month').lower()]:02d}-{int(m.group('day')):02d}"
        )
    if kind == "month":
        return parse_iso_date(f"{y:04d}-{MONTHS[m.group('month').lower()]:02d}")
    if kind == "decade":
        return date(y * 10, 1, 1), date(y * 10 + 9, 12, 31)
    return parse_iso_date(f"{y:04d}")


def find_dates(text: str, year: int | None = None) -> tuple[list[Found], int | None]:
    """The dates of a passage, in order, and the year the next passage inherits.

    Examples
    --------
    >>> [(f.text, str(f.first), str(f.last)) for f in find_dates("due Q4 2025")[0]]
    [('Q4 2025', '2025-10-01', '2025-12-31')]
    """
    taken: list[tuple[int, int]] = []
    found: list[Found] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            try:
                span = interval(kind, m, year)
            except ValueError:
                continue
            if span is None:
                continue
            taken.append((m.start(), m.end()))
            found.append(Found(m.start(), m.end(), m.group(0), *span))
    found.sort(key=lambda f: f.start)
    for f in found:
        if re.search(r"\d{4}", f.text):
            year = (f.last or f.first).year  # type: ignore[union-attr]
    return found, year
