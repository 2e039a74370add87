"""gunicorn's settings for geoapp behind nginx: ``gunicorn -c python:geoapp.deploy.gunicorn``.

Made for the topology of :mod:`geoapp.deploy`: nginx takes the clients and hands over
whole requests, so gunicorn's few threads only ever do work, never wait on a client.
Any setting here can be overridden on gunicorn's command line (``--bind``, ``--pid``,
``--workers``...) or in ``GUNICORN_CMD_ARGS``.

The data is loaded once, in the master (``preload_app``): workers fork from it and
never read the disk, so a file that goes bad while serving cannot stop a respawned
worker, nor with it the server. New data is taken only on SIGHUP (``geoapp reload``),
and only if it validates (see :func:`on_reload`).
"""

from __future__ import annotations

import gc
import os

from geoapp.deploy import RunFiles, run_dir, warm

_files = RunFiles(run_dir())
# The pid file and socket are created before any hook runs: their directory must exist.
_files.root.mkdir(parents=True, exist_ok=True, mode=0o700)

wsgi_app = "geoapp.wsgi:app"
proc_name = "geoapp"

# A unix socket in the run directory: only nginx (and this machine's user) can reach it.
bind = [f"unix:{_files.socket}"]
pidfile = str(_files.gunicorn_pid)
# gunicorn 27's control socket (gunicornc) beside them, owner only; its default,
# ~/.gunicorn/gunicorn.ctl, would be shared by every gunicorn of the user.
control_socket = str(_files.control_socket)
control_socket_mode = 0o600

# Load and validate the data once in the master; workers fork with it in memory.
preload_app = True

# Threads, so that a long export never blocks the map: 2 workers of 4 threads
# (docs/export.md measures why). Keep-alive connections from nginx wait in the
# worker's poller, not in a thread.
worker_class = "gthread"
workers = 2
threads = 4

# A worker whose main loop is silent this long is killed and replaced (forked from the
# master: no disk read). Longer than the slowest export holds the interpreter.
timeout = 60
# On HUP or TERM, requests in flight (an export) get this long to finish.
graceful_timeout = 30
# Longer than nginx's upstream keepalive_timeout (30 s), so nginx closes idle
# connections first and never sends a request on one gunicorn is closing.
keepalive = 35

# Recycle a worker after about this many requests: a large export leaves the worker's
# memory high (the allocator keeps it); a fresh fork from the master gives it back. The
# jitter keeps both workers from restarting at once.
max_requests = 2000
max_requests_jitter = 400

# The heartbeat file on a RAM disk when there is one, so a slow disk cannot stall it.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# nginx logs every request; gunicorn logs errors and its own life to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"


def when_ready(arbiter) -> None:
    """In the master, before the first fork: build the answers every visitor asks first."""
    if arbiter.cfg.preload_app:
        _warm(arbiter, arbiter.app.wsgi())


def _warm(arbiter, app) -> None:
    # Only a head start: a failure is logged (the workers would hit it too), never fatal.
    try:
        warm(app)
    except Exception as exc:
        arbiter.log.error("geoapp: could not build the first pages ahead: %r", exc)


def pre_fork(arbiter, worker) -> None:
    """In the master, before each fork: freeze what it holds out of the cyclic GC.

    The catalog is a few hundred thousand objects that never die. Frozen, a worker's
    collections skip them: no pause to walk them, and no write to each object's header
    that would copy the master's pages into every worker (copy-on-write).
    """
    gc.freeze()


def on_reload(arbiter) -> None:
    """On SIGHUP, in the master: load the data again if it validates, else keep the old.

    gunicorn calls this before it forks the new workers, so they start with whichever
    data is current. It never raises: an exception here would stop the master and with
    it the server. Without ``preload_app`` the master holds no app, and each new worker
    loads the data itself (and refuses bad data, as at start).
    """
    if not arbiter.cfg.preload_app:
        return
    from geoapp import reload_data
    from geoapp.errors import BackendError, DataError

    app = arbiter.app.wsgi()
    try:
        catalog = reload_data(app)
    except DataError as exc:
        arbiter.log.error(
            "geoapp: not reloaded, keeping the data loaded before: %d problem(s) in %s, "
            "first: %s (geoapp validate %s lists them)",
            len(exc.problems),
            app.config["DATA_DIR"],
            exc.problems[0],
            app.config["DATA_DIR"],
        )
    except BackendError as exc:
        arbiter.log.error("geoapp: not reloaded, keeping the data loaded before: %s", exc)
    except Exception as exc:  # a bug must not take the server down: log it, keep serving
        arbiter.log.error("geoapp: not reloaded, keeping the data loaded before: %r", exc)
    else:
        # The old catalog was frozen out of the GC by pre_fork: let it be collected now.
        gc.unfreeze()
        gc.collect()
        _warm(arbiter, app)
        layers = catalog.layers()
        arbiter.log.info(
            "geoapp: reloaded %d layers, %d features (data version %s)",
            len(layers),
            sum(info.count for info in layers.values()),
            catalog.version,
        )
