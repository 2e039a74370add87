"""Response headers and trusted origins: what every answer tells the browser, in one place.

geoapp trusts nothing in its data (see docs/security.md), and the headers are the
browser's half of that promise:

- every answer is ``nosniff`` with a strict referrer policy, and may be framed
  only by the same origin;
- HTML pages carry a Content-Security-Policy whose only scripts are files from
  this server and the page's own inline scripts, named by their SHA-256 hash (no
  ``'unsafe-inline'`` for scripts, no ``eval``); other answers get a policy that
  runs nothing, so a JSON or SVG body opened directly can never become a page;
- absolute URLs (the OGC API's links) come from ``BASE_URL`` when it is set, or
  else from a Host (forwarded by a trusted proxy through werkzeug's ``ProxyFix``
  when ``PROXY_COUNT`` says there is one) that is in ``TRUSTED_HOSTS``; any other
  Host is a 400, so a forged Host can never be written into a cached answer.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

#: Hosts answered when neither BASE_URL nor TRUSTED_HOSTS is set: this machine only.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)

#: The policy of an answer that is not a page: nothing runs, nothing loads, no framing.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-...'``) for each inline ``<script>`` of a page.

    Only plain ``<script>`` elements run inline code; JSON data blocks
    (``<script type="application/json">``) are never executed and need no hash.
    """
    hashes = []
    for body in _INLINE_SCRIPT.findall(html):
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return list(dict.fromkeys(hashes))


def page_policy(html: str, *, image_hosts: Iterable[str] = (), frame_ancestors: bool = True) -> str:
    """The Content-Security-Policy of one HTML page.

    Styles may be inline (Leaflet and the legend set ``style`` attributes; styles
    cannot run code); scripts may not, except the page's own, by hash.
    ``image_hosts`` adds tile servers when online tiles are on. ``frame_ancestors``
    is dropped for a ``<meta>`` policy, where browsers ignore it.
    """
    scripts = " ".join(["'self'", *script_hashes(html)])
    images = " ".join(["'self'", "data:", *image_hosts])
    parts = [
        "default-src 'none'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
    if frame_ancestors:
        parts.append("frame-ancestors 'self'")
    return "; ".join(parts)


def tile_hosts(urls: Iterable[str]) -> list[str]:
    """CSP host sources for tile URL templates (``https://{s}.tile.osm.org/...``)."""
    hosts = []
    for url in urls:
        parts = urlsplit(url.replace("{s}", "x"))
        host = parts.hostname or ""
        if "{s}" in url:
            host = "*." + host.split(".", 1)[1]
        hosts.append(f"{parts.scheme}://{host}")
    return list(dict.fromkeys(hosts))


def secure_headers(response: Response) -> Response:
    """Headers every answer carries (registered with ``after_request``)."""
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if "Content-Security-Policy" not in headers:
        if response.mimetype == "text/html":
            # A page that did not compute its own policy runs no inline script at all.
            headers["Content-Security-Policy"] = page_policy("")
        else:
            headers["Content-Security-Policy"] = DATA_POLICY
    return response


def base_url(app_config: dict) -> str:
    """The root URL absolute links start from: BASE_URL, or the (trusted) request's."""
    configured = app_config.get("BASE_URL") or ""
    if configured:
        return configured.rstrip("/")
    return f"{request.scheme}://{request.host}{request.script_root}"


def vary_host(response: Response, app_config: dict) -> Response:
    """Say that an answer built from the Host varies with it (no BASE_URL set)."""
    if not app_config.get("BASE_URL"):
        response.vary.add("Host")
    return response


def parse_hosts(raw: str | Iterable[str]) -> list[str]:
    if isinstance(raw, str):
        return [h.strip() for h in raw.split(",") if h.strip()]
    return list(raw)


def init_app(app: Flask) -> None:
    """Trust the configured proxy and hosts, and add the headers to every answer."""
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies,
            x_prefix=proxies,
        )  # fmt: skip
    hosts = parse_hosts(app.config.get("TRUSTED_HOSTS") or "")
    if not hosts and not app.config.get("BASE_URL"):
        hosts = list(LOOPBACK_HOSTS)
    # Flask checks request.host against this list and answers 400 otherwise.
    app.config["TRUSTED_HOSTS"] = hosts or None
    app.after_request(secure_headers)
