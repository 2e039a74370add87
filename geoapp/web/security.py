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

from collections.abc import Iterable

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from geoapp.maps.csp import page_policy

#: Hosts answered when neither BASE_URL nor TRUSTED_HOSTS is set: this machine only.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")

#: The policy of an answer that is not a page: nothing runs, nothing loads, no framing.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


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
