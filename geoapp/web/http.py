"""HTTP caching helpers: ETag and conditional GET, gzip, Cache-Control, CORS.

Layer JSON and map pages are immutable while the data stays loaded (it is loaded
once, and replaced only by ``reload_data``, which empties these caches), so a body
is named by a strong ETag and compressed once. The
ETag scheme, in one place:

- a body's tag is its digest, or one the caller derives from the data and the
  query; a caller whose body varies with no change of meaning (the ``timeStamp``
  of an OGC items page) marks its tag weak (``W/"..."``);
- gzip is another representation, so its tag is the identity tag plus ``-gzip``:
  a strong tag never names two different byte sequences;
- ``If-None-Match`` uses the weak comparison (RFC 9110, 13.1.2) against the tag
  of the representation this request would get, so a weak tag revalidates.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Response, current_app, request

from geoapp.errors import QueryError

#: Media types worth compressing; images, PDF, GeoPackage and archives are not.
_COMPRESSIBLE = {"application/json", "application/xml", "application/javascript", "image/svg+xml"}
#: Bodies this small are answered as they are: gzip would not pay for its header.
GZIP_MIN_BYTES = 512
#: The most compressed bytes kept in memory; least recently used go first.
GZIP_CACHE_BYTES = 32 * 1024 * 1024


def etag_of(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def compressible(mimetype: str) -> bool:
    """Whether gzip helps ``mimetype``: text, JSON, XML (SVG, KML, GML), JavaScript, CSV."""
    base = mimetype.partition(";")[0].strip().lower()
    return base.startswith("text/") or base in _COMPRESSIBLE or base.endswith(("+json", "+xml"))


class GzipCache:
    """Compressed bodies by the ETag that names them, bounded by their total size.

    Keyed by tag rather than by body, so a lookup hashes nothing and the cache
    holds no copy of the uncompressed bodies. Safe across the threads of a worker.
    """

    def __init__(self, max_bytes: int = GZIP_CACHE_BYTES):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Drop every entry (after a data reload: no body of the old data stays in memory)."""
        with self._lock:
            self._entries.clear()
            self.size = 0

    def get(self, tag: str | None, body: bytes) -> bytes:
        """``body`` gzipped; kept under ``tag`` unless ``tag`` is None (a body it does not name)."""
        if tag is not None:
            with self._lock:
                hit = self._entries.get(tag)
                if hit is not None:
                    self._entries.move_to_end(tag)
                    return hit
        zipped = gzip.compress(body, compresslevel=6, mtime=0)
        if tag is not None and len(zipped) <= self.max_bytes:
            with self._lock:
                if tag not in self._entries:
                    self._entries[tag] = zipped
                    self.size += len(zipped)
                while self.size > self.max_bytes:
                    _, dropped = self._entries.popitem(last=False)
                    self.size -= len(dropped)
        return zipped


GZIPPED = GzipCache()


def send_body(
    body: bytes,
    mimetype: str,
    *,
    etag: str | None = None,
    weak: bool = False,
    max_age: int | None = None,
    cors: bool = False,
    gzipped: Callable[[], bytes] | None = None,
) -> Response:
    """Answer ``body`` with ETag/304, gzip when accepted, Cache-Control and optional CORS.

    ``etag`` (unquoted) names the body when the caller can do so more cheaply
    than a digest; ``weak`` says it names the meaning, not the bytes.
    ``gzipped`` returns the body compressed, for a caller that keeps it (a large
    answer compressed once per data version, whatever else the GzipCache holds).
    """
    tag = etag or etag_of(body)
    age = current_app.config["CACHE_MAX_AGE"] if max_age is None else max_age
    environ = request.environ
    # Read the two request headers only when sent: this runs on every data answer.
    zipped = (
        len(body) > GZIP_MIN_BYTES
        and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        and compressible(mimetype)
        and "gzip" in request.accept_encodings
    )
    served = f"{tag}-gzip" if zipped else tag
    headers = {"Cache-Control": f"public, max-age={age}", "Vary": "Accept-Encoding"}
    if cors:
        headers["Access-Control-Allow-Origin"] = "*"
    if "HTTP_IF_NONE_MATCH" in environ and request.if_none_match.contains_weak(served):
        response = Response(status=304, headers=headers)
    else:
        if zipped:
            body = gzipped() if gzipped is not None else GZIPPED.get(None if weak else tag, body)
            headers["Content-Encoding"] = "gzip"
        response = Response(body, mimetype=mimetype, headers=headers)
    response.set_etag(served, weak=weak)
    return response


def cors(response: Response) -> Response:
    """Let any origin read GET answers, and answer CORS preflight for GET.

    Registered with ``after_request`` on the API blueprints, so that errors and
    automatic OPTIONS answers carry the headers too, not only ``send_body``'s.
    Errors on paths no route matches get them from ``geoapp.errors``.
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


def reject_repeated_parameters() -> None:
    """Refuse a query that gives a parameter twice (``?sectors=a&sectors=b``).

    Every interface reads one value per parameter; silently keeping the first would
    show something other than what the link asked for.
    """
    query = request.query_string
    if b"&" not in query:
        return  # zero or one parameter: nothing to compare (the common, hot case)
    names = [part.split(b"=", 1)[0] for part in query.split(b"&") if part]
    if len(names) == len(set(names)) and not any(b"%" in n or b"+" in n for n in names):
        return  # distinct raw names that decoding cannot make equal
    for name in request.args:
        if len(request.args.getlist(name)) > 1:
            raise QueryError(
                "parameter", name, "each parameter at most once (join values with commas)"
            )
