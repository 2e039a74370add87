"""``python -m geoapp.deploy`` (``make serve-prod``): nginx on HOST:PORT in front of gunicorn.

Starts gunicorn with :mod:`geoapp.deploy.gunicorn` on a unix socket in the run
directory, waits until it listens (the data is loaded and valid by then), renders
nginx's config there and starts nginx on HOST:PORT. Ctrl-C or SIGTERM stops both, and
so does either one exiting: a proxy without its app, or an app without its proxy, is
not a deployment. ``geoapp reload`` (SIGHUP to gunicorn) changes the data meanwhile.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from geoapp import REFUSED
from geoapp.deploy import (
    GUNICORN_CONFIG,
    RunFiles,
    nginx_binary,
    nginx_command,
    nginx_user,
    run_dir,
    write_nginx_conf,
)

PROG = "python -m geoapp.deploy"
#: How long gunicorn may take to load and validate the data before we give up.
START_TIMEOUT = 120.0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, as the geoapp command
        print(f"{PROG}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                        help="address nginx listens on (default: $HOST or 127.0.0.1)")  # fmt: skip
    parser.add_argument("--port", type=_port, default=os.environ.get("PORT", "5000"),
                        help="port nginx listens on (default: $PORT or 5000)")  # fmt: skip
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="socket, pid files, nginx prefix (default: $GEOAPP_RUN_DIR or run/)")  # fmt: skip
    return parser.parse_args(argv)


def say(message: str) -> None:
    print(f"geoapp: {message}", file=sys.stderr, flush=True)


def _alive(pid_file: Path) -> int | None:
    """The pid in ``pid_file`` if that process runs, else None."""
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _wait(ready, procs: list[subprocess.Popen], timeout: float) -> bool:
    """Poll ``ready()`` until true; False if a process exits or time runs out first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def _stop(proc: subprocess.Popen, sig: int, grace: float) -> None:
    """Send ``sig`` and wait ``grace`` seconds, then kill: nothing is left behind."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve(host: str, port: int, run: Path) -> int:
    """Run gunicorn and nginx until a signal or until either exits; return the exit status."""
    nginx = nginx_binary()
    if nginx is None:
        say("nginx is not installed (apt-get install nginx); gunicorn is never served alone")
        return 1
    files = RunFiles(run.absolute())
    files.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for pid_file in (files.gunicorn_pid, files.nginx_pid):
        if (pid := _alive(pid_file)) is not None:
            say(f"already running in {files.root} (pid {pid}); stop it first")
            return 1

    stopping: list[int] = []
    handlers = {sig: signal.signal(sig, lambda n, _f: stopping.append(n))
                for sig in (signal.SIGINT, signal.SIGTERM)}  # fmt: skip
    env = {**os.environ, "GEOAPP_RUN_DIR": str(files.root)}
    # Exactly one proxy, nginx, sets the X-Forwarded-* headers the app may believe
    # (docs/security.md); a deployment with another proxy in front says so itself.
    env.setdefault("GEOAPP_PROXY_COUNT", "1")
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG], env=env)
    procs = [gunicorn]
    status = 0
    try:
        if not _wait(lambda: stopping or _listening(files.socket), procs, START_TIMEOUT):
            if gunicorn.poll() != REFUSED:  # a refusal has said why, one line per problem
                say("gunicorn did not start (see above)")
            return gunicorn.poll() or 1
        if stopping:
            return 0
        conf = write_nginx_conf(
            files.nginx_prefix,
            listen=f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            upstream=f"unix:{files.socket}",
            error_log=files.nginx_error_log,
            access_log=files.nginx_prefix / "logs" / "access.log",
            user=nginx_user(),
        )
        command = nginx_command(
            nginx, files.nginx_prefix, conf, files.nginx_pid, files.nginx_error_log
        )
        procs.append(subprocess.Popen(command))
        # nginx writes its pid file once it has bound its port.
        if not _wait(lambda: stopping or files.nginx_pid.exists(), procs, 10):
            lines = files.nginx_error_log.read_text(errors="replace").splitlines()
            say("nginx did not start: " + next((ln for ln in reversed(lines) if "emerg" in ln),
                                               f"see {files.nginx_error_log}"))  # fmt: skip
            return 1
        if stopping:
            return 0
        say(f"serving the map on http://{host}:{port}/ (nginx, in front of gunicorn on "
            f"unix:{files.socket}); logs in {files.nginx_prefix / 'logs'}; "
            "Ctrl-C stops both; `geoapp reload` loads changed data")  # fmt: skip
        while not stopping:
            if any(p.poll() is not None for p in procs):
                name = "gunicorn" if gunicorn.poll() is not None else "nginx"
                say(f"{name} exited; stopping the other")
                status = 1
                break
            time.sleep(0.2)
        return status
    finally:
        # nginx first, so nothing new reaches gunicorn; then gunicorn finishes its requests.
        for proc in reversed(procs):
            _stop(proc, signal.SIGQUIT if proc is not gunicorn else signal.SIGTERM, 35)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if stopping:
            say("stopped nginx and gunicorn")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    args = parse_args(argv)
    sys.exit(serve(args.host, args.port, args.run_dir or run_dir()))


if __name__ == "__main__":
    main()
