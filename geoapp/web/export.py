"""Export routes ``/export.<fmt>``: exactly what the map shows, as a file to download.

``?sectors=a,b&layers=x,y&bbox=minlon,minlat,maxlon,maxlat&title=...&size=WxH`` are
parsed by :mod:`geoapp.data.query`, as on the command line (the same page rule and
title rule); a bad value is a 400 naming the valid ones, and ``title`` or ``size`` for a format that has no use for
them is a 400 naming the formats that do (:func:`geoapp.export.formats.check_options`,
the CLI's rule). An unexpected failure while drawing is the app's clean 500
(:mod:`geoapp.errors`: logged, no traceback in the answer). The data does not change while it stays loaded
(``reload_data`` drops this cache), so each answer is kept in a small cache: a second download of the same view is free.
The towns, loaded apart from the layers, key it by their own version (:func:`places_version`).

Images are drawn within the worker's export budget (:mod:`geoapp.export.budget`): at most
EXPORT_CONCURRENCY at once and EXPORT_QUEUE waiting, the rest a 503 with Retry-After;
a page over EXPORT_MAX_PIXELS is a 400 naming the maximum.
"""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, request

from geoapp.cache import BuildOnceCache, PerOwner
from geoapp.data.catalog import Catalog
from geoapp.data.query import Query, parse_query
from geoapp.data.schema import SECTORS
from geoapp.errors import ProviderError, QueryError
from geoapp.export.budget import ExportBudget
from geoapp.export.formats import FORMATS, ExportOptions, check_options, export_bytes, export_query
from geoapp.maps.printed.page import parse_page, parse_title
from geoapp.web.context import catalog as current_catalog
from geoapp.web.http import send_body

bp = Blueprint("export", __name__)

#: The export's own options; everything else is the map's query (geoapp.data.query).
OPTIONS = ("title", "size", "preset")
CACHE_SIZE = 16


@bp.get("/export.<fmt>")
def export(fmt: str):
    """What the query shows as ``fmt``, with a Content-Disposition filename."""
    if fmt not in FORMATS:
        raise QueryError("format", fmt, FORMATS)
    args = request.args
    catalog = current_catalog()
    query = export_query(
        parse_query(args, "export", options=OPTIONS, sources=catalog.source_values()), fmt
    )
    # Empty values count as absent, as in a form submitted with blank fields.
    check_options(fmt, [name for name in OPTIONS if (args.get(name) or "").strip()])
    title = parse_title(args.get("title"))
    page = parse_page(
        args.get("size"),
        max_area=current_app.config["EXPORT_MAX_PIXELS"],
        preset=args.get("preset"),
    )
    options = ExportOptions(page=page, title=title)

    # Images take a budget slot to draw (BusyError: a 503 with Retry-After, geoapp.errors);
    # a PNG whose map is drawn already only adds its title, and takes none.
    slot = budget().slot
    body = answers(catalog).get(
        (catalog.version, places_version(catalog, query), fmt, query, options),
        lambda: export_bytes(catalog, query, fmt, options, guard=slot),
    )
    response = send_body(body, FORMATS[fmt].mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename(query.shown_sectors)}{FORMATS[fmt].extension}"'
    )
    return response


_BUDGET_LOCK = threading.Lock()
_ANSWERS: PerOwner[bytes] = PerOwner(CACHE_SIZE)


def answers(catalog: Catalog) -> BuildOnceCache[bytes]:
    """The export answers kept for ``catalog``: a data reload (a new catalog) starts anew."""
    return _ANSWERS.of(catalog)


def places_version(catalog: Catalog, query: Query) -> str:
    """The towns' version when the export holds towns: the places are loaded apart from
    the layers (``geoapp db load``), so a new load must not be answered from the cache.
    Empty with ``towns=off`` or without places (the export then has none)."""
    if not query.towns:
        return ""
    try:
        return catalog.places_version()
    except ProviderError:
        return ""


def budget() -> ExportBudget:
    """This app's export budget (one per worker process), made from its settings."""
    found = current_app.extensions.get("geoapp.export_budget")
    if found is None:
        with _BUDGET_LOCK:
            config = current_app.config
            found = current_app.extensions.setdefault(
                "geoapp.export_budget",
                ExportBudget(config["EXPORT_CONCURRENCY"], config["EXPORT_QUEUE"]),
            )
    return found


def filename(sectors: tuple[str, ...]) -> str:
    """``geoapp-caspian``, with the sectors when not all of them are shown."""
    if set(sectors) == set(SECTORS):
        return "geoapp-caspian"
    return "-".join(["geoapp-caspian", *sectors]) if sectors else "geoapp-caspian-none"
