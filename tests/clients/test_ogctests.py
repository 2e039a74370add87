"""A peer's conformance suite: the OGC API - Features Part 1 Core tests of ``ogctests``.

``ogctests`` pins pytest below 9 and pyarrow 17, so it lives in a virtual environment
of its own (``make test`` makes ``.venv-ogctests``) and runs against the real server,
on each provider. Part 2 (CRS by reference) is not claimed by geoapp's conformance
document, so its one test (``test_ast2``) is left out.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from geoapp.config import ROOT

PYTHON = ROOT / ".venv-ogctests" / "bin" / "python"
RUN = (
    "import sys; from ogctests.main import run_ogctests; "
    "sys.exit(run_ogctests('features/core', sys.argv[1], "
    "['-q', '-p', 'no:cacheprovider', '-k', 'not test_ast2', '-W', 'ignore']))"
)


def test_ogc_api_features_core_conformance(live_server, tmp_path):
    if not PYTHON.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but .venv-ogctests is missing (make test creates it)")
        pytest.skip("ogctests is not installed (make test creates .venv-ogctests)")
    done = subprocess.run(
        [str(PYTHON), "-c", RUN, live_server + "/ogc"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary, summary
