"""Blocks of an article: headings, paragraphs, list items and table rows.

Plain text and Markdown are read line by line (the source articles have headings
with no ``#`` and paragraphs with no blank line between them, so a heading is also
recognised by its shape); HTML goes through the standard library's parser, never a
regular expression, so that a ``<script>`` is dropped and markup in text stays text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: The kinds of passage, in the words the API serves.
KINDS = ("title", "heading", "paragraph", "item", "row")

_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_SPACE = re.compile(r"\s+")
#: A line that ends like a sentence is never a heading.
_SENTENCE_END = (".", "!", "?", ":", ";", ",", "…", '"', "”")


@dataclass
class Block:
    """One unit of an article as read, before it has a place in the normalised text."""

    kind: str
    text: str
    #: A table row's cells named by the table's header (header text -> cell text).
    cells: dict[str, str] = field(default_factory=dict)


def clean(text: str) -> str:
    """NFC, no control characters, runs of white space as one space: the normalised form."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    return _SPACE.sub(" ", text).strip()


def looks_like_heading(line: str) -> bool:
    """Whether a plain-text line is a heading by its shape: short, no sentence end."""
    words = line.split()
    return 0 < len(words) <= 14 and len(line) <= 100 and not line.endswith(_SENTENCE_END)


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [clean(c) for c in inner.split("|")]


def _row(cells: list[str], header: list[str] | None) -> Block:
    named = {}
    if header:
        for i, cell in enumerate(cells):
            named[header[i] if i < len(header) and header[i] else f"column {i + 1}"] = cell
    return Block("row", " | ".join(cells), named)


def parse_text(text: str, markdown: bool = False) -> list[Block]:
    """Blocks of a plain-text or Markdown article.

    In Markdown, lines next to each other are one paragraph (a soft wrap); in plain text
    a line that follows a finished sentence starts a new one, as the source articles
    put one paragraph per line.
    """
    blocks: list[Block] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header: list[str] | None = None
    para: list[str] = []

    def flush() -> None:
        if para:
            joined = clean(" ".join(para))
            if joined:
                single = len(para) == 1 and looks_like_heading(joined)
                blocks.append(Block("heading" if single else "paragraph", joined))
            para.clear()

    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            flush()
            header = None
            continue
        if line.startswith("|") and line.count("|") >= 2:
            flush()
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if _TABLE_RULE.fullmatch(line):
                continue
            if header is None and _TABLE_RULE.fullmatch(nxt):
                header = _cells(line)
                continue
            blocks.append(_row(_cells(line), header))
            continue
        header = None
        if m := _ATX.match(line):
            flush()
            blocks.append(Block("heading", clean(m.group(2))))
            continue
        if m := _ITEM.match(line):
            flush()
            blocks.append(Block("item", clean(m.group(1))))
            continue
        # A line that follows a finished sentence, or a line shaped like a heading, starts
        # a new block: the articles put one paragraph per line with no blank line between.
        ended = para and not markdown and para[-1].endswith(_SENTENCE_END[:3])
        if ended or (para and not markdown and looks_like_heading(line)):
            flush()
        if para and not markdown and looks_like_heading(para[-1]) and len(para) == 1:
            flush()
        para.append(line)
    flush()
    return blocks


#: Elements whose content is never text of the article.
_DROPPED = {"script", "style", "noscript", "template", "svg", "iframe", "object"}
_BLOCKS = {"h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading",
           "h5": "heading", "h6": "heading", "p": "paragraph", "li": "item",
           "blockquote": "paragraph", "pre": "paragraph", "dd": "paragraph",
           "dt": "paragraph", "figcaption": "paragraph", "caption": "paragraph"}  # fmt: skip


class _Reader(HTMLParser):
    """Collect the blocks of an HTML page; everything between tags is text, never markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title: str | None = None
        self._skip = 0
        self._in_title = False
        self._buf: list[str] = []
        self._kind: str | None = None
        self._row: list[str] | None = None
        self._row_header = False
        self._cell: list[str] | None = None
        self._header: list[str] | None = None

    def _flush(self) -> None:
        text = clean("".join(self._buf))
        self._buf.clear()
        if text:
            self.blocks.append(Block(self._kind or "paragraph", text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._skip += 1
        elif self._skip:
            return
        elif tag == "title":
            self._in_title = True
        elif tag == "table":
            self._flush()
            self._header = None
        elif tag == "tr":
            self._flush()
            self._row, self._row_header = [], True
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._row_header = self._row_header and tag == "th"
        elif tag in _BLOCKS and self._cell is None:
            self._flush()
            self._kind = _BLOCKS[tag]
        elif tag in ("br", "div", "section", "article", "ul", "ol") and self._cell is None:
            if tag == "br":
                self._buf.append(" ")
            else:
                self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._skip = max(0, self._skip - 1)
        elif self._skip:
            return
        elif tag == "title":
            self._in_title = False
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(clean("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row_header and self._header is None:
                self._header = self._row
            elif any(self._row):
                self.blocks.append(_row(self._row, self._header))
            self._row = None
        elif tag in _BLOCKS and self._cell is None:
            self._flush()
            self._kind = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title = clean((self.title or "") + " " + data)
        elif self._cell is not None:
            self._cell.append(data)
        else:
            self._buf.append(data)


def parse_html(text: str) -> list[Block]:
    """Blocks of an HTML page (its ``<title>`` first, as the title)."""
    reader = _Reader()
    reader.feed(text)
    reader.close()
    reader._flush()
    blocks = reader.blocks
    if reader.title:
        blocks.insert(0, Block("title", reader.title))
    return blocks


def parse(text: str, fmt: str) -> list[Block]:
    """Blocks of an article in ``fmt`` (``text``, ``markdown`` or ``html``)."""
    return parse_html(text) if fmt == "html" else parse_text(text, markdown=fmt == "markdown")
