"""What ``geoapp validate`` checks once articles are ingested.

Two kinds of finding:

- problems (the command fails): a passage whose text no longer matches the hash it was
  stored with (the database was edited by hand or damaged), and a registered source
  article (``geodata/sources.json``) ingested from a file whose SHA-256 is not the
  registered one;
- warnings (reported, not failing): a feature that cites a section of an ingested
  article ("Caspian section", "Energy table", "bullet list: Key elements ...") where no
  passage mentions it. The hand-curated ``sources`` and the automatic links then
  disagree: one of them wants an editor's look. A section the rules cannot find in the
  article is skipped, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from geoapp.data.articles.backend import Database
from geoapp.data.articles.passages import digest
from geoapp.data.search import normalise

_PARENS = re.compile(r"\s*\([^)]*\)")


def hash_problems(conn: Database) -> list[str]:
    """Passages whose text no longer matches their hash."""
    out = []
    texts = dict(conn.execute("SELECT id, text FROM articles"))
    for article, pid, start, end, sha in conn.execute(
        "SELECT article, id, span_start, span_end, sha256 FROM passages ORDER BY article, ordinal"
    ):
        if digest(texts[article][start:end]) != sha:
            out.append(f"articles: {article}: passage {pid}: text no longer matches its hash")
    return out


def registry_problems(conn: Database, sources: Mapping[str, dict]) -> list[str]:
    """Registered articles ingested from a file that is not the registered one."""
    out = []
    for aid, sha in conn.execute("SELECT id, sha256 FROM articles ORDER BY id"):
        want = (sources.get(aid) or {}).get("sha256")
        if want and want != sha:
            out.append(
                f"articles: {aid}: ingested file's sha256 {sha[:12]}… is not the registered {want[:12]}…"
            )
    return out


def _passages(conn: Database, article: str) -> list[tuple[str, str, str, str]]:
    """(id, kind, folded text, folded section) of an article's passages, in order."""
    text = conn.execute("SELECT text FROM articles WHERE id = ?", (article,))[0][0]
    return [
        (pid, kind, normalise(text[s:e]), normalise(section))
        for pid, kind, s, e, section in conn.execute(
            "SELECT id, kind, span_start, span_end, section FROM passages "
            "WHERE article = ? ORDER BY ordinal",
            (article,),
        )
    ]


def resolve_section(passages: list[tuple[str, str, str, str]], section: str) -> set[str] | None:
    """The passage ids a cited section stands for, or None when the rules cannot tell."""
    wanted: set[str] = set()
    for part in section.split(";"):
        folded = normalise(_PARENS.sub("", part))
        if folded.startswith("bullet list "):
            lead = folded.removeprefix("bullet list ")
            found = False
            for i, (_, kind, text, _) in enumerate(passages):
                if kind == "paragraph" and text.startswith(lead):
                    for pid, k, _, _ in passages[i + 1 :]:
                        if k != "item":
                            break
                        wanted.add(pid)
                        found = True
            if not found:
                return None
        elif folded == "introduction":
            # Up to the first heading that opens a real section (three passages or more).
            for i, (pid, kind, _, _) in enumerate(passages):
                if kind == "heading" and i and _body(passages, i) >= 3:
                    break
                wanted.add(pid)
        elif m := re.fullmatch(r"(\w+) (section|table)", folded):
            word, what = m.groups()
            hits = {
                pid
                for pid, kind, _, sec in passages
                if word in sec.split() and (what == "section" or kind == "row")
            }
            if not hits:
                return None
            wanted |= hits
        else:
            return None
    return wanted


def _body(passages: list[tuple[str, str, str, str]], i: int) -> int:
    """How many passages follow heading ``i`` before the next heading."""
    n = 0
    for _, kind, _, _ in passages[i + 1 :]:
        if kind in ("heading", "title"):
            break
        n += 1
    return n


def check_instance(
    data_dir: str, instance_path: str, database_url: str | None = None
) -> tuple[list[str], list[str]]:
    """Problems and warnings of the ingested articles against the data in ``data_dir``;
    nothing when no article was ever ingested."""
    from geoapp.data.articles.ingest import thematic
    from geoapp.data.articles.store import open_existing
    from geoapp.data.catalog import Catalog
    from geoapp.data.providers.files import FilesProvider

    conn = open_existing(instance_path, database_url)
    if conn is None:
        return [], []
    try:
        catalog = Catalog(FilesProvider(data_dir))
        problems = hash_problems(conn) + registry_problems(conn, catalog.sources)
        return problems, section_warnings(conn, thematic(catalog))
    finally:
        conn.close()


def section_warnings(conn: Database, features: Iterable[dict]) -> list[str]:
    """Features citing a section of an ingested article where no passage mentions them."""
    ingested = {r[0] for r in conn.execute("SELECT id FROM articles")}
    cache: dict[str, list] = {}
    out = []
    for props in features:
        for source in props.get("sources") or ():
            article = source.get("article")
            if article not in ingested:
                continue
            passages = cache.setdefault(article, _passages(conn, article))
            wanted = resolve_section(passages, str(source.get("section") or ""))
            if wanted is None:
                continue
            mentioned = {
                r[0]
                for r in conn.execute(
                    "SELECT passage FROM mentions WHERE article = ? AND feature = ?",
                    (article, props["id"]),
                )
            }
            if not wanted & mentioned:
                out.append(
                    f"articles: {props['id']}: cites {article} {source.get('section')!r}, "
                    "where no passage mentions it"
                )
    return out
