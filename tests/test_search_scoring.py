"""Catalogue search's array arithmetic (explorer/search_scoring.py)."""

from __future__ import annotations

import numpy as np

from explorer import search_scoring as scoring

FIELDS = ("title", "synonym", "definition")


def test_runs_counts_a_sorted_array():
    values, counts = scoring.runs(np.array([3, 3, 5, 9, 9, 9]))
    assert values.tolist() == [3, 5, 9] and counts.tolist() == [2, 1, 3]
    assert scoring.runs(np.array([], dtype=np.int64))[0].size == 0


def test_alternatives_count_fully_then_half_then_a_quarter():
    scores = np.zeros(4)
    parts = [(np.array([0, 2]), np.array([1.0, 4.0]), "synonym: a → b"),
             (np.array([2, 3]), np.array([2.0, 8.0]), "synonym: a → c"),
             (np.array([2]), np.array([4.0]), "synonym: a → d")]
    docs, best, labels = scoring.add_group(scores, parts)
    assert scores.tolist() == [1.0, 0.0, 4.0 + 4.0 / 2 + 2.0 / 4, 8.0]
    assert docs.tolist() == [0, 2, 3] and best.tolist() == [1.0, 4.0, 8.0]
    assert labels.tolist() == ["synonym: a → b", "synonym: a → d", "synonym: a → c"]  # a tie: the greater label


def test_notes_name_two_distinct_reasons_words_first_then_fixes_then_thesaurus():
    ranked = np.array([5, 1, 7])
    plain = [(np.array([1, 5]), np.array([2.0, 1.0]), None, np.array([0, 2])),       # title / definition
             (np.array([1, 5, 7]), np.array([3.0, 1.0, 1.0]), "spelling: diabetis → diabetes",
              np.array([0, 0, 0])),
             (np.array([5]), np.array([9.0]), None, np.array([2]))]                   # definition again
    groups = [(np.array([1, 7]), np.array([5.0, 0.5]), np.array(["synonym: fat → obesity"] * 2, dtype=object))]
    assert scoring.notes(ranked, plain, groups, FIELDS) == [
        "definition; spelling: diabetis → diabetes",   # 5: the same field twice is named once
        "title; spelling: diabetis → diabetes",         # 1: words typed before fixes, whatever the score
        "spelling: diabetis → diabetes; synonym: fat → obesity",
    ]
