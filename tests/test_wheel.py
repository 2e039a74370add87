"""An installed wheel finds its templates, scripts and data: nothing relies on the checkout.

The wheel is built from this checkout and installed into a fresh virtual environment
that borrows only the dependencies of the test environment (a path entry, no
editable install), then served from a folder that is not the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

from geoapp.config import ROOT
from tests.servers import free_port

#: The environment of the wheel's commands, less a PYTHONPATH that leads to a checkout.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def run(*command: str, cwd: Path | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_installed_wheel_serves_the_map(tmp_path):
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
        str(ROOT))  # fmt: skip
    wheel = next((tmp_path / "dist").glob("geoapp-*.whl"))
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    python = venv / "bin" / "python"
    run(str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel))
    # The dependencies come from the test environment, by path only (its .pth files,
    # among them the editable install of this checkout, are not read).
    site = run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    Path(site.strip(), "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = run(str(python), "-c", "import geoapp; print(geoapp.__file__)", cwd=tmp_path)
    assert where.startswith(str(venv)), where

    run(str(venv / "bin" / "geoapp"), "validate", cwd=tmp_path)
    port = free_port()
    env = {k: v for k, v in ENV.items() if not k.startswith("GEOAPP_")}
    server = subprocess.Popen(
        [str(venv / "bin" / "geoapp"), "serve", "--port", str(port)], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "the installed app did not answer"
                time.sleep(0.3)
        assert "geoapp.start(" in page and "/static/geoapp-ui.js" in page
        for path in ("/static/geoapp-ui.js", "/api/layers/ports", "/api/view"):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200, path
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()
