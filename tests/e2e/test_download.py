"""End to end: open a download link, click the download buttons in a real browser, and check the
files are the command line's files byte for byte (and that the Excel file opens)."""

from __future__ import annotations

import io
import json
from urllib.parse import urlsplit

import openpyxl
import pytest

from explorer import cli
from tests.e2e.conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.e2e
DM = "diabetes-recorded-prevalence"
QUERY = f"i={DM}&at=ccg&from=2019%2F20&to=2019%2F20"
CLI = ["export", "--indicator", DM, "--area-type", "ccg", "--from", "2019/20", "--to", "2019/20"]


def _download(page, label: str, tmp_path, name: str) -> bytes:
    button = page.get_by_role("button", name=label)
    button.wait_for(timeout=30_000)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    target = tmp_path / name
    info.value.save_as(target)
    return target.read_bytes()


def test_csv_download_is_the_command_line_file(page, app_url, store, tmp_path):
    page.goto(f"{app_url}/download?{QUERY}&f=csv")
    wait_for_app(page)
    assert_no_exception(page)
    page.get_by_text("144 rows").first.wait_for(timeout=30_000)
    data = _download(page, "Download CSV (table only)", tmp_path, "page.csv")
    assert cli.main([*CLI, "--format", "csv", "-o", str(tmp_path / "cli.csv")]) == 0
    assert data == (tmp_path / "cli.csv").read_bytes()
    assert data.startswith(b"indicator_id,indicator,unit,area_code,area_name")
    meta = json.loads(_download(page, "Metadata (definitions, sources, licence) as JSON", tmp_path, "m.json"))
    assert meta["rows"] == 144 and meta["link"].startswith(app_url + "/download?i=diabetes-recorded-prevalence")
    assert not page.errors


def test_json_and_excel_downloads(page, app_url, store, tmp_path):
    page.goto(f"{app_url}/download?{QUERY}&f=json")
    wait_for_app(page)
    assert_no_exception(page)
    data = _download(page, "Download JSON", tmp_path, "page.json")
    meta = json.loads(data)["metadata"]
    base = "{0.scheme}://{0.netloc}".format(urlsplit(meta["link"]))
    out = tmp_path / "cli.json"
    assert cli.main([*CLI, "--format", "json", "-o", str(out), "--retrieved", meta["retrieved"],
                     "--base-url", base]) == 0
    assert data == out.read_bytes()  # same filter, same retrieval time: the same bytes
    page.get_by_text("Excel", exact=True).click()  # the format radio
    page.wait_for_url("**f=xlsx**", timeout=30_000)  # the address bar follows the choice
    wait_for_app(page)
    book = openpyxl.load_workbook(io.BytesIO(_download(page, "Download Excel", tmp_path, "page.xlsx")))
    assert book.sheetnames == ["Cover", "Contents", "Notes", "Definitions", "Sources", "Data"]
    assert book["Data"].max_row == 3 + 144
    assert_no_exception(page)
