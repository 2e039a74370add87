"""Content-Security-Policy of a page: its own inline scripts by hash, nothing else inline.

Pure functions of the page's text, used by the web face for the policy header
and by the standalone export for its ``<meta>`` policy (see docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


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
