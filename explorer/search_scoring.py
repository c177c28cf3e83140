"""Catalogue search's array arithmetic (explorer.search): per-document sums of a term's
alternatives, and the "matched" note of many documents at once. No Streamlit here."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs (np.unique without its sort)."""
    if not ordered.size:
        return ordered, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, ordered.size))


def kind(label: str) -> int:
    """Why a document matched, in the order a note gives reasons: the words as typed (a field
    name), then spelling or partial-word fixes, then the thesaurus. A note names two distinct
    reasons, strongest first within each kind: "title; synonym: fat → obesity"."""
    return 0 if ":" not in label else 1 if label.startswith(("spelling", "partial")) else 2


def add_group(scores: np.ndarray, parts: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add a group of alternatives (a thesaurus key's targets, a word's completions) to
    `scores`: per document the best counts fully, the next half, then a quarter …. Returns
    each document's best part for the note: (documents, score, label), ties to the greater label."""
    docs = np.unique(np.concatenate([p[0] for p in parts]))
    # Group terms always carry a label (SearchIndex._terms): ties in score go to the greater one.
    by_label = sorted(range(len(parts)), key=lambda k: parts[k][2], reverse=True)
    table = np.zeros((docs.size, len(parts)))
    for column, k in enumerate(by_label):
        table[np.searchsorted(docs, parts[k][0]), column] = parts[k][1]
    ordered = -np.sort(-table, axis=1)
    added = np.zeros(docs.size)
    for k in range(len(parts)):
        added = added + ordered[:, k] * 0.5 ** k
    scores[docs] = scores[docs] + added
    best = table.argmax(axis=1)
    labels = np.array([parts[k][2] for k in by_label], dtype=object)
    return docs, table[np.arange(docs.size), best], labels[best]


def notes(ranked: np.ndarray, plain: list, group_best: list, fields: Iterable[str]) -> list[str]:
    """Why each ranked document matched (see `kind`), for all of them at once: its reasons are its
    plain terms' (in term order, each a term label or the field it counted most in), then each
    group's best, sorted by kind then score; the first two distinct ones are named."""
    label_ids: dict[str, int] = {}

    def label_id(text: str) -> int:
        return label_ids.setdefault(text, len(label_ids))

    field_ids = np.array([label_id(name) for name in fields])
    reasons = [(docs, score, np.full(docs.size, label_id(label)) if label else field_ids[best])
               for docs, score, label, best in plain]
    reasons += [(docs, score, np.array([label_id(t) for t in best.tolist()], dtype=np.int64))
                for docs, score, best in group_best]
    values, labels = [], []
    for docs, score, reason in reasons:
        at = np.minimum(np.searchsorted(docs, ranked), docs.size - 1)
        hit = docs[at] == ranked
        value, ids = np.zeros(ranked.size), np.full(ranked.size, -1)
        value[hit], ids[hit] = score[at[hit]], reason[at[hit]]
        values.append(value)
        labels.append(ids)
    value, ids = np.column_stack(values), np.column_stack(labels)
    texts = list(label_ids)
    kinds = np.array([kind(t) for t in texts] + [9])   # index -1: no reason from this term
    ranks = kinds[ids]
    position = np.broadcast_to(np.arange(ids.shape[1]), ids.shape)
    order = np.lexsort((position, -value, ranks), axis=1)
    ids, ranks = np.take_along_axis(ids, order, 1), np.take_along_axis(ranks, order, 1)
    first = ids[:, 0]
    other = (ids != first[:, None]) & (ranks < 9)
    second = np.where(other.any(axis=1), ids[np.arange(ids.shape[0]), other.argmax(axis=1)], -1)
    return [texts[a] if b < 0 else f"{texts[a]}; {texts[b]}"
            for a, b in zip(first.tolist(), second.tolist(), strict=True)]
