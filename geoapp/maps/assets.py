"""Leaflet and the page's own scripts, served from installed packages, never from a CDN.

folium's maps point at CDNs by default. geoapp serves the one library it uses
(Leaflet, from the PyPI package ``xstatic-leaflet``) under ``/vendor/`` and sets
those URLs on each map instance; folium's other defaults (jQuery, Bootstrap,
glyphicons, awesome-markers, Font Awesome) are dropped because nothing on the
page uses them. The standalone export inlines the same files instead.
"""

from __future__ import annotations

import base64
import logging
import re
from functools import cache
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet

log = logging.getLogger(__name__)

#: Vendored packages: URL name -> (data directory, version). The version is in the
#: URL, so a file never changes under its URL and may be cached for a year.
PACKAGES: dict[str, tuple[Path, str]] = {
    "leaflet": (Path(xs_leaflet.BASE_DIR), xs_leaflet.VERSION),
}

#: The files the page needs from each package (anything else is a 404).
FILES: dict[str, tuple[str, ...]] = {
    "leaflet": (
        "leaflet.js",
        "leaflet.css",
        "images/layers.png",
        "images/layers-2x.png",
        "images/marker-icon.png",
        "images/marker-icon-2x.png",
        "images/marker-shadow.png",
    ),
}

#: What folium's ``default_js`` / ``default_css`` become on our map instances.
MAP_JS: tuple[tuple[str, str, str], ...] = (("leaflet", "leaflet", "leaflet.js"),)
MAP_CSS: tuple[tuple[str, str, str], ...] = (("leaflet_css", "leaflet", "leaflet.css"),)

#: The page's own scripts and styles (geoapp/static/), in load order.
OWN_JS: tuple[str, ...] = (
    "geoapp-data.js",
    "geoapp-render.js",
    "geoapp-names.js",
    "geoapp-places.js",
    "geoapp-popup.js",
    "geoapp-pick.js",
    "geoapp-search.js",
    "geoapp-ui.js",
    "geoapp-filters.js",
    "geoapp-access.js",
    "geoapp-list.js",
    "geoapp-reader.js",
)
OWN_CSS: tuple[str, ...] = ("geoapp.css",)
STATIC_DIR = Path(__file__).resolve().parent / "static"

YEAR = 365 * 24 * 3600
MIMETYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def vendor_path(package: str, filename: str) -> str:
    """Return the URL path of a vendored file (versioned, so it is immutable)."""
    _, version = PACKAGES[package]
    return f"/vendor/{package}/{version}/{filename}"


def map_assets() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return ``(default_js, default_css)`` for a folium Map instance served by the app."""
    js = [(name, vendor_path(pkg, f)) for name, pkg, f in MAP_JS]
    css = [(name, vendor_path(pkg, f)) for name, pkg, f in MAP_CSS]
    return js, css


@cache
def read_bytes(package: str, filename: str) -> bytes:
    """Return a vendored file's bytes (read once per process)."""
    if filename not in FILES.get(package, ()):
        raise KeyError(f"{package}/{filename}")
    base, _ = PACKAGES[package]
    return (base / filename).read_bytes()


@cache
def read_own(filename: str) -> str:
    """Return one of the page's own static files as text."""
    return (STATIC_DIR / filename).read_text(encoding="utf-8")


def inline_script(source: str) -> str:
    """Wrap JavaScript in a ``<script>`` element that the HTML parser cannot end early."""
    return "<script>" + re.sub(r"</(script)", r"<\\/\1", source, flags=re.I) + "</script>"


def inline_style(source: str) -> str:
    """Wrap CSS in a ``<style>`` element that the HTML parser cannot end early."""
    return "<style>" + re.sub(r"</(style)", r"<\\/\1", source, flags=re.I) + "</style>"


def inline_leaflet_css() -> str:
    """Leaflet's stylesheet with its images turned into data: URIs (no server needed)."""
    css = read_bytes("leaflet", "leaflet.css").decode("utf-8")

    def data_uri(match: re.Match) -> str:
        name = match.group(1)
        try:
            png = read_bytes("leaflet", name)
        except KeyError:
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(png).decode()})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


def standalone_assets() -> str:
    """Every script and stylesheet of the page, inlined, in load order."""
    parts = [inline_style(inline_leaflet_css())]
    parts += [inline_style(read_own(name)) for name in OWN_CSS]
    parts.append(inline_script(read_bytes("leaflet", "leaflet.js").decode("utf-8")))
    parts += [inline_script(read_own(name)) for name in OWN_JS]
    return "\n".join(parts)
