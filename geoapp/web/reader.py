"""``/articles``: the ingested articles, and each one read beside the map.

Thin: the list and the article come from the articles database
(:mod:`geoapp.data.articles.read`), the reader's passages from
:func:`geoapp.maps.reading.reading`, and the page is the map page with the article
in its first column (:func:`geoapp.maps.leaflet.render_page`). Unknown ids are 404s
naming the valid ones; no parameter is taken (tracking ones aside).
"""

from __future__ import annotations

import hashlib
import json

import shapely
from flask import Blueprint, Response, current_app, render_template, request, url_for

from geoapp.api.articles import article_answer, articles_answer
from geoapp.data.articles.store import open_existing
from geoapp.data.query import Query
from geoapp.maps import csp, leaflet
from geoapp.maps.reading import reading
from geoapp.web.context import catalog
from geoapp.web.http import send_body
from geoapp.web.map import page_cache, page_urls

bp = Blueprint("reader", __name__, url_prefix="/articles")


def _database():
    return open_existing(current_app.instance_path, current_app.config.get("DATABASE_URL") or None)


@bp.get("")
def articles() -> Response:
    """Every ingested article, linked to its reader; how to add one when there is none."""
    db = _database()
    try:
        listed = articles_answer(db, request.args)
    finally:
        if db is not None:
            db.close()
    for a in listed:
        a["href"] = url_for("reader.article", article_id=a["id"])
    html = render_template(
        "articles.html",
        articles=listed,
        css=url_for("static", filename="geoapp.css"),
        map_url=url_for("map.index"),
    )
    return send_body(html.encode("utf-8"), "text/html")


@bp.get("/<article_id>")
def article(article_id: str) -> Response:
    """One article beside the map: mentions linked both ways, places not mapped drawn."""
    db = _database()
    try:
        doc = article_answer(db, article_id, request.args)
    finally:
        if db is not None:
            db.close()
    data = catalog()
    view = reading(doc, data.get)
    query = Query()

    def build() -> tuple[bytes, str]:
        html = leaflet.render_page(
            data, query, **page_urls(), bounds=_bounds(data, view), title=view["title"], reader=view
        )
        return html.encode("utf-8"), csp.page_policy(html)

    digest = hashlib.blake2b(json.dumps(view, sort_keys=True).encode(), digest_size=12).hexdigest()
    body, policy = page_cache().get((data.version, request.script_root, "reader", digest), build)
    response = send_body(body, "text/html")
    response.headers["Content-Security-Policy"] = policy
    return response


def _bounds(data, view: dict) -> tuple[float, float, float, float] | None:
    """The box of every feature the article mentions (the map opens on them)."""
    ids = {f for p in view["passages"] for f in p["features"]}
    geoms = [shapely.geometry.shape(data.get(i)["geometry"]) for i in sorted(ids) if data.get(i)]
    if not geoms:
        return None
    return tuple(shapely.total_bounds(geoms).tolist())
