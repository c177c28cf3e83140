"""Catalogue search: the words people type in, the indicators they mean out. No Streamlit here.

`SearchIndex.from_catalogue(frame)` builds an inverted index once over each indicator's title,
short title, synonyms, id, topic, producers and definition; `.search(query)` ranks with BM25F
(BM25 with per-field weights: a word in the title counts for more than one in the definition).
On top of the words typed it adds the thesaurus in search_terms.yaml (plain words → the terms
indicator metadata uses: "fat" → obesity), corrects one typo in words of five letters or more,
completes partial words, and rewards the whole query appearing as a phrase or as an exact
synonym. `search(frame, query)` wraps it with a small cache keyed on the frame object.
Tokenising, stemming and the thesaurus live in explorer/search_text.py, the filters (topic,
producer, area type, period covered) in explorer/search_filters.py.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from explorer import catalogue, search_filters
from explorer import search_scoring as scoring
from explorer.search_text import THESAURUS_PATH, deletes, load_thesaurus, stem, stems, within_one_edit, words

# Field → (weight, BM25 length normalisation b). Titles decide; definitions only nudge.
FIELDS = {"title": (3.0, 0.5), "short title": (2.0, 0.5), "synonym": (2.0, 0.3), "id": (1.0, 0.3),
          "topic": (0.4, 0.3), "producer": (0.5, 0.0), "definition": (0.8, 0.75)}
K1 = 1.2
EXPANSION_WEIGHT = 0.7   # thesaurus terms count for less than the words typed
TYPO_WEIGHT = 0.8
PREFIX_WEIGHT = 0.6
EXACT_BONUS = 3.0        # the whole query is an indicator's title, short title, synonym or id
MAX_QUERY_WORDS = 30     # a pasted paragraph is cut here; phrase lookups grow with its square
RELATIVE_FLOOR = 0.12    # drop matches under 12% of the best score: stray topic-blurb hits
LIST_GAP = 10            # position gap between list items so a phrase never spans two synonyms
N_FIELDS = len(FIELDS)
WEIGHTS = np.array([w for w, _ in FIELDS.values()])
POSITION_BITS = 24       # a word's position within its field (the longest definition is a few hundred words)
_NO_TERM = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64))

OUTPUT_SCHEMA = {"indicator_id": pl.String, "title": pl.String, "producers": pl.List(pl.String),
                 "topic": pl.String, "latest_period": pl.String, "area_types": pl.List(pl.String),
                 "score": pl.Float64, "matched": pl.String}

# --- index --------------------------------------------------------------------------------------
@dataclass
class _Term:
    stems: tuple[str, ...]
    weight: float
    covers: frozenset[int]             # which query words this term stands for
    label: str | None                  # None: name the field it matched in
    group: str | None = None           # alternatives (thesaurus key, prefix) share a group


@dataclass
class SearchIndex:
    """The catalogue as arrays: each stem's occurrences are one sorted int64 array of
    (document, field, position) keys, so scoring a word or a phrase over every indicator is a few
    numpy operations rather than a Python loop per indicator."""

    base: pl.DataFrame                 # output columns, one row per indicator, in doc order
    occurrences: dict[str, np.ndarray]  # stem → sorted keys ((doc * N_FIELDS + field) << POSITION_BITS) | position
    doc_freq: dict[str, int]           # stem → how many documents hold it
    norms: np.ndarray                  # (documents, fields): BM25 length normalisation
    whole: dict[tuple[str, ...], np.ndarray]  # whole-field phrase → documents (for the exact bonus)
    topics: list[str]
    title_rank: np.ndarray             # documents' order by (title folded, id): ties in score
    sort_keys: list[tuple[str, str, str]]
    producers: list[list[str]]
    area_types: list[list[str]]
    coverage: list[tuple[dt.date | None, dt.date | None]]
    vocabulary: dict[str, str] = field(default_factory=dict)     # surface word → stem
    surface_df: dict[str, int] = field(default_factory=dict)
    by_deletion: dict[str, set[str]] = field(default_factory=dict)   # deletion variant → words
    sorted_words: list[str] = field(default_factory=list)
    thesaurus: dict = field(default_factory=dict)
    thesaurus_stems: frozenset[str] = frozenset()
    columns: frozenset[str] = frozenset()
    listing: list[int] = field(default_factory=list)   # every document by topic, title, id (empty query)
    single: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)  # word → scores
    phrases: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def from_catalogue(cls, frame: pl.DataFrame, thesaurus_path: Path = THESAURUS_PATH) -> SearchIndex:
        """Index a built catalogue (indicators.parquet) or bare definitions (catalogue.definitions)."""
        rows = frame.to_dicts()
        topic_text = {t["id"]: f"{t['title']} {t.get('description', '')}" for t in catalogue.topics()}
        keys: dict[str, list[int]] = {}
        lengths = np.zeros((len(rows), N_FIELDS))
        whole: dict[tuple[str, ...], list[int]] = {}
        vocabulary: dict[str, str] = {}
        tokens: dict[str | None, tuple[list[str], tuple[str, ...]]] = {}  # texts repeat (topic blurbs)
        for doc, row in enumerate(rows):
            texts = {"title": [row.get("title")], "short title": [row.get("short_title")],
                     "synonym": list(row.get("synonyms") or []),
                     "id": [str(row.get("indicator_id", "")).replace("-", " ")],
                     "topic": [topic_text.get(row.get("topic"), str(row.get("topic", "")).replace("-", " "))],
                     "producer": list(row.get("producers") or []), "definition": [row.get("definition")]}
            for f, (name, items) in enumerate(texts.items()):  # FIELDS order
                slot = (doc * N_FIELDS + f) << POSITION_BITS
                position = 0
                for item in items:
                    if item not in tokens:
                        item_words = words(item)
                        tokens[item] = (item_words, tuple(stem(w) for w in item_words))
                        vocabulary.update(zip(*tokens[item], strict=True))
                    item_stems = tokens[item][1]
                    for offset, s in enumerate(item_stems):
                        keys.setdefault(s, []).append(slot | (position + offset))
                    position += len(item_stems) + LIST_GAP
                    lengths[doc, f] += len(item_stems)
                    if name in ("title", "short title", "synonym", "id") and item_stems:
                        docs = whole.setdefault(item_stems, [])
                        if not docs or docs[-1] != doc:
                            docs.append(doc)
        occurrences = {s: np.unique(np.array(k, dtype=np.int64)) for s, k in keys.items()}
        averages = np.maximum(1.0, lengths.sum(axis=0) / max(1, len(rows)))
        b = np.array([b for _, b in FIELDS.values()])
        order = sorted(range(len(rows)), key=lambda d: ((rows[d].get("title") or "").casefold(),
                                                        rows[d]["indicator_id"]))
        title_rank = np.empty(len(rows), dtype=np.int64)
        title_rank[order] = np.arange(len(rows))
        index = cls(base=_base_frame(frame), occurrences=occurrences,
                    doc_freq={s: len(np.unique(k >> POSITION_BITS) // N_FIELDS) for s, k in occurrences.items()},
                    norms=1 - b + b * lengths / averages,
                    whole={k: np.array(v, dtype=np.int64) for k, v in whole.items()},
                    topics=[r.get("topic") or "" for r in rows], title_rank=title_rank,
                    sort_keys=[(r.get("topic") or "", (r.get("title") or "").casefold(), r["indicator_id"])
                               for r in rows],
                    producers=[list(r.get("producers") or []) for r in rows],
                    area_types=[list(r.get("area_types") or []) for r in rows],
                    coverage=[(r.get("first_period_start"), r.get("last_period_end")) for r in rows],
                    thesaurus=load_thesaurus(thesaurus_path), columns=frozenset(frame.columns))
        index.listing = sorted(range(len(rows)), key=lambda d: index.sort_keys[d])
        index._score_every_word()
        index._build_spelling(vocabulary)
        return index

    def _build_spelling(self, vocabulary: dict[str, str]) -> None:
        """Words a typo can be corrected to: the catalogue's words and the thesaurus's."""
        self.thesaurus_stems = frozenset(s for key in self.thesaurus for s in key)
        for key_stems, expansions in self.thesaurus.items():
            for text in [e.key_text for e in expansions]:
                vocabulary.update(zip(words(text), key_stems, strict=False))
        self.vocabulary = {w: s for w, s in vocabulary.items() if len(w) >= 4 and w.isalpha()}
        self.surface_df = {w: self.doc_freq.get(s, 0) for w, s in self.vocabulary.items()}
        for w in self.vocabulary:
            for key in deletes(w) | {w}:
                self.by_deletion.setdefault(key, set()).add(w)
        self.sorted_words = sorted(self.vocabulary)

    # --- query ----------------------------------------------------------------------------------
    def _known(self, word: str) -> bool:
        """In the catalogue or in a thesaurus phrase ("thinners" of "blood thinners"): not a typo."""
        s = stem(word)
        return s in self.occurrences or s in self.thesaurus_stems

    def correct(self, word: str) -> str | None:
        """The likeliest word one edit away from an unknown `word` of 5+ letters, else None."""
        if len(word) < 5 or not word.isalpha() or self._known(word):
            return None
        candidates = set().union(*(self.by_deletion.get(k, set()) for k in deletes(word) | {word}))
        close = [c for c in candidates if c != word and within_one_edit(word, c)]
        if not close:
            return None
        return min(close, key=lambda c: (-self.surface_df.get(c, 0), c))

    def _completions(self, word: str) -> list[str]:
        """Stems of catalogue words that start with an unknown `word` of 4+ letters."""
        if len(word) < 4 or self._known(word):
            return []
        found: dict[str, int] = {}
        i = bisect_left(self.sorted_words, word)
        while i < len(self.sorted_words) and self.sorted_words[i].startswith(word):
            s = self.vocabulary[self.sorted_words[i]]
            found[s] = max(found.get(s, 0), self.surface_df.get(self.sorted_words[i], 0))
            i += 1
        return sorted(found, key=lambda s: (-found[s], s))[:5]

    def _terms(self, typed: list[str]) -> tuple[list[_Term], tuple[str, ...]]:
        terms: dict[tuple[str, ...], _Term] = {}

        def add(term: _Term) -> None:   # one term per stems: the strongest reason, all words covered
            old = terms.get(term.stems)
            if old is not None:
                keep = term if term.weight > old.weight else old
                term = _Term(keep.stems, keep.weight, term.covers | old.covers, keep.label, keep.group)
            terms[term.stems] = term

        query: list[str] = []
        for i, word in enumerate(typed):
            fixed = self.correct(word)
            if fixed:
                query.append(stem(fixed))
                add(_Term((stem(fixed),), TYPO_WEIGHT, frozenset({i}), f"spelling: {word} → {fixed}"))
                continue
            query.append(stem(word))
            add(_Term((stem(word),), 1.0, frozenset({i}), None))
            for s in self._completions(word):
                add(_Term((s,), PREFIX_WEIGHT, frozenset({i}), f"partial word: {word}…", group=f"prefix{i}"))
        if len(query) > 1:
            add(_Term(tuple(query), 1.0, frozenset(range(len(query))), None))
        for start in range(len(query)):
            for end in range(len(query), start, -1):
                for n, expansion in enumerate(self.thesaurus.get(tuple(query[start:end]), [])):
                    for target, text in expansion.terms:
                        add(_Term(target, EXPANSION_WEIGHT, frozenset(range(start, end)),
                                  f"synonym: {expansion.key_text} → {text}", group=f"{start}:{end}:{n}"))
        return list(terms.values()), tuple(query)

    def _term_scores(self, term: _Term) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """BM25F score of one word or phrase per document holding it: (documents ascending,
        scores, the field each counted most in, as an index into FIELDS). A word's are looked up
        (`single`, worked out for every word when the index is built); a phrase's are worked out."""
        known = self.single.get(term.stems[0], _NO_TERM) if len(term.stems) == 1 else self.phrases.get(term.stems)
        if known is not None:
            return known
        hits = self._phrase_hits(term.stems)
        _, docs, scores, best = self._scores(hits, np.zeros(hits.size, dtype=np.int64))
        return docs, scores, best

    def _phrase_hits(self, phrase: tuple[str, ...]) -> np.ndarray:
        """Occurrences of a phrase's first word that the others follow, in the same field."""
        arrays = [self.occurrences.get(s) for s in phrase]
        if any(a is None for a in arrays):
            return _NO_TERM[0]
        hits = arrays[0]
        for k, later in enumerate(arrays[1:], 1):  # the phrase goes on k words later, same field
            hits = hits[np.isin(hits + k, later, assume_unique=True)]
        return hits

    def _scores(self, hits: np.ndarray, term_of: np.ndarray):
        """BM25F of many terms at once from their occurrences (`hits`, ascending within each
        term; `term_of` ascending): (term, document, score, best field) per term and document."""
        n_docs, n_slots = len(self.norms), len(self.norms) * N_FIELDS
        cells, tf = scoring.runs(term_of * n_slots + (hits >> POSITION_BITS))
        term_slot, slot = np.divmod(cells, n_slots)
        doc_of, field_of = np.divmod(slot, N_FIELDS)
        groups, per_group = scoring.runs(term_slot * n_docs + doc_of)
        row = np.repeat(np.arange(groups.size), per_group)
        parts = np.zeros((groups.size, N_FIELDS))
        parts[row, field_of] = WEIGHTS[field_of] * tf / self.norms[doc_of, field_of]
        total = np.zeros(groups.size)
        for f in range(N_FIELDS):   # field by field, as a sum over the fields in order would add
            total = total + parts[:, f]
        term, doc = np.divmod(groups, n_docs)
        _, df = scoring.runs(term)
        idf = np.repeat([math.log(1 + (n_docs - d + 0.5) / (d + 0.5)) for d in df.tolist()], df)
        return term, doc, idf * total * (K1 + 1) / (K1 + total), parts.argmax(axis=1)

    def _score_every_word(self) -> None:
        """`single` and `phrases`: the scores of each word and of each phrase the thesaurus can
        add to a query, from one pass over their occurrences."""
        phrases = sorted({t for exps in self.thesaurus.values() for e in exps for t, _ in e.terms if len(t) > 1})
        terms = [(s,) for s in self.occurrences] + phrases
        hits = [self.occurrences[t[0]] if len(t) == 1 else self._phrase_hits(t) for t in terms]
        if not terms:
            return
        term, docs, scores, best = self._scores(np.concatenate(hits),
                                                np.repeat(np.arange(len(terms)), [h.size for h in hits]))
        present, counts = scoring.runs(term)
        ends = dict(zip(present.tolist(), np.cumsum(counts).tolist(), strict=True))
        start = 0
        for n, t in enumerate(terms):
            end = ends.get(n, start)
            found = (docs[start:end], scores[start:end], best[start:end])
            if len(t) == 1:
                self.single[t[0]] = found
            else:
                self.phrases[t] = found
            start = end

    def search(self, query: str | None, limit: int | None = 20, topic=None, producer=None,
               area_type=None, covers_period=None) -> pl.DataFrame:
        """Ranked matches (score high → low, ties by title then id). An empty query lists every
        indicator passing the filters, by topic then title, whatever `limit` says."""
        allowed_docs = search_filters.allowed_documents(self, topic, producer, area_type, covers_period)
        typed = words(query)[:MAX_QUERY_WORDS]
        if not typed:
            order = [d for d in self.listing if d in allowed_docs]
            return self._frame(order, [0.0] * len(order), [""] * len(order))
        allowed = np.zeros(len(self.norms), dtype=bool)
        allowed[list(allowed_docs)] = True
        terms, query_stems = self._terms(typed)
        scores = np.zeros(len(self.norms))
        matched = np.zeros(len(self.norms), dtype=bool)
        covered = np.zeros(len(self.norms), dtype=np.int64)   # bit i: query word i is covered
        notes: list[tuple[np.ndarray, np.ndarray, str | None, np.ndarray]] = []
        grouped: dict[str, list[tuple[np.ndarray, np.ndarray, str | None, np.ndarray]]] = {}
        for term in terms:
            docs, score, best = self._term_scores(term)
            keep = allowed[docs]
            docs, score, best = docs[keep], score[keep] * term.weight, best[keep]
            if not docs.size:
                continue
            if term.group:
                grouped.setdefault(term.group, []).append((docs, score, term.label, best))
            else:
                scores[docs] = scores[docs] + score
                notes.append((docs, score, term.label, best))
            covered[docs] |= sum(1 << i for i in term.covers)
            matched[docs] = True
        group_best = [scoring.add_group(scores, parts) for parts in grouped.values()]  # alternatives
        hits = np.flatnonzero(matched)
        if not hits.size:
            return self._frame([], [], [])
        exact = self.whole.get(query_stems)
        if exact is not None:
            bonus = exact[matched[exact]]
            scores[bonus] = scores[bonus] + EXACT_BONUS
        n_covered = np.zeros(hits.size, dtype=np.int64)
        for i in range(len(typed)):
            n_covered += (covered[hits] >> i) & 1
        final = [round(s * c / len(typed), 4) for s, c in zip(scores[hits].tolist(), n_covered.tolist(),
                                                              strict=True)]
        final_arr = np.array(final)
        floor = final_arr.max() * RELATIVE_FLOOR
        keep = (final_arr > 0) & (final_arr >= floor)
        hits, final_arr = hits[keep], final_arr[keep]
        order = np.lexsort((self.title_rank[hits], -final_arr))
        ranked = hits[order][:limit] if limit else hits[order]
        scored = final_arr[order][:len(ranked)].tolist()
        return self._frame(ranked.tolist(), scored, scoring.notes(ranked, notes, group_best, FIELDS))

    def _frame(self, docs: list[int], scores: list[float], notes: list[str]) -> pl.DataFrame:
        out = self.base[docs] if docs else self.base.clear()
        return out.hstack([pl.Series("score", scores, pl.Float64), pl.Series("matched", notes, pl.String)])


