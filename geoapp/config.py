"""Configuration: defaults, then ``GEOAPP_*`` environment variables, then a test config."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def bundled_data() -> Path:
    """The bundled ``geodata/``: the checkout's, or the copy a wheel installs.

    A wheel carries the data as data files under ``<prefix>/share/geoapp/geodata``
    (pyproject.toml), since ``geodata/`` is the repository's, not the package's.
    """
    checkout = ROOT / "geodata"
    if (checkout / "sources.json").is_file():
        return checkout
    return Path(sys.prefix) / "share" / "geoapp" / "geodata"


DEFAULTS: dict[str, Any] = {
    # Where the layer files live.
    "DATA_DIR": str(bundled_data()),
    # A PostgreSQL URL: serve the layers from PostGIS (loaded by `geoapp db load`) instead
    # of DATA_DIR. Empty: the files.
    "DATABASE_URL": "",
    # The places store of the files provider (geoapp places build); empty: $GEOAPP_PLACES_DB,
    # else places.sqlite3 in the instance folder ($GEOAPP_INSTANCE, else Flask's).
    "PLACES_DB": "",
    # Online tile layers are offered in the layer switcher only when this is on;
    # the page then still opens on the bundled basemap unless DEFAULT_TILES names one.
    "ONLINE_TILES": False,
    # "" (bundled basemap), "osm" or "esri" (see geoapp.styles.TILE_PROVIDERS).
    "DEFAULT_TILES": "",
    # Seconds browsers and proxies may reuse layer JSON and pages before revalidating.
    "CACHE_MAX_AGE": 300,
    # Map page cache entries (one per distinct query).
    "PAGE_CACHE_SIZE": 128,
    # Image exports (png, svg, pdf) a worker process draws at once, and how many more may
    # wait for a slot; the rest get a 503 with Retry-After (geoapp.export.budget). Keep the sum
    # below gunicorn's --threads, so that the map page always has a thread. One per worker:
    # with 2 workers on 2 cores that is a core each (measured: map page p99 0.28 s under 16
    # clients of big exports; with 2 per worker, 0.93 s; bench/hardening.py).
    "EXPORT_CONCURRENCY": 1,
    "EXPORT_QUEUE": 1,
    # Most pixels of one image export (width x height), CLI and web: 6000 x 4000. A raster
    # costs 4 bytes a pixel while it is drawn, so this bounds an export's memory.
    "EXPORT_MAX_PIXELS": 24_000_000,
    "DEBUG": False,
    # The public root URL (https://maps.example.org/geoapp): absolute links (the OGC API's)
    # start from it, and the Host header is then never used for them.
    "BASE_URL": "",
    # Reverse proxies in front that set X-Forwarded-For/-Proto/-Host/-Port/-Prefix
    # (werkzeug's ProxyFix trusts that many hops; 0: trust no forwarded header).
    "PROXY_COUNT": 0,
    # Comma-separated Host names answered (a leading dot matches subdomains); others get a
    # 400. Empty: loopback names only, unless BASE_URL is set (then any Host is answered).
    "TRUSTED_HOSTS": "",
}

BOOLEANS = {"1": True, "true": True, "yes": True, "on": True,
         "0": False, "false": False, "no": False, "off": False, "": False}  # fmt: skip


class ConfigError(ValueError):
    """A setting has a value of the wrong kind or out of range."""


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read ``GEOAPP_<KEY>`` for every default key, converted to the default's type."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        raw = environ.get(f"GEOAPP_{key}")
        if raw is None:
            continue
        if isinstance(default, bool):
            if raw.strip().lower() not in BOOLEANS:
                raise ConfigError(f"GEOAPP_{key}={raw!r}: use one of {', '.join(BOOLEANS)}")
            config[key] = BOOLEANS[raw.strip().lower()]
        elif isinstance(default, int):
            try:
                config[key] = int(raw)
            except ValueError:
                raise ConfigError(f"GEOAPP_{key}={raw!r}: must be a whole number") from None
        else:
            config[key] = raw
    return config


def check(config: Mapping[str, Any]) -> None:
    """Raise ConfigError on the first setting out of range, naming the valid values.

    Checked at start-up, so that a bad setting stops the app at once instead of
    turning every page into an error later.
    """
    from geoapp.data.schema import is_web_url
    from geoapp.styles import TILE_PROVIDERS

    tiles = config["DEFAULT_TILES"]
    if tiles not in ("", *TILE_PROVIDERS):
        valid = ", ".join(["'' (none)", *TILE_PROVIDERS])
        raise ConfigError(f"DEFAULT_TILES={tiles!r}: use one of {valid}")
    base = config.get("BASE_URL") or ""
    if base and not is_web_url(base):
        raise ConfigError(
            f"BASE_URL={base!r}: must be an http or https URL, e.g. https://example.org"
        )
    from geoapp.maps.printed.page import MAX_PIXELS, MIN_PIXELS

    lowest = {"EXPORT_CONCURRENCY": 1, "EXPORT_MAX_PIXELS": MIN_PIXELS[0] * MIN_PIXELS[1]}
    highest = {"EXPORT_MAX_PIXELS": MAX_PIXELS * MAX_PIXELS}
    for key in ("CACHE_MAX_AGE", "PAGE_CACHE_SIZE", "PROXY_COUNT", "EXPORT_CONCURRENCY",
                "EXPORT_QUEUE", "EXPORT_MAX_PIXELS"):  # fmt: skip
        value, low, high = config[key], lowest.get(key, 0), highest.get(key)
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < low
            or (high is not None and value > high)
        ):
            within = f">= {low}" if high is None else f"from {low} to {high}"
            raise ConfigError(f"{key}={value!r}: must be a whole number {within}")
