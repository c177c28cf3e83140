"""`python -m explorer export`: the same filters and the same bytes as the page's functions."""

from __future__ import annotations

import datetime as dt
import json
import shlex
import stat
import subprocess
import sys

import pytest

from explorer import cli, export, paths
from explorer.queries import download as dq

DM = "diabetes-recorded-prevalence"
STAMP = "2025-01-31T12:00:05Z"
RETRIEVED = dt.datetime(2025, 1, 31, 12, 0, 5, tzinfo=dt.UTC)
F = dq.Filter(indicators=[DM], area_type="ccg", period_from="2019/20", period_to="2019/20")
ARGS = ["export", "--indicator", DM, "--area-type", "ccg", "--from", "2019/20", "--to", "2019/20",
        "--retrieved", STAMP]


@pytest.mark.parametrize("fmt", ["csv", "json", "zip", "fingertips", "xlsx", "parquet"])
def test_cli_writes_the_same_bytes_as_the_api(store, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert cli.main([*ARGS, "--format", fmt, "-o", str(out)]) == 0
    assert out.read_bytes() == export.export(store, F, fmt, RETRIEVED)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    sidecar = out.with_name(out.name + ".metadata.json")
    assert sidecar.exists() == (fmt in ("csv", "fingertips"))
    if sidecar.exists():
        meta = json.loads(sidecar.read_text())
        assert meta["retrieved"] == STAMP and meta["rows"] == 144 and meta["format"] == fmt
        assert not list(tmp_path.glob(".*.part"))  # written atomically, nothing left behind


def test_cli_columns_areas_and_stdout(store, capsysbinary):
    assert cli.main([*ARGS, "--area", "E38000232", "--columns", "value,ci998", "--format", "csv", "-o", "-"]) == 0
    text = capsysbinary.readouterr().out.decode()
    header, row, end = text.split("\n")
    assert "lower_ci998" in header and "lower_ci95" not in header and "count" not in header.split(",")
    assert "NHS Bradford District and Craven CCG" in row and end == ""


@pytest.mark.parametrize(("args", "message"), [
    (["export", "--indicator", "no-such-thing", "-o", "x.csv"], "unknown indicator"),
    (["export", "--indicator", DM, "--from", "last week", "-o", "x.csv"], "is not a period"),
    (["export", "--indicator", DM, "--area-type", "trust", "-o", "x.csv"], "no values for area type"),
])
def test_cli_errors_are_plain_messages(store, tmp_path, capsys, args, message):
    assert cli.main([a.replace("x.csv", str(tmp_path / "x.csv")) for a in args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_cli_rejects_unknown_column_groups(store):
    with pytest.raises(SystemExit):
        cli.main([*ARGS, "--columns", "value,bogus", "-o", "x.csv"])


def test_the_printed_command_reproduces_the_file(store, tmp_path):
    """What the page shows under "the same file from the command line" writes the page's file."""
    f = dq.Filter(indicators=[DM, "ae-attendances"], area_type="england", ages=["All ages", "17+"],
                  period_from="2017/18", columns=["value", "ci998", "original"])
    command = shlex.split(dq.cli_command(f, "json", str(tmp_path / "page.json")))
    assert command[:3] == ["python", "-m", "explorer"]
    assert cli.main([*command[3:], "--retrieved", STAMP]) == 0
    assert (tmp_path / "page.json").read_bytes() == export.export(store, f, "json", RETRIEVED)


def test_python_dash_m_explorer_export_runs(store, tmp_path):
    out = tmp_path / "dm.csv"
    done = subprocess.run([sys.executable, "-m", "explorer", *ARGS, "--format", "csv", "-o", str(out)],
                          cwd=paths.ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "144 rows" in done.stderr and out.read_bytes() == export.export(store, F, "csv", RETRIEVED)
