"""Articles split into passages: Markdown, plain text as the source articles write it, HTML."""

from __future__ import annotations

from geoapp.data.articles.parse import parse
from geoapp.data.articles.passages import layout

MARKDOWN = """# A port on the steppe

The first paragraph says something.
It goes on over a second line.

## Figures

- one item
- another item

| Site | Opened |
|---|---|
| Old quay | 1902 |
| New quay | 2019 |
"""


def kinds_and_texts(text: str, fmt: str) -> list[tuple[str, str]]:
    body, passages = layout(parse(text, fmt))
    return [(p.kind, body[p.start : p.end]) for p in passages]


def test_markdown_headings_paragraphs_items_rows():
    assert kinds_and_texts(MARKDOWN, "markdown") == [
        ("title", "A port on the steppe"),
        ("paragraph", "The first paragraph says something. It goes on over a second line."),
        ("heading", "Figures"),
        ("item", "one item"),
        ("item", "another item"),
        ("row", "Old quay | 1902"),
        ("row", "New quay | 2019"),
    ]


def test_table_cells_are_named_by_the_header():
    _, passages = layout(parse(MARKDOWN, "markdown"))
    rows = [p for p in passages if p.kind == "row"]
    assert rows[1].cells == {"Site": "New quay", "Opened": "2019"}
    assert rows[0].label == "Figures table, row 1"


def test_plain_text_with_one_paragraph_per_line_and_bare_headings():
    text = "A long first line that ends as a sentence does.\nA Heading Here\nBody of the section.\n"
    assert kinds_and_texts(text, "text") == [
        ("paragraph", "A long first line that ends as a sentence does."),
        ("heading", "A Heading Here"),
        ("paragraph", "Body of the section."),
    ]


def test_spans_are_code_points_into_the_normalised_text():
    text = "# Türkmenbaşy\n\nAqtau — Ələt, 12 h.\n"
    body, passages = layout(parse(text, "markdown"))
    assert body == "Türkmenbaşy\n\nAqtau — Ələt, 12 h."
    assert [(p.start, p.end) for p in passages] == [(0, 11), (13, 32)]


def test_ids_are_stable_and_do_not_move_when_another_passage_changes():
    _, before = layout(parse(MARKDOWN, "markdown"))
    edited = MARKDOWN.replace("one item", "one edited item")
    _, after = layout(parse(edited, "markdown"))
    assert [p.id for p in layout(parse(MARKDOWN, "markdown"))[1]] == [p.id for p in before]
    changed = {p.id for p in before} ^ {p.id for p in after}
    assert len(changed) == 2  # the edited item's old and new id; every other id stays


def test_repeated_passages_get_distinct_ids():
    _, passages = layout(parse("Same Heading\n\nSame Heading\n\nText.\n", "text"))
    assert len({p.id for p in passages}) == 3


HTML = """<!doctype html><html><head><title>Port notes</title>
<style>p { color: red }</style><script>var secret = 1;</script></head>
<body><h1>Ports</h1><p>Aktau &amp; Kuryk <b>grow</b>.<script>alert("x")</script></p>
<p>Shown as text: &lt;script&gt;alert(1)&lt;/script&gt;</p>
<ul><li>first</li><li>second</li></ul>
<table><tr><th>Port</th><th>Since</th></tr><tr><td>Kuryk</td><td>2016</td></tr></table>
</body></html>"""


def test_html_keeps_structure_drops_script_and_style_keeps_markup_as_text():
    assert kinds_and_texts(HTML, "html") == [
        ("title", "Port notes"),
        ("heading", "Ports"),
        ("paragraph", "Aktau & Kuryk grow."),
        ("paragraph", "Shown as text: <script>alert(1)</script>"),
        ("item", "first"),
        ("item", "second"),
        ("row", "Kuryk | 2016"),
    ]
    _, passages = layout(parse(HTML, "html"))
    assert passages[-1].cells == {"Port": "Kuryk", "Since": "2016"}
