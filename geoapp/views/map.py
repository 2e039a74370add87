"""The map page at ``/``: parse the view from the URL, answer the cached page."""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, request, url_for

from geoapp import assets, get_catalog, webmap
from geoapp.http import send_body

bp = Blueprint("map", __name__)
bp.register_blueprint(assets.bp)

_cache_lock = threading.Lock()


def page_cache() -> webmap.PageCache:
    """The current app's page cache (PAGE_CACHE_SIZE pages, one per normalised query)."""
    app = current_app
    with _cache_lock:
        cache = app.extensions.get("geoapp.pages")
        if cache is None:
            cache = app.extensions["geoapp.pages"] = webmap.PageCache(app.config["PAGE_CACHE_SIZE"])
    return cache


@bp.get("/")
def index():
    """The map; ``?sectors=&layers=&lat=&lon=&zoom=`` choose what it shows (400 if invalid)."""
    view = webmap.parse_view(request.args)
    config = current_app.config

    def build() -> str:
        return webmap.render_page(
            get_catalog(),
            view,
            data_url=lambda layer_id: url_for("api.layer", layer_id=layer_id),
            static_url=lambda name: url_for("static", filename=name),
            export_url=lambda fmt: url_for("export.export", fmt=fmt),
            online_tiles=bool(config["ONLINE_TILES"]),
            default_tiles=config["DEFAULT_TILES"],
        )

    hosts = webmap.online_tile_hosts() if config["ONLINE_TILES"] else ()
    body, policy = page_cache().get(request.script_root + "?" + view.query(), build, hosts)
    response = send_body(body, "text/html")
    response.headers["Content-Security-Policy"] = policy
    response.headers["Link"] = (
        f'<{url_for("api.layers")}>; rel="alternate"; type="application/json"'
    )
    return response
