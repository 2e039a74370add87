"""The production topology: nginx in front, gunicorn behind it on a private socket.

gunicorn holds a thread for each connection until its request has arrived, so it must
never face clients directly: nginx takes them, waits for whole requests and whole
answers, and talks to gunicorn over a unix socket in the *run directory* (or a loopback
port). This package holds what a deployment needs, so that a wheel carries it:

- ``geoapp/deploy/nginx.conf``, a commented template rendered by :func:`render_nginx_conf`
  (or :func:`write_nginx_conf`, which also makes its directories): a cache of the app's
  answers, gzip, and the static files served from the installed package by nginx itself;
- ``geoapp.deploy.gunicorn``, gunicorn's settings (``gunicorn -c python:geoapp.deploy.gunicorn``);
- ``python -m geoapp.deploy`` (``make serve-prod``), which starts both and stops both.

The run directory (``GEOAPP_RUN_DIR``, default ``run/`` beside ``geodata/``) holds the
socket, gunicorn's pid file (read by ``geoapp reload``) and nginx's prefix.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2
from flask import Flask

from geoapp.config import ROOT

#: The nginx template, beside this module.
NGINX_TEMPLATE = Path(__file__).with_name("nginx.conf")
#: gunicorn's ``-c`` argument for the settings module.
GUNICORN_CONFIG = "python:geoapp.deploy.gunicorn"
#: Where a unix socket path must fit (``sun_path`` is 108 bytes on Linux).
SOCKET_PATH_MAX = 107

# What may stand where the template takes an address or a path: no blanks, quotes,
# semicolons or braces, so that no value can end a directive or open a block.
_ADDRESS = re.compile(r"^(unix:)?[\w.:\[\]/@+-]+$")
_PATH = re.compile(r"^/[\w./@+-]*$")


def run_dir() -> Path:
    """The run directory: ``GEOAPP_RUN_DIR``, else ``run/`` in the project root.

    One rule for the server and for ``geoapp reload``, so that the reload finds the pid
    file the server wrote without being told where.
    """
    return Path(os.environ.get("GEOAPP_RUN_DIR") or ROOT / "run").absolute()


@dataclass(frozen=True)
class RunFiles:
    """The files of one deployment, all inside its run directory."""

    root: Path

    @property
    def socket(self) -> Path:
        """gunicorn's unix socket, nginx's upstream."""
        return self.root / "gunicorn.sock"

    @property
    def gunicorn_pid(self) -> Path:
        """gunicorn's master pid: where ``geoapp reload`` sends SIGHUP."""
        return self.root / "gunicorn.pid"

    @property
    def control_socket(self) -> Path:
        """gunicorn's control socket (``gunicornc``), owner only."""
        return self.root / "gunicorn.ctl"

    @property
    def nginx_prefix(self) -> Path:
        """nginx's ``-p`` prefix: its config, temp files, logs and pid file."""
        return self.root / "nginx"

    @property
    def nginx_conf(self) -> Path:
        return self.nginx_prefix / "nginx.conf"

    @property
    def nginx_pid(self) -> Path:
        return self.nginx_prefix / "nginx.pid"

    @property
    def nginx_error_log(self) -> Path:
        return self.nginx_prefix / "logs" / "error.log"

    @property
    def nginx_cache(self) -> Path:
        """nginx's cache of the app's answers (``proxy_cache_path``)."""
        return self.nginx_prefix / "cache"


def static_files() -> tuple[Path, list[tuple[str, Path]]]:
    """What nginx serves without the app: the static directory, and each vendored file.

    Taken from the installed package (``geoapp.maps.assets``), so that nginx serves the
    very bytes the app would, from wherever the package is installed; the vendored
    files as ``(URL, file)``, only those the page uses (the app 404s the others).
    """
    from geoapp.maps.assets import FILES, PACKAGES, STATIC_DIR

    vendored = [
        (f"/vendor/{name}/{version}/{file}", (directory / file).resolve())
        for name, (directory, version) in PACKAGES.items()
        for file in FILES[name]
    ]
    return STATIC_DIR.resolve(), vendored


def security_headers() -> list[tuple[str, str]]:
    """The headers every answer of the app carries, for what nginx serves itself."""
    from geoapp.web.security import DATA_POLICY

    return [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Content-Security-Policy", DATA_POLICY),
    ]


#: What a visitor's browser asks first, gzipped as browsers ask: the map page and the
#: layer catalog; then what the page fetches (:func:`first_questions`). Built once in
#: gunicorn's master, they are in every worker it forks.
WARM_PATHS = ("/", "/api/layers")


def first_questions(page: str) -> list[str]:
    """What a map page's scripts fetch as it opens, read from its settings block.

    Every layer (the countries at each zoom's level of detail too) and the view answer
    of the page's toggles: a worker that has them answers a first view from memory.
    The view answer is asked without the screen's box, which changes only the
    legend's counts; the drawn part, the costly one, is the same.
    """
    start = page.index('id="geoapp-settings">') + len('id="geoapp-settings">')
    settings = json.loads(page[start : page.index("</script>", start)])
    urls = list(settings["urls"].values())
    urls += [level["url"] for part in settings["basemap"] for level in part.get("levels", ())]
    layers = ",".join(settings["drawn"])
    sectors = ",".join(settings["sectors"])
    urls.append(f"{settings['viewUrl']}?sectors={sectors}&layers={layers}")
    return urls


