"""Precision and recall of mentions against the gold set, read by people, per article."""

from __future__ import annotations

import hashlib

import pytest

from geoapp.data.articles.ingest import analyse, lexicon
from tests import articles as fixtures
from tests.articles import GOLD, SHARED, article_path

file_catalog = fixtures.file_catalog

#: The bar each article must clear (the issue's): the source articles, and our own.
BAR = {"rt-2025": 0.95, "diplomat-2017": 0.95, "caspian-notes": 0.9}


def score(article: str, catalog) -> tuple[float, float]:
    entry = GOLD["articles"][article]
    path = article_path(entry)
    if not path.is_file():
        pytest.skip(
            f"{path.name} is not in {SHARED} (the source articles are never in the repository)"
        )
    blob = path.read_bytes()
    assert hashlib.sha256(blob).hexdigest() == entry["sha256"], "the gold set is for another text"
    fmt = "markdown" if path.suffix == ".md" else "text"
    result = analyse(blob.decode("utf-8"), fmt, lexicon(catalog), None, None)
    assert len(result.passages) == entry["passages"]
    tp = fp = fn = 0
    for p in result.passages:
        got = {m.feature for m in result.mentions[p.id]}
        want = set(entry["links"].get(str(p.index), ()))
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    return tp / (tp + fp), tp / (tp + fn)


@pytest.mark.parametrize("article", sorted(BAR))
def test_precision_and_recall(article, file_catalog):
    precision, recall = score(article, file_catalog)
    assert precision >= BAR[article], f"{article}: precision {precision:.3f}"
    assert recall >= BAR[article], f"{article}: recall {recall:.3f}"


def test_the_gold_set_holds_no_text_of_the_articles():
    """Only indices and feature ids: no sentence of a user's article in the repository."""
    for entry in GOLD["articles"].values():
        for index, features in entry["links"].items():
            assert index.isdigit()
            assert all(f.replace("-", "").isalnum() for f in features)
