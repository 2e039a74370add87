"""HTTP caching helpers: ETag and conditional GET, gzip, Cache-Control, CORS.

Layer JSON and map pages are immutable for the life of a process (the data
is loaded once), so every body gets a strong ETag and is compressed once.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache

from flask import Response, current_app, request


def etag_of(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


@lru_cache(maxsize=512)
def _gzipped(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6, mtime=0)


def send_body(
    body: bytes,
    mimetype: str,
    *,
    etag: str | None = None,
    max_age: int | None = None,
    cors: bool = False,
) -> Response:
    """Answer ``body`` with ETag/304, gzip when accepted, Cache-Control and optional CORS."""
    etag = etag or etag_of(body)
    age = current_app.config["CACHE_MAX_AGE"] if max_age is None else max_age
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(body, mimetype=mimetype)
        if len(body) > 512 and "gzip" in request.accept_encodings:
            response.set_data(_gzipped(body))
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={age}"
    response.headers["Vary"] = "Accept-Encoding"
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def cors(response: Response) -> Response:
    """Let any origin read GET answers, and answer CORS preflight for GET.

    Registered with ``after_request`` on the API blueprints, so that errors and
    automatic OPTIONS answers carry the headers too, not only ``send_body``'s.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Content-Encoding"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers")
        response.headers["Access-Control-Allow-Headers"] = asked or "Accept, If-None-Match"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response
