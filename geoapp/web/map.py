"""The map page at ``/``: parse the query from the URL, answer the cached page."""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, request, url_for

from geoapp.api.search import search_answer
from geoapp.cache import BuildOnceCache
from geoapp.data.query import parse_query
from geoapp.errors import NotFoundError
from geoapp.export.formats import FORMATS, formats_taking
from geoapp.maps import csp, leaflet
from geoapp.maps.view import focus_query
from geoapp.web.context import catalog
from geoapp.web.http import send_body

bp = Blueprint("map", __name__)

#: The export options the Export menu offers, by their query parameter (its controls' names).
MENU_OPTIONS = ("preset", "title")

_cache_lock = threading.Lock()


def page_cache() -> BuildOnceCache[tuple[bytes, str]]:
    """The current app's pages: UTF-8 bytes and their Content-Security-Policy.

    PAGE_CACHE_SIZE of them, one per data version and normalised query; the policy
    names the page's inline scripts by hash, so it is computed once with the page.
    """
    app = current_app
    with _cache_lock:
        cache = app.extensions.get("geoapp.pages")
        if cache is None:
            cache = app.extensions["geoapp.pages"] = BuildOnceCache(app.config["PAGE_CACHE_SIZE"])
    return cache


def page_urls() -> dict:
    """Where a served map page fetches, asks and links (every page of the map: ``/`` and
    the reader), for :func:`leaflet.render_page`."""
    return {
        "layer_url": lambda layer_id: url_for("api.layer", layer_id=layer_id),
        "view_url": url_for("api.view"),
        "static_url": lambda name: url_for("static", filename=name),
        "search_url": url_for("api.search"),
        "feature_url": url_for("map.index") + "?feature=",
        "articles_url": url_for("reader.articles"),
        "passage_search_url": url_for("articles_api.search"),
        "places_url": url_for("places.places"),
    }


@bp.get("/")
def index():
    """The map; the query string chooses what it shows (400 naming the valid values)."""
    data = catalog()
    query = parse_query(request.args, "map", sources=data.source_values())
    # ``q`` is the search box's text (its form submits here before the scripts load):
    # the page opens with its matches listed and shows every feature, not a filter.
    text, query = query.text, query.replace(text=None)
    # ``feature`` names one feature (a "Link to this"): the page opens on it, showing it.
    focus = None
    if query.feature is not None:
        focus = data.get(query.feature)
        if focus is None:
            raise NotFoundError(
                "feature with the id", query.feature, "the id of a feature (or search by name)"
            )
        query = focus_query(query, focus)
    config = current_app.config
    hosts = leaflet.online_tile_hosts() if config["ONLINE_TILES"] else ()

    def build() -> tuple[bytes, str]:
        html = leaflet.render_page(
            data,
            query,
            **page_urls(),
            exports={
                fmt: (f.label, url_for("export.export", fmt=fmt)) for fmt, f in FORMATS.items()
            },
            export_options={name: formats_taking(name) for name in MENU_OPTIONS},
            online_tiles=bool(config["ONLINE_TILES"]),
            default_tiles=config["DEFAULT_TILES"],
            search=None if text is None else (text, search_answer(data, {"q": text})),
            focus=focus,
        )
        return html.encode("utf-8"), csp.page_policy(html, image_hosts=hosts)

    key = (data.version, request.script_root, query.canonical(), text)
    body, policy = page_cache().get(key, build)
    response = send_body(body, "text/html")
    response.headers["Content-Security-Policy"] = policy
    response.headers["Link"] = (
        f'<{url_for("api.layers")}>; rel="alternate"; type="application/json"'
    )
    return response
