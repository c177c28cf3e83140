"""nhse_rtt on the real healthyr RTT-by-STP file, plus corrupted copies."""

import datetime as dt

import pytest

from explorer.sources import nhse_rtt as step
from explorer.sources.base import SourceError
from tests.sources.helpers import one, run_on_text, run_step

HEADER = '"stp20_nhs_code","date","year","month","completed","incomplete","new"\n'


@pytest.fixture(scope="module")
def result():
    return run_step(step)



def run_on(tmp_path, text):
    return run_on_text(step, tmp_path, "h/rtt.csv", text)


def test_row_accounting(result):
    _, rejects, reports = result
    row = reports.row(0, named=True)
    # All 42 STP codes map to a July 2022 ICB: nothing rejected.
    assert (row["rows_read"], row["rows_loaded"], row["rows_rejected"]) == (2478, 2478, 0)
    assert rejects.height == 0


def test_values_and_code_mapping(result):
    values, _, _ = result
    # Line 2: "QE1",2020-04-01,2020,"Apr",14922,134220,14582 (QE1 = Lancashire and South Cumbria).
    done = one(values, indicator_id="rtt-completed-pathways", original_area_code="QE1", period="Apr 2020")
    assert done["value"] == 14922 and done["area_code"] == "E54000048" and done["area_type"] == "icb"
    assert (done["period_start"], done["period_end"]) == (dt.date(2020, 4, 1), dt.date(2020, 4, 30))
    assert done["original_period"] == "2020-04-01"
    new = one(values, indicator_id="rtt-new-pathways", original_area_code="QE1", period="Apr 2020")
    assert new["value"] == 14582
    # Line 3: "QF7" (South Yorkshire) → E54000061, 20076 completed.
    assert one(values, indicator_id="rtt-completed-pathways", original_area_code="QF7",
               period="Apr 2020")["area_code"] == "E54000061"


def test_incomplete_column_is_not_loaded(result):
    values, _, _ = result
    # healthyr double counts pathways with a decision to admit in `incomplete` (see YAML).
    assert set(values["indicator_id"].unique()) == {"rtt-completed-pathways", "rtt-new-pathways"}
    assert 134220 not in values["value"].to_list()
    assert values["period"].n_unique() == 59 and values["area_code"].n_unique() == 42


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    text = (HEADER + '"QE1",2020-04-01,2020,"Apr",10,20,30\n'
            '"QZZ",2020-04-01,2020,"Apr",10,20,30\n'      # no ICB with this ODS code
            '"QF7",2020-04-01,2021,"May",10,20,30\n'      # date, year and month disagree
            '"QGH",2020-04-01,2020,"Apr",ten,20,30\n')    # not a number
    values, rejects, reports = run_on(tmp_path, text)
    reasons = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
    assert reasons == {3: "STP code QZZ has no July 2022 ICB with the same ODS code",
                       4: "date, year and month disagree",
                       5: "a count holds text that is not a number"}
    assert reports.row(0, named=True)["rows_loaded"] == 1 and values.height == 2


def test_missing_column_stops_the_build(tmp_path):
    with pytest.raises(SourceError, match=r"missing column\(s\) \['new'\]"):
        run_on(tmp_path, '"stp20_nhs_code","date","year","month","completed","incomplete"\n')
