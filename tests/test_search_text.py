"""Text handling for catalogue search (explorer.search_text): folding and tokenising, stemming,
edit distance for typos, and the thesaurus file."""

from __future__ import annotations

import pytest
import yaml

from explorer.search_text import THESAURUS_PATH, deletes, load_thesaurus, stem, within_one_edit, words


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
