"""Catalogue search (explorer.search, explorer.search_text, explorer.search_cli).

Relevance runs on the real catalogue definitions gathered from explorer/sources/*.yaml. A query
whose expected indicator no source defines yet is skipped (not passed) and runs once the YAML
lands.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import statistics
import subprocess
import sys
import time

import polars as pl
import pytest
import yaml

from explorer import catalogue, cli, paths, search, search_cli
from explorer.search_text import THESAURUS_PATH, deletes, load_thesaurus, stem, stems, within_one_edit, words
from explorer.sources.base import load_meta

DEFINITIONS, YAML_PROBLEMS = search_cli.definitions_from_sources()
DEFINED = set(DEFINITIONS["indicator_id"])


@pytest.fixture(scope="module")
def defs() -> pl.DataFrame:
    return DEFINITIONS


def _needs(*ids: str):
    """Skip unless one of `ids` is defined; an id ending in '*' stands for any with that prefix."""
    def defined(i: str) -> bool:
        return any(d.startswith(i[:-1]) for d in DEFINED) if i.endswith("*") else i in DEFINED
    return pytest.mark.skipif(not any(defined(i) for i in ids),
                              reason=f"{' / '.join(ids)} not defined in explorer/sources/*.yaml yet")


def _top(frame: pl.DataFrame, query: str, n: int = 3) -> list[str]:
    return search.search(frame, query, limit=n)["indicator_id"].to_list()


def _hit(found: list[str], expected: tuple[str, ...]) -> bool:
    return any(f.startswith(e[:-1]) if e.endswith("*") else f == e for f in found for e in expected)


RELEVANCE = [
    ("fat", ("obesity-prevalence-adults", "obesity-recorded-prevalence")),
    ("sugar", ("diabetes-recorded-prevalence",)),
    ("A&E", ("ae-attendances", "ae-within-four-hours")),
    ("COPD", ("copd-recorded-prevalence",)),
    ("chronic obstructive pulmonary disease", ("copd-recorded-prevalence",)),
    ("blood pressure", ("hypertension-recorded-prevalence",)),
    ("smoking", ("smoking-prevalence-adults",)),
    ("life expectancy", ("healthy-life-expectancy",)),
    ("food poisoning", ("campylobacter-rate",)),
    # The RTT waiting list itself is not loaded (healthyr's `incomplete` double-counts pathways
    # with a decision to admit; see nhse_rtt.yaml), so "waiting list" must find the RTT series.
    ("talking therapies", ("iapt-*",)),
    ("deprivation", ("imd-average-score",)),
    ("blood thinners", ("anticoagulant-items",)),
    ("dementia", ("dementia-recorded-prevalence", "dementia-diagnosis-rate")),
    ("diabetis", ("diabetes-recorded-prevalence",)),
    # beyond the brief's list: plain words, spellings and forms people use
    ("waiting list", ("rtt-*",)),
    ("smokers", ("smoking-prevalence-adults",)),
    ("heart attack", ("coronary-heart-disease-recorded-prevalence",)),
    ("high blood pressure", ("hypertension-recorded-prevalence",)),
    ("a and e", ("ae-attendances", "ae-within-four-hours")),
    ("4-hour target", ("ae-within-four-hours", "ae-four-hour-breaches")),
    ("Alzheimer’s", ("dementia-recorded-prevalence", "dementia-diagnosis-rate")),
    ("self harm", ("self-harm-admissions",)),
    ("over 65s", ("population-65-plus-share",)),
    ("obesety", ("obesity-prevalence-adults", "obesity-recorded-prevalence")),
    ("warfarin", ("anticoagulant-items", "doac-share-of-anticoagulant-items")),
    ("care homes", ("asc-*",)),
    ("carers", ("asc-carer-quality-of-life",)),
    ("did not attend", ("gp-appointments-dna-rate",)),
    ("copd", ("copd-recorded-prevalence",)),
]


@pytest.mark.parametrize(("query", "expected"), [
    pytest.param(q, e, marks=_needs(*e), id=f"{q}->{'|'.join(e)}") for q, e in RELEVANCE])
def test_expected_indicator_in_top_three(defs, query, expected):
    found = _top(defs, query)
    assert _hit(found, expected), f"{query!r} gave {found}, expected one of {expected}"


def test_source_yamls_were_all_readable():
    # A side file the search fallback cannot read is a catalogue bug in that source.
    assert YAML_PROBLEMS == []
    assert len(DEFINED) >= 40


# --- text ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("A&E", ["a&e"]), ("A and E", ["a&e"]), ("a & e waits", ["a&e", "waits"]), ("A+E", ["a&e"]),
    ("4-hour", ["4", "hour"]), ("four hour", ["4", "hour"]),
    ("Four-hour standard", ["4", "hour", "standard"]),
    ("65+", ["65+"]), ("aged 65 and over", ["aged", "65+"]),
    ("people aged 65 or older", ["people", "aged", "65+"]),
    ("over 65s", ["65+"]), ("over 4 hours", ["over", "4", "hours"]),
    ("over 18 weeks", ["over", "18", "weeks"]),
    ("COPD", ["copd"]), ("Alzheimer’s", ["alzheimer's"]), ("Ménière", ["meniere"]),
    ("rate of the deaths", ["rate", "deaths"]), ("Under-75 mortality", ["under", "75", "mortality"]),
    ("", []), (None, []),
])
def test_words(text, expected):
    assert words(text) == expected


@pytest.mark.parametrize(("a", "b"), [
    ("deaths", "death"), ("smokers", "smoker"), ("smokers", "smoking"), ("smoke", "smoking"),
    ("therapies", "therapy"), ("disabilities", "disability"), ("alzheimer's", "alzheimers"),
    ("admissions", "admission"), ("stopped", "stop"), ("recorded", "record"), ("nurses", "nursing"),
    ("diseases", "disease"), ("pressures", "pressure"), ("cancers", "cancer"), ("waiting", "waits"),
])
def test_stem_joins_forms(a, b):
    assert stem(a) == stem(b)


@pytest.mark.parametrize(("a", "b"), [("death", "dementia"), ("diabetes", "diabetic"), ("care", "cancer"),
                                      ("falling", "fal")])
def test_stem_keeps_different_words_apart(a, b):
    assert stem(a) != stem(b)


@pytest.mark.parametrize("word", ["a&e", "65+", "copd", "gp", "diagnosis", "analysis", "falls"[:4]])
def test_stem_leaves_short_and_special_words(word):
    assert stem(word) == word


@pytest.mark.parametrize(("a", "b", "close"), [
    ("diabetis", "diabetes", True), ("diabtes", "diabetes", True), ("diabetess", "diabetes", True),
    ("dementai", "dementia", True), ("smokng", "smoking", True), ("obesety", "obesity", True),
    ("diabetes", "diabetes", True), ("hypertenshun", "hypertension", False), ("dibetis", "diabetes", False),
    ("stroke", "strokes!!", False), ("abcd", "badc", False),
])
def test_within_one_edit(a, b, close):
    assert within_one_edit(a, b) is close
    assert within_one_edit(b, a) is close


def test_deletes_meet_for_words_one_edit_apart():
    for a, b in [("diabetis", "diabetes"), ("dementai", "dementia"), ("smokng", "smoking")]:
        assert (deletes(a) | {a}) & (deletes(b) | {b})


def test_typo_correction_rules(defs):
    index = search.index_for(defs)
    assert index.correct("diabetis") == "diabetes"
    assert index.correct("smokng") == "smoking"
    assert index.correct("hypertenshun") is None          # two edits away: not guessed
    assert index.correct("diabetes") is None              # known words are left alone
    assert index.correct("obes") is None                  # under five letters: no typo tolerance
    assert index.correct("thinners") is None              # part of a thesaurus phrase


def test_partial_word_completes(defs):
    found = search.search(defs, "diab", limit=3)
    assert found["indicator_id"][0] == "diabetes-recorded-prevalence"
    assert found["matched"][0].startswith("partial word: diab")


# --- thesaurus ----------------------------------------------------------------------------------
def test_thesaurus_file_is_well_formed():
    with THESAURUS_PATH.open(encoding="utf-8") as fh:
        entries = yaml.safe_load(fh)
    for n, entry in enumerate(entries, 1):
        assert ("same" in entry) != ("ask" in entry), f"entry {n}: one of same/ask"
        assert ("ask" in entry) == ("find" in entry), f"entry {n}: ask needs find"
        for key in ("same", "ask", "find"):
            assert all(isinstance(v, str | int) and str(v).strip() for v in entry.get(key, [])), n
    thesaurus = load_thesaurus()
    for key, expansions in thesaurus.items():
        for expansion in expansions:
            assert all(target != key for target, _ in expansion.terms)   # never expands to itself


@pytest.mark.parametrize(("typed", "finds"), [
    ("fat", "obesity"), ("sugar", "diabetes"), ("A&E", "emergency department"),
    ("COPD", "chronic obstructive pulmonary disease"), ("chronic obstructive pulmonary disease", "COPD"),
    ("heart attack", "CHD"), ("stroke", "STIA"), ("blood pressure", "hypertension"),
    ("waiting list", "RTT"), ("talking therapies", "IAPT"), ("GP", "general practice"),
    ("poverty", "IMD"), ("blood thinners", "DOAC"), ("blood thinners", "warfarin"),
    ("jabs", "vaccination"), ("food poisoning", "campylobacter"), ("drinking", "alcohol"),
    ("smokers", "cigarettes"), ("Alzheimer's", "dementia"), ("deaths", "mortality"),
    ("carers", "unpaid carers"), ("care homes", "social care"), ("life expectancy", "HLE"),
])
def test_thesaurus_links(typed, finds):
    expansions = load_thesaurus().get(tuple(stem(w) for w in words(typed)), [])
    targets = {tuple(stem(w) for w in words(text)) for e in expansions for _, text in e.terms}
    assert tuple(stem(w) for w in words(finds)) in targets


# --- ranking behaviour --------------------------------------------------------------------------
def _frame(rows: list[dict]) -> pl.DataFrame:
    base = {"short_title": None, "definition": "", "synonyms": [], "topic": "lifestyle"}
    return pl.DataFrame([{**base, **r} for r in rows])


def test_ties_break_by_title_then_id():
    frame = _frame([{"indicator_id": "z-one", "title": "Widget rate"},
                    {"indicator_id": "b-two", "title": "Widget rate"},
                    {"indicator_id": "a-three", "title": "Widget rate"}])
    first = search.SearchIndex.from_catalogue(frame).search("widget")
    assert first["indicator_id"].to_list() == ["a-three", "b-two", "z-one"]
    assert len(set(first["score"])) == 1


def test_title_beats_definition_and_exact_phrase_wins(defs):
    frame = _frame([{"indicator_id": "in-definition", "title": "Something else",
                     "definition": "Counts heart failure among other things."},
                    {"indicator_id": "in-title", "title": "Heart failure prevalence"},
                    {"indicator_id": "words-apart", "title": "Failure of the heart valve"}])
    ids = search.SearchIndex.from_catalogue(frame).search("heart failure")["indicator_id"].to_list()
    assert ids[0] == "in-title"
    assert ids.index("words-apart") < ids.index("in-definition") or "in-definition" not in ids
    assert _top(defs, "heart failure", 1) == ["heart-failure-recorded-prevalence"]


def test_matched_says_why(defs):
    assert search.search(defs, "fat", limit=1)["matched"][0].startswith("synonym: fat → ")
    assert "spelling: diabetis → diabetes" in search.search(defs, "diabetis", limit=1)["matched"][0]
    assert search.search(defs, "COPD", limit=1)["matched"][0].split(";")[0] in ("title", "synonym",
                                                                               "short title")


def test_output_columns_and_types(defs):
    found = search.search(defs, "diabetes")
    assert found.schema == pl.Schema(search.OUTPUT_SCHEMA)
    assert found["score"].is_sorted(descending=True)
    assert found.height <= 20
    assert search.search(defs, "zzqx qqzz").schema == pl.Schema(search.OUTPUT_SCHEMA)
    assert search.search(defs, "zzqx qqzz").is_empty()


def test_bare_definitions_work_without_coverage_columns():
    metas = [load_meta(p) for p in sorted(paths.SOURCES_DIR.glob("*.yaml"))[:3]]
    bare = catalogue.definitions(metas)
    assert "producers" not in bare.columns
    found = search.search(bare, bare["title"][0], limit=5)
    assert found["indicator_id"][0] == bare["indicator_id"][0]
    assert found["producers"][0].to_list() == []
    with pytest.raises(ValueError, match="area_type"):
        search.search(bare, "x", area_type="ccg")


def _scores_by_loop(frame: pl.DataFrame, phrase: tuple[str, ...]) -> dict[int, tuple[float, str]]:
    """BM25F of one word or phrase, document by document and field by field: what the index's
    array arithmetic must reproduce exactly."""
    topic_text = {t["id"]: f"{t['title']} {t.get('description', '')}" for t in catalogue.topics()}
    fields, lengths = [], []
    for row in frame.to_dicts():
        texts = {"title": [row.get("title")], "short title": [row.get("short_title")],
                 "synonym": list(row.get("synonyms") or []), "id": [row["indicator_id"].replace("-", " ")],
                 "topic": [topic_text.get(row.get("topic"), row.get("topic"))],
                 "producer": list(row.get("producers") or []), "definition": [row.get("definition")]}
        positions, length = {}, {}
        for name, items in texts.items():
            at, position = {}, 0
            for item in items:
                item_stems = [stem(w) for w in words(item)]
                for offset, s in enumerate(item_stems):
                    at.setdefault(s, set()).add(position + offset)
                position += len(item_stems) + search.LIST_GAP
                length[name] = length.get(name, 0) + len(item_stems)
            positions[name] = at
        fields.append(positions)
        lengths.append(length)
    average = {n: max(1.0, sum(ln.get(n, 0) for ln in lengths) / len(lengths)) for n in search.FIELDS}
    found = {}
    for doc, positions in enumerate(fields):
        total, best, best_field = 0.0, 0.0, ""
        for name, (weight, b) in search.FIELDS.items():
            at = positions[name]
            tf = sum(all(p + k in at.get(s, ()) for k, s in enumerate(phrase)) for p in at.get(phrase[0], ()))
            if tf:
                part = weight * tf / (1 - b + b * lengths[doc].get(name, 0) / average[name])
                total += part
                if part > best:
                    best, best_field = part, name
        if total:
            found[doc] = (total, best_field)
    idf = math.log(1 + (len(fields) - len(found) + 0.5) / (len(found) + 0.5))
    return {d: (idf * w * (search.K1 + 1) / (search.K1 + w), f) for d, (w, f) in found.items()}


def test_array_scores_equal_the_document_by_document_sum(defs):
    index = search.SearchIndex.from_catalogue(defs)
    phrases = [(stem("diabetes"),), (stem("health"),), (stem("rate"),), stems("blood pressure"),
               stems("mental health"), stems("life expectancy at birth"), (stem("zzqx"),)]
    for phrase in phrases:
        docs, scores, best = index._term_scores(search._Term(phrase, 1.0, frozenset({0}), None))
        expected = _scores_by_loop(defs, phrase)
        assert docs.tolist() == sorted(expected), phrase
        assert scores.tolist() == [expected[d][0] for d in sorted(expected)], phrase  # to the last bit
        assert [list(search.FIELDS)[f] for f in best.tolist()] == [expected[d][1] for d in sorted(expected)]


def test_empty_query_lists_everything_by_topic_then_title(defs):
    everything = search.search(defs, "   ", limit=5)
    assert everything.height == defs.height
    keys = list(zip(everything["topic"], everything["title"].str.to_lowercase(), strict=True))
    assert keys == sorted(keys)
    assert (everything["score"] == 0).all()
    assert search.search(defs, "the of", limit=5).height == defs.height   # only stop words


def test_filters(defs):
    only = search.search(defs, "rate", topic="mental-health", limit=50)
    assert set(only["topic"]) == {"mental-health"}
    nhsd = search.search(defs, "", producer="nhs digital")
    assert nhsd.height and all("NHS Digital" in p for p in nhsd["producers"].to_list())
    ons = search.search(defs, "", producer="ONS")["producers"].to_list()
    assert ons and all(any(re.search(r"\bONS\b", p) for p in ps) for ps in ons)   # not "House of Commons"


def test_area_type_and_period_filters_on_a_built_catalogue():
    frame = _frame([
        {"indicator_id": "old-ccg", "title": "Widget rate", "producers": ["NHS Digital"],
         "area_types": ["ccg"], "latest_period": "2014/15",
         "first_period_start": dt.date(2013, 4, 1), "last_period_end": dt.date(2015, 3, 31)},
        {"indicator_id": "new-icb", "title": "Widget count", "producers": ["NHS England"],
         "area_types": ["icb", "england"], "latest_period": "Feb 2025",
         "first_period_start": dt.date(2022, 4, 1), "last_period_end": dt.date(2025, 2, 28)}])
    index = search.SearchIndex.from_catalogue(frame)
    assert index.search("widget", area_type="icb")["indicator_id"].to_list() == ["new-icb"]
    assert index.search("widget", covers_period="2014/15")["indicator_id"].to_list() == ["old-ccg"]
    assert index.search("widget", covers_period="Apr 2023")["indicator_id"].to_list() == ["new-icb"]
    assert index.search("widget", covers_period=dt.date(2019, 1, 1)).is_empty()
    assert index.search("", covers_period=(dt.date(2014, 1, 1), dt.date(2023, 1, 1))).height == 2
    assert index.search("widget", producer="england")["latest_period"].to_list() == ["Feb 2025"]
    with pytest.raises(ValueError, match="not a period"):
        index.search("widget", covers_period="sometime")


D = dt.date


@pytest.mark.parametrize(("label", "start", "end"), [
    ("2019/20", D(2019, 4, 1), D(2020, 3, 31)), ("2019", D(2019, 1, 1), D(2019, 12, 31)),
    ("2018-20", D(2018, 1, 1), D(2020, 12, 31)), ("Apr 2022", D(2022, 4, 1), D(2022, 4, 30)),
    ("2022-04", D(2022, 4, 1), D(2022, 4, 30)), ("2022-04-15", D(2022, 4, 15), D(2022, 4, 15)),
])
def test_period_range(label, start, end):
    assert search.period_range(label) == (start, end)


def test_empty_catalogue():
    empty = search.search(DEFINITIONS.clear(), "diabetes")
    assert empty.is_empty() and empty.schema == pl.Schema(search.OUTPUT_SCHEMA)


def test_index_is_cached_per_frame(defs):
    assert search.index_for(defs) is search.index_for(defs)
    copy = defs.clone()
    assert search.index_for(copy) is not search.index_for(defs)


def test_search_is_fast(defs):
    index = search.index_for(defs)
    queries = ["fat", "A&E", "blood pressure", "talking therapies", "diabetis", "heart attack deaths",
               "chronic obstructive pulmonary disease", "mental health"]
    for q in queries:
        index.search(q)
    timings = []
    for _ in range(15):
        for q in queries:
            start = time.perf_counter()
            index.search(q)
            timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.005, f"median {statistics.median(timings) * 1000:.2f} ms"


# --- command line -------------------------------------------------------------------------------
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
