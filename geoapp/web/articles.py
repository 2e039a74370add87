"""``/api/articles``: the thin web adapter over :mod:`geoapp.api.articles`."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from geoapp.api import articles as api
from geoapp.api.ogc import dumps
from geoapp.data.articles import lookup
from geoapp.data.articles.backend import Database
from geoapp.data.articles.store import open_existing
from geoapp.web.http import cors, send_body

bp = Blueprint("articles_api", __name__, url_prefix="/api/articles")
bp.after_request(cors)


def database() -> Database | None:
    """The articles database for this request, read-only (None before any ingest)."""
    if "articles_db" not in g:
        url = current_app.config.get("DATABASE_URL") or None
        g.articles_db = open_existing(current_app.instance_path, url)
    return g.articles_db


@bp.teardown_request
def close(_exc: BaseException | None) -> None:
    conn = g.pop("articles_db", None)
    if conn is not None:
        conn.close()


@bp.get("")
def articles() -> Response:
    """Every ingested article: id, title, date, sha256, passages, features."""
    doc = api.articles_answer(database(), request.args)
    return send_body(dumps(doc), "application/json", cors=True)


@bp.get("/search")
def search() -> Response:
    """Passages holding every word of ``q`` (full-text), with the matched words."""
    doc = api.search_answer(database(), request.args)
    return send_body(dumps(doc), "application/json", cors=True)


@bp.get("/<article_id>")
def article(article_id: str) -> Response:
    """One article: its text, passages (spans, dates, features) and places."""
    doc = api.article_answer(database(), article_id, request.args)
    return send_body(dumps(doc), "application/json", cors=True)


def mentions_of(feature_id: str) -> list[dict]:
    """``[{article, passage, kind, label}]``: the passages that mention a feature, for the
    current app (a popup's "Mentioned in"); empty when nothing was ingested."""
    url = current_app.config.get("DATABASE_URL") or None
    return lookup.mentions_of(feature_id, current_app.instance_path, url)


def search_passages(text: str, limit: int = 20) -> list[dict]:
    """``[{article, passage, snippet}]``: full-text search of the current app's passages."""
    url = current_app.config.get("DATABASE_URL") or None
    return lookup.search_passages(text, limit, current_app.instance_path, url)
