"""`python -m explorer search` (explorer.search_cli): JSON and text output, the built catalogue or
the source definitions when no store is built, and no Streamlit import."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl

from explorer import cli, paths, search, search_cli

DEFINITIONS, _ = search_cli.definitions_from_sources()
DEFINED = set(DEFINITIONS["indicator_id"])


def _frame(rows: list[dict]) -> pl.DataFrame:
    base = {"short_title": None, "definition": "", "synonyms": [], "topic": "lifestyle"}
    return pl.DataFrame([{**base, **r} for r in rows])


def test_cli_json_falls_back_to_definitions(tmp_path, capsys):
    assert cli.main(["search", "fat", "--json", "--limit", "3", "--store", str(tmp_path / "none")]) == 0
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert "no built store" in err
    assert [set(r) for r in rows] == [{"indicator_id", "title", "producers", "score"}] * len(rows)
    expected = search.search(DEFINITIONS, "fat", limit=3)
    assert [r["indicator_id"] for r in rows] == expected["indicator_id"].to_list()
    assert rows[0]["indicator_id"] in ("obesity-prevalence-adults", "obesity-recorded-prevalence")
    assert all(isinstance(r["producers"], list) and r["producers"] for r in rows)


def test_cli_reads_the_built_catalogue(tmp_path, capsys):
    frame = _frame([{"indicator_id": "widget-rate", "title": "Widget rate", "producers": ["ONS"]},
                    {"indicator_id": "widget-count", "title": "Widget count", "producers": ["NHS England"]}])
    frame.write_parquet(tmp_path / paths.INDICATORS)
    assert cli.main(["search", "widget", "--json", "--producer", "ONS", "--store", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert [r["indicator_id"] for r in json.loads(out)] == ["widget-rate"]
    assert cli.main(["search", "widget", "rate", "--store", str(tmp_path)]) == 0   # words joined
    assert capsys.readouterr().out.splitlines()[0].split()[1] == "widget-rate"
    assert cli.main(["search", "gizmo", "--store", str(tmp_path)]) == 1
    assert "no indicators match" in capsys.readouterr().err


def test_cli_subprocess_and_no_streamlit(tmp_path):
    run = subprocess.run([sys.executable, "-m", "explorer", "search", "A&E", "--json", "--limit", "2",
                          "--store", str(tmp_path)], capture_output=True, text=True, cwd=paths.ROOT,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    ids = [r["indicator_id"] for r in json.loads(run.stdout)]
    if "ae-attendances" in DEFINED:
        assert ids and ids[0].startswith("ae-")
    probe = subprocess.run([sys.executable, "-c", "import sys, explorer.search, explorer.search_cli; "
                            "print('streamlit' in sys.modules)"], capture_output=True, text=True,
                           cwd=paths.ROOT, timeout=120)
    assert probe.stdout.strip() == "False", probe.stderr
