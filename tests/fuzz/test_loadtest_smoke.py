"""A 10-second, 2-session run of the load test (python -m explorer.loadtest) against the e2e
server: the harness works and two visitors clicking at once meet no error. The full run (8
sessions, 60 s) is a script, not a test: its figures are in BENCHMARKS.md ("Concurrency").

Skipped unless LOADTEST_SMOKE=1: it costs ~40 s of a 2-core CI machine, and what it would catch in
CI (a page erroring for a visitor) the e2e tests and the AppTest link samples already catch; run it
after changing explorer/loadtest.py or anything shared between sessions (caches, the store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from explorer import paths
from tests.e2e.conftest import app_url  # noqa: F401  (the e2e server fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("LOADTEST_SMOKE") != "1", reason="set LOADTEST_SMOKE=1 to run")]


def test_two_sessions_for_ten_seconds_meet_no_error(app_url, tmp_path):  # noqa: F811
    out = tmp_path / "load.json"
    run = subprocess.run([sys.executable, "-m", "explorer.loadtest", "--url", app_url, "--sessions", "2",
                          "--seconds", "10", "--ramp", "1", "--no-warm-up", "--json", str(out)],
                         cwd=paths.ROOT, capture_output=True, text=True, timeout=300)
    summary = json.loads(out.read_text())
    assert run.returncode == 0 and summary["errors"] == 0, summary["error_examples"] or run.stderr[-2000:]
    assert summary["interactions"] >= 2 and summary["p95_s"] is not None