def warm(app: Flask) -> None:
    """Build the first answers into the app's caches, in this process.

    Called in gunicorn's master after it loads (or reloads) the data: every worker,
    including one that replaces a recycled or killed worker, then forks with the map
    page built and compressed, and the first view's answers with it, instead of
    building them under load (the countries' simplified levels take about 0.3 s each).
    """
    # A Host the app answers (TRUSTED_HOSTS, a leading dot meaning the domain and its
    # subdomains); the pages themselves do not depend on it.
    trusted = app.config.get("TRUSTED_HOSTS") or ["localhost"]
    client = app.test_client()
    base = f"http://{trusted[0].lstrip('.')}"

    def get(path: str, **headers: str):
        response = client.get(path, base_url=base, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"warming {path}: {response.status}")
        return response

    for path in WARM_PATHS:
        get(path, **{"Accept-Encoding": "gzip"})
    for path in first_questions(get("/").get_data(as_text=True)):
        get(path, **{"Accept-Encoding": "gzip"})


def nginx_binary() -> str | None:
    """The nginx executable: on PATH, else Debian's ``/usr/sbin`` (not on a user's PATH)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def nginx_user() -> str | None:
    """The ``user`` directive's value: the current user when root, else none.

    Started by root, nginx would switch its workers to ``nobody``, who cannot enter a
    private run directory; a non-root nginx cannot switch at all and ignores the
    directive, so it is left out.
    """
    return pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None


def render_nginx_conf(
    *,
    listen: str,
    upstream: str,
    prefix: Path,
    error_log: Path | None = None,
    access_log: Path | None = None,
    user: str | None = None,
    worker_processes: int | str = "auto",
    cache_dir: Path | None = None,
    cache_max_size: str = "1g",
) -> str:
    """Fill ``nginx.conf``'s template: nginx on ``listen``, proxying to ``upstream``.

    Parameters
    ----------
    listen
        What nginx listens on: ``127.0.0.1:5000``, ``0.0.0.0:80``, ``[::1]:8080``.
    upstream
        gunicorn: ``unix:/path/gunicorn.sock`` or ``127.0.0.1:8001``.
    prefix
        nginx's ``-p`` directory; temp files go in ``prefix/temp``.
    error_log, access_log
        Log files (default ``prefix/logs/error.log``; no access log unless given).
    user
        The workers' user when nginx starts as root (see :func:`nginx_user`).
    cache_dir, cache_max_size
        Where nginx keeps cached answers (default ``prefix/cache``) and their most disk
        space (an nginx size: ``1g``, ``500m``).

    Raises ValueError for a value that could break out of its directive.

    Examples
    --------
    >>> conf = render_nginx_conf(listen="127.0.0.1:8080", upstream="127.0.0.1:8001",
    ...                          prefix=Path("/tmp/nginx"))
    >>> "server 127.0.0.1:8001 max_fails=0;" in conf
    True
    """
    prefix = Path(prefix).absolute()
    error_log = Path(error_log or prefix / "logs" / "error.log").absolute()
    cache_dir = Path(cache_dir or prefix / "cache").absolute()
    static_dir, vendor_files = static_files()
    values = {"listen": listen, "upstream": upstream}
    for name, value in values.items():
        if not _ADDRESS.fullmatch(value):
            raise ValueError(f"{name} {value!r} is not an address nginx can take")
    paths = [("prefix", prefix), ("error_log", error_log), ("access_log", access_log),
             ("cache_dir", cache_dir), ("static directory", static_dir)]  # fmt: skip
    paths += [(f"vendored file {url}", url) for url, _ in vendor_files]
    paths += [(f"vendored file {url}", path) for url, path in vendor_files]
    for name, path in paths:
        if path is not None and not _PATH.fullmatch(str(path)):
            raise ValueError(f"{name} {str(path)!r}: use a path of letters, digits, ./_-@+")
    if not re.fullmatch(r"[1-9][0-9]*[kmg]?", cache_max_size):
        raise ValueError(f"cache_max_size {cache_max_size!r} is not a size nginx takes (1g, 500m)")
    if upstream.startswith("unix:") and len(upstream) - 5 > SOCKET_PATH_MAX:
        raise ValueError(f"socket path too long for a unix socket: {upstream[5:]!r}")
    if user is not None and not re.fullmatch(r"[a-z_][\w-]*", user):
        raise ValueError(f"user {user!r} is not a user name")
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False
    )
    template = environment.from_string(NGINX_TEMPLATE.read_text(encoding="utf-8"))
    return template.render(
        listen=listen,
        upstream=upstream,
        prefix=prefix,
        error_log=error_log,
        access_log=access_log,
        user=user,
        worker_processes=worker_processes,
        cache_dir=cache_dir,
        cache_max_size=cache_max_size,
        static_dir=static_dir,
        vendor_files=vendor_files,
        security_headers=security_headers(),
    )


def write_nginx_conf(prefix: Path, **options) -> Path:
    """Render the config into ``prefix/nginx.conf`` and make the directories it names.

    nginx creates its temp directories itself but not their parents; the renderer's
    arguments are :func:`render_nginx_conf`'s.
    """
    prefix = Path(prefix).absolute()
    for sub in ("temp", "logs"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx_conf(prefix=prefix, **options), encoding="utf-8")
    return conf


def nginx_command(nginx: str, prefix: Path, conf: Path, pid: Path, error_log: Path) -> list[str]:
    """nginx in the foreground, without root: every path it writes is under ``prefix``.

    ``-e`` sends what nginx logs before it has read the config to the same file, instead
    of the compiled-in default that may be ``/var/log/nginx/error.log``.
    """
    return [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(error_log),
            "-g", f"daemon off; pid {pid};"]  # fmt: skip
