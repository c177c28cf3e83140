"""The build is incremental, atomic and reports row accounting (run on real raw files)."""

import json
import shutil
import signal
import subprocess
import sys
import time

import polars as pl
import pytest

from explorer import paths
from explorer.build import build
from explorer.sources import discover
from explorer.sources.base import SourceError

STEP_IDS = ["ohid_fingertips_native", "ons_health_index"]


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def dirs(tmp_path, cache_root):
    raw = tmp_path / "raw"
    for sid in STEP_IDS:
        for pattern in discover()[sid].META["files"]:
            for src in paths.RAW_DIR.glob(pattern):
                dest = raw / src.relative_to(paths.RAW_DIR)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
    return {"raw_dir": raw, "store_link": tmp_path / "store", "builds_dir": tmp_path / "builds",
            "cache_root": cache_root}


def _steps():
    steps = discover()
    return {sid: steps[sid] for sid in STEP_IDS}


def test_build_writes_store_and_second_build_is_a_no_op(dirs):
    lines: list[str] = []
    report = build(force=True, steps=_steps(), say=lines.append, **dirs)
    assert report.rebuilt == sorted(STEP_IDS)
    store = dirs["store_link"]
    values = pl.read_parquet(store / paths.VALUES)
    assert set(values["source_id"]) == set(STEP_IDS)
    # Per-source summary of rows read, loaded, rejected is printed.
    assert any("ohid_fingertips_native" in line and "read     852" in line for line in lines)
    sources = pl.read_parquet(store / paths.SOURCES)
    assert (sources["rows_read"] == sources["rows_loaded"] + sources["rows_rejected"]).all()
    # The area profile's tables are written into the same build, with their row counts.
    profile_rows = json.loads((store / paths.MANIFEST).read_text())["profile_rows"]
    assert profile_rows[paths.PROFILE_HEADLINE] == pl.read_parquet(store / paths.PROFILE_HEADLINE).height > 0
    assert set(profile_rows) == {paths.PROFILE_HEADLINE, paths.PROFILE_SPREAD, paths.PROFILE_ENGLAND,
                                 paths.PROFILE_LATEST, paths.PROFILE_PEERS}
    again: list[str] = []
    second = build(steps=_steps(), say=again.append, **dirs)
    assert second.rebuilt == [] and any("up to date" in line for line in again)
    assert store.resolve() == report.store


def test_only_the_changed_source_is_rebuilt(dirs):
    build(force=True, steps=_steps(), say=lambda _m: None, **dirs)
    changed = dirs["raw_dir"] / "humaniverse_healthyr" / "england_health_index.csv"
    text = changed.read_text().replace("88.3", "88.4", 1)  # E06000001 2015 overall score
    changed.write_text(text)
    report = build(steps=_steps(), say=lambda _m: None, **dirs)
    assert report.rebuilt == ["ons_health_index"] and report.reused == ["ohid_fingertips_native"]
    values = pl.read_parquet(dirs["store_link"] / paths.VALUES)
    row = values.filter(pl.col("indicator_id") == "health-index-overall", pl.col("area_code") == "E06000001",
                        pl.col("period") == "2015", pl.col("area_type") == "ltla")
    assert row["value"].to_list() == [88.4]


def test_failed_build_leaves_the_previous_store(dirs):
    first = build(force=True, steps=_steps(), say=lambda _m: None, **dirs)
    before = pl.read_parquet(dirs["store_link"] / paths.VALUES)
    broken = dirs["raw_dir"] / "ohid_fingertips_native" / "indicators-CountyUA.data.csv"
    broken.write_text("not,the,fingertips,layout\n1,2,3,4\n")
    with pytest.raises(SourceError, match=r"indicators-CountyUA.data.csv, row 1: missing column"):
        build(steps=_steps(), say=lambda _m: None, **dirs)
    assert dirs["store_link"].resolve() == first.store
    assert pl.read_parquet(dirs["store_link"] / paths.VALUES).equals(before)


def test_killed_build_leaves_the_previous_store_readable(tmp_path):
    store, builds, cache = tmp_path / "store", tmp_path / "builds", tmp_path / "cache"
    cmd = [sys.executable, "-m", "explorer", "build", "--store", str(store), "--builds-dir", str(builds),
           "--cache-dir", str(cache)]
    subprocess.run(cmd, cwd=paths.ROOT, check=True, capture_output=True, timeout=300)
    target = store.resolve()
    before = pl.read_parquet(store / paths.VALUES)
    proc = subprocess.Popen([*cmd, "--force"], cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(4)  # mid-way through the source steps
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert store.resolve() == target
    assert pl.read_parquet(store / paths.VALUES).equals(before)
