"""URL fuzzing through the real pages: a sample of generated links per page run with AppTest.

The 500-links-per-page run goes through each page's pure state function (test_url_fuzz.py); this
runs 25 links per page through the whole page script (widgets, charts, tables, downloads), so
whatever the page does with a state it accepted is exercised too. Every page in app.py's
registry is covered, About included. Each run must end without an exception reaching the user,
and a link value no id can contain (markup, a script) must produce a notice saying the link was
not understood. About 25 runs x 11 pages x 0.2-1 s.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from streamlit.testing.v1 import AppTest

from explorer import paths
from tests.fuzz import links

REGISTERED = re.findall(r'st\.Page\("(pages/[\w/]+\.py)"', (paths.ROOT / "app.py").read_text())
# The link keys each page reads on every run (a hostile value in one of them must be noticed),
# and real values so the sample reaches deep states.
PAGE_KEYS: dict[str, dict[str, list[str]]] = {
    "home": {"q": ["diabetes", "fat"]},
    "explore": {"i": ["diabetes-recorded-prevalence", "ae-attendances", "campylobacter-rate"],
                "at": ["ccg", "icb", "utla"], "p": ["2019/20", "2018/19"], "a": ["E38000006", "E54000008"],
                "bm": ["england", "parent"], "c": ["comparison", "quintile", "value"], "v": ["ranked", "funnel"]},
    "area": {"a": ["E38000006", "E54000008", "E10000002", "02P"], "b": ["england", "parent", "peers"],
             "v": ["profile", "attention", "peers", "funnel", "compare"]},
    "trends": {"i": ["ae-attendances", "ae-within-four-hours", "deaths-weekly-all-causes"],
               "a": ["E92000001", "E54000008"], "v": ["spc", "forecast", "seasonal"], "h": ["6", "12"]},
    "indicators": {"t": ["long-term-conditions", "lifestyle"], "pr": ["ONS", "NHS Digital"],
                   "at": ["ccg", "utla"], "from": ["2015"], "to": ["2020"]},
    "indicator": {"i": ["diabetes-recorded-prevalence", "healthy-life-expectancy"]},
    "coherence": {"i": ["healthy-life-expectancy", "smoking-prevalence-adults"], "p": ["2018 - 20"]},
    "download": {"i": ["diabetes-recorded-prevalence", "ae-attendances"], "at": ["ccg", "icb"],
                 "f": ["csv", "xlsx", "zip"], "cols": ["value~ci95"]},
    "about": {},
    "releases": {"s": ["nhsd_qof"], "per": ["2018/19", "2017/18"], "i": ["diabetes-recorded-prevalence"]},
    "producers": {"pr": ["ONS", "NHS Digital", "MHCLG"]},
}
SAMPLE = settings(derandomize=True, deadline=None, database=None, max_examples=25,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.function_scoped_fixture])


def test_every_registered_page_is_sampled():
    assert {p.removeprefix("pages/").removesuffix(".py") for p in REGISTERED} == set(PAGE_KEYS)


@pytest.mark.parametrize("page", sorted(PAGE_KEYS))
def test_page_survives_generated_links(store, page):
    keys = PAGE_KEYS[page]

    @SAMPLE
    @given(raw=links.query_strategy(keys))
    def check(raw):
        at = AppTest.from_file(str(paths.ROOT / "pages" / f"{page}.py"), default_timeout=120)
        for key, value in raw.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, f"{page}?{raw}: {[e.message for e in at.exception]}"
        hostile = [k for k in keys if k in raw and links.hostile(raw[k])]
        if hostile:
            notices = [i.value for i in at.info if "in the link" in i.value]
            assert notices, f"{page}?{raw}: no notice for {hostile}"

    check()
