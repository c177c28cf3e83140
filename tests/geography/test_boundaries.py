"""Simplified boundary files written from data/raw/boundaries_*."""

import json
import time

import pytest

from explorer.geography import boundaries


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("boundaries")
    start = time.perf_counter()
    index = boundaries.build_boundaries(out)
    return out, index, time.perf_counter() - start


def test_every_layer_written_small_and_fast(built):
    out, index, seconds = built
    got = {(t, v): n for t, v, n in index.select("area_type", "vintage", "features").iter_rows()}
    # England only: 296 LAD24 and 153 CTYUA23 of the UK-wide files;
    # 106 sub-ICBs in BNG (2022) and WGS84 (2023).
    assert got[("ltla", "2024")] == 296 and got[("utla", "2023")] == 153
    assert got[("sub_icb", "2022")] == 106 and got[("ccg", "2020")] == 135 and got[("icb", "2023")] == 42
    assert index["bytes"].max() <= 1_000_000
    assert seconds < 20


def test_properties_and_wgs84(built):
    out, _, _ = built
    data = json.loads((out / "sub_icb_2022.geojson").read_text())  # source file is EPSG:27700
    feature = data["features"][0]
    assert set(feature["properties"]) == {"area_code", "area_name"}
    assert feature["properties"]["area_code"].startswith("E38")
    ring = feature["geometry"]["coordinates"][0]
    point = ring[0] if isinstance(ring[0][0], float) else ring[0][0]
    assert -7 < point[0] < 2 and 49 < point[1] < 56
