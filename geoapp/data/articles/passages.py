"""Passages: the blocks of an article laid end to end in one normalised text.

Each passage has an id that stays the same while its words do (a hash of them, not
its position, so editing one paragraph does not renumber the rest), a kind, a label a
reader understands ("paragraph 4", "Energy table, row 2") and the span ``[start, end)``
of its text in the article's text, in Unicode code points, as the API serves it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from geoapp.data.articles.parse import Block
from geoapp.data.search import normalise

#: What separates two passages in the article's normalised text.
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Passage:
    """One passage with its place in the article's text."""

    id: str
    index: int
    kind: str
    start: int
    end: int
    label: str
    #: The heading this passage is under ("" before the first one).
    section: str = ""
    cells: dict[str, str] = field(default_factory=dict)


def digest(text: str) -> str:
    """The sha256 of a text (UTF-8): how a pointer checks its text has not changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def layout(blocks: list[Block]) -> tuple[str, list[Passage]]:
    """The article's normalised text and its passages, in reading order."""
    parts: list[str] = []
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    counts: dict[str, int] = {}
    section = ""
    offset = 0
    row = 0
    for index, block in enumerate(blocks):
        kind = block.kind
        if index == 0 and kind == "heading":
            kind = "title"
        if kind == "heading":
            section = block.text
        counts[kind] = counts.get(kind, 0) + 1
        row = row + 1 if kind == "row" else 0
        base = f"{kind[0]}-{hashlib.sha1(normalise(block.text).encode()).hexdigest()[:8]}"
        seen[base] = seen.get(base, 0) + 1
        pid = base if seen[base] == 1 else f"{base}-{seen[base]}"
        label = {"title": "title", "heading": "heading", "paragraph": "paragraph",
                 "item": "list item", "row": "table row"}[kind]  # fmt: skip
        if offset:
            parts.append(SEPARATOR)
            offset += len(SEPARATOR)
        start = offset
        parts.append(block.text)
        offset += len(block.text)
        name = f"{label} {counts[kind]}"
        if kind == "row":
            # "Energy table, row 2": the heading the table is under names it.
            name = f"{_short(section) + ' table' if section else 'table'}, row {row}"
        passages.append(Passage(pid, index, kind, start, offset, name, section, block.cells))
    return "".join(parts), passages


def _short(heading: str, words: int = 6) -> str:
    """A heading cut to a few words, for a label."""
    parts = heading.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