def _base_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The output columns, with empty stand-ins when the frame is bare definitions."""
    defaults = {"producers": pl.lit([], pl.List(pl.String)), "latest_period": pl.lit(None, pl.String),
                "area_types": pl.lit([], pl.List(pl.String))}
    names = ("indicator_id", "title", "producers", "topic", "latest_period", "area_types")
    return frame.select(pl.col(c).cast(OUTPUT_SCHEMA[c]) if c in frame.columns else defaults[c].alias(c)
                        for c in names)


# --- cached entry point -------------------------------------------------------------------------
_CACHE: OrderedDict[int, tuple[pl.DataFrame, SearchIndex]] = OrderedDict()
_CACHE_SIZE = 4
_CACHE_LOCK = threading.Lock()   # Streamlit runs sessions in threads


def index_for(indicators: pl.DataFrame) -> SearchIndex:
    """The index of this frame object, built once. The cache holds the frame, so its id cannot be
    reused by another frame while the entry lives."""
    key = id(indicators)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is indicators:
            _CACHE.move_to_end(key)
            return hit[1]
        index = SearchIndex.from_catalogue(indicators)
        _CACHE[key] = (indicators, index)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    from explorer.queries.memo import settle  # the index lives as long as the catalogue

    settle("search-index")
    return index


def search(indicators: pl.DataFrame, query: str | None, limit: int | None = 20, topic=None,
           producer=None, area_type=None, covers_period=None) -> pl.DataFrame:
    """Indicators matching `query`, best first: indicator_id, title, producers, topic,
    latest_period, area_types, score, matched. Filters take a value or a list of values;
    `producer` matches whole words ("OHID" finds "OHID (Fingertips)")."""
    return index_for(indicators).search(query, limit=limit, topic=topic, producer=producer,
                                        area_type=area_type, covers_period=covers_period)


__all__ = ["SearchIndex", "index_for", "load_thesaurus", "search", "stem", "stems", "within_one_edit", "words"]
