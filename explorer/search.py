"""Catalogue search: the words people type in, the indicators they mean out. No Streamlit here.

`SearchIndex.from_catalogue(frame)` builds an inverted index once over each indicator's title,
short title, synonyms, id, topic, producers and definition; `.search(query)` ranks with BM25F
(BM25 with per-field weights: a word in the title counts for more than one in the definition).
On top of the words typed it adds the thesaurus in search_terms.yaml (plain words → the terms
indicator metadata uses: "fat" → obesity), corrects one typo in words of five letters or more,
completes partial words, and rewards the whole query appearing as a phrase or as an exact
synonym. `search(frame, query)` wraps it with a small cache keyed on the frame object.
Tokenising, stemming and the thesaurus live in explorer/search_text.py.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from explorer import catalogue, periods
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
    base: pl.DataFrame                 # output columns, one row per indicator, in doc order
    postings: dict[str, dict[int, dict[str, set[int]]]]
    norms: list[dict[str, float]]
    whole: list[set[tuple[str, ...]]]  # whole-field phrases for the exact bonus
    topics: list[str]
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

    @classmethod
    def from_catalogue(cls, frame: pl.DataFrame, thesaurus_path: Path = THESAURUS_PATH) -> SearchIndex:
        """Index a built catalogue (indicators.parquet) or bare definitions (catalogue.definitions)."""
        rows = frame.to_dicts()
        topic_text = {t["id"]: f"{t['title']} {t.get('description', '')}" for t in catalogue.topics()}
        postings: dict[str, dict[int, dict[str, set[int]]]] = {}
        lengths: list[dict[str, int]] = []
        whole: list[set[tuple[str, ...]]] = []
        vocabulary: dict[str, str] = {}
        for doc, row in enumerate(rows):
            texts = {"title": [row.get("title")], "short title": [row.get("short_title")],
                     "synonym": list(row.get("synonyms") or []),
                     "id": [str(row.get("indicator_id", "")).replace("-", " ")],
                     "topic": [topic_text.get(row.get("topic"), str(row.get("topic", "")).replace("-", " "))],
                     "producer": list(row.get("producers") or []), "definition": [row.get("definition")]}
            lengths.append({})
            whole.append(set())
            for name, items in texts.items():
                position = 0
                for item in items:
                    item_words = words(item)
                    item_stems = tuple(stem(w) for w in item_words)
                    vocabulary.update(zip(item_words, item_stems, strict=True))
                    for offset, s in enumerate(item_stems):
                        postings.setdefault(s, {}).setdefault(doc, {}).setdefault(name, set()).add(
                            position + offset)
                    position += len(item_stems) + LIST_GAP
                    lengths[-1][name] = lengths[-1].get(name, 0) + len(item_stems)
                    if name in ("title", "short title", "synonym", "id") and item_stems:
                        whole[-1].add(item_stems)
        averages = {name: max(1.0, sum(ln.get(name, 0) for ln in lengths) / max(1, len(lengths)))
                    for name in FIELDS}
        norms = [{name: 1 - b + b * ln.get(name, 0) / averages[name] for name, (_, b) in FIELDS.items()}
                 for ln in lengths]
        index = cls(base=_base_frame(frame), postings=postings, norms=norms, whole=whole,
                    topics=[r.get("topic") or "" for r in rows],
                    sort_keys=[(r.get("topic") or "", (r.get("title") or "").casefold(), r["indicator_id"])
                               for r in rows],
                    producers=[list(r.get("producers") or []) for r in rows],
                    area_types=[list(r.get("area_types") or []) for r in rows],
                    coverage=[(r.get("first_period_start"), r.get("last_period_end")) for r in rows],
                    thesaurus=load_thesaurus(thesaurus_path), columns=frozenset(frame.columns))
        index._build_spelling(vocabulary)
        return index

    def _build_spelling(self, vocabulary: dict[str, str]) -> None:
        """Words a typo can be corrected to: the catalogue's words and the thesaurus's."""
        self.thesaurus_stems = frozenset(s for key in self.thesaurus for s in key)
        for key_stems, expansions in self.thesaurus.items():
            for text in [e.key_text for e in expansions]:
                vocabulary.update(zip(words(text), key_stems, strict=False))
        self.vocabulary = {w: s for w, s in vocabulary.items() if len(w) >= 4 and w.isalpha()}
        self.surface_df = {w: len(self.postings.get(s, ())) for w, s in self.vocabulary.items()}
        for w in self.vocabulary:
            for key in deletes(w) | {w}:
                self.by_deletion.setdefault(key, set()).add(w)
        self.sorted_words = sorted(self.vocabulary)

    # --- query ----------------------------------------------------------------------------------
    def _known(self, word: str) -> bool:
        """In the catalogue or in a thesaurus phrase ("thinners" of "blood thinners"): not a typo."""
        s = stem(word)
        return s in self.postings or s in self.thesaurus_stems

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

    def _term_scores(self, term: _Term) -> dict[int, tuple[float, str]]:
        """BM25F score of one word or phrase per document, with the field it counted most in."""
        lists = [self.postings.get(s) for s in term.stems]
        if not all(lists):
            return {}
        docs = set(lists[0]).intersection(*lists[1:]) if len(lists) > 1 else lists[0].keys()
        weighted: dict[int, tuple[float, str]] = {}
        for doc in docs:
            total, best, best_field = 0.0, 0.0, ""
            for name, positions in lists[0][doc].items():
                if len(lists) == 1:
                    tf = len(positions)
                else:
                    later = [lst[doc].get(name) for lst in lists[1:]]
                    tf = 0 if not all(later) else sum(
                        all(p + k in later[k - 1] for k in range(1, len(lists))) for p in positions)
                if tf:
                    part = FIELDS[name][0] * tf / self.norms[doc][name]
                    total += part
                    if part > best:
                        best, best_field = part, name
            if total:
                weighted[doc] = (total, best_field)
        idf = math.log(1 + (len(self.norms) - len(weighted) + 0.5) / (len(weighted) + 0.5))
        return {doc: (idf * w * (K1 + 1) / (K1 + w), name) for doc, (w, name) in weighted.items()}

    def search(self, query: str | None, limit: int | None = 20, topic=None, producer=None,
               area_type=None, covers_period=None) -> pl.DataFrame:
        """Ranked matches (score high → low, ties by title then id). An empty query lists every
        indicator passing the filters, by topic then title, whatever `limit` says."""
        allowed = self._filter(topic, producer, area_type, covers_period)
        typed = words(query)[:MAX_QUERY_WORDS]
        if not typed:
            order = sorted(allowed, key=lambda d: self.sort_keys[d])
            return self._frame(order, [0.0] * len(order), [""] * len(order))
        terms, query_stems = self._terms(typed)
        scores: dict[int, float] = {}
        notes: dict[int, list[tuple[float, str]]] = {}
        covered: dict[int, set[int]] = {}
        grouped: dict[str, dict[int, list[tuple[float, str]]]] = {}
        for term in terms:
            for doc, (score, name) in self._term_scores(term).items():
                if doc not in allowed:
                    continue
                label = term.label or name
                if term.group:
                    grouped.setdefault(term.group, {}).setdefault(doc, []).append(
                        (score * term.weight, label))
                else:
                    scores[doc] = scores.get(doc, 0.0) + score * term.weight
                    notes.setdefault(doc, []).append((score * term.weight, label))
                covered.setdefault(doc, set()).update(term.covers)
        for per_doc in grouped.values():   # alternatives: best counts fully, the rest decay
            for doc, parts in per_doc.items():
                parts.sort(reverse=True)
                scores[doc] = scores.get(doc, 0.0) + sum(s * 0.5 ** k for k, (s, _) in enumerate(parts))
                notes.setdefault(doc, []).append(parts[0])
        for doc in list(scores):
            if query_stems in self.whole[doc]:
                scores[doc] += EXACT_BONUS
            scores[doc] = round(scores[doc] * len(covered[doc]) / len(typed), 4)
        floor = max(scores.values(), default=0.0) * RELATIVE_FLOOR
        ranked = sorted((d for d in scores if scores[d] > 0 and scores[d] >= floor),
                        key=lambda d: (-scores[d], self.sort_keys[d][1], self.sort_keys[d][2]))
        ranked = ranked[:limit] if limit else ranked
        return self._frame(ranked, [scores[d] for d in ranked], [_note(notes[d]) for d in ranked])

    def _filter(self, topic, producer, area_type, covers_period) -> set[int]:
        docs = set(range(len(self.norms)))
        if topic:
            wanted = _as_set(topic)
            docs = {d for d in docs if self.topics[d] in wanted}
        if producer:
            self._require("producers", "producer")
            # Word edges by lookaround, not \b: a name ending in ")" ("OHID (Fingertips)") has no \b after it.
            patterns = [re.compile(rf"(?<!\w){re.escape(p)}(?!\w)", re.IGNORECASE) for p in _as_set(producer)]
            docs = {d for d in docs if any(p.search(name) for p in patterns for name in self.producers[d])}
        if area_type:
            self._require("area_types", "area_type")
            wanted = _as_set(area_type)
            docs = {d for d in docs if wanted & set(self.area_types[d])}
        if covers_period:
            self._require("first_period_start", "covers_period")
            start, end = period_range(covers_period)
            docs = {d for d in docs if self.coverage[d][0] and self.coverage[d][1]
                    and _as_date(self.coverage[d][0]) <= end and _as_date(self.coverage[d][1]) >= start}
        return docs

    def _require(self, column: str, option: str) -> None:
        if column not in self.columns:
            raise ValueError(f"cannot filter by {option}: the catalogue has no {column} column "
                             "(build the store for coverage columns)")

    def _frame(self, docs: list[int], scores: list[float], notes: list[str]) -> pl.DataFrame:
        out = self.base[docs] if docs else self.base.clear()
        return out.hstack([pl.Series("score", scores, pl.Float64), pl.Series("matched", notes, pl.String)])


def _note(parts: list[tuple[float, str]]) -> str:
    """Why it matched: two distinct reasons, strongest first within each kind, the words as typed
    (a field name) before spelling or partial-word fixes before the thesaurus: "title; synonym:
    fat → obesity", "spelling: diabetis → diabetes; synonym"."""
    def kind(label: str) -> int:
        return 0 if ":" not in label else 1 if label.startswith(("spelling", "partial")) else 2

    seen: list[str] = []
    for _, label in sorted(parts, key=lambda p: (kind(p[1]), -p[0])):
        if label not in seen:
            seen.append(label)
    return "; ".join(seen[:2])


def _base_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The output columns, with empty stand-ins when the frame is bare definitions."""
    defaults = {"producers": pl.lit([], pl.List(pl.String)), "latest_period": pl.lit(None, pl.String),
                "area_types": pl.lit([], pl.List(pl.String))}
    names = ("indicator_id", "title", "producers", "topic", "latest_period", "area_types")
    return frame.select(pl.col(c).cast(OUTPUT_SCHEMA[c]) if c in frame.columns else defaults[c].alias(c)
                        for c in names)


def _as_set(value) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def period_range(value) -> tuple[dt.date, dt.date]:
    """A date, a (start, end) pair or a period label ('2019/20', '2019', '2018-20', 'Apr 2022')."""
    if isinstance(value, dt.date):
        return _as_date(value), _as_date(value)
    if isinstance(value, tuple | list) and len(value) == 2:
        return _as_date(value[0]), _as_date(value[1])
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = periods.parse_date(text)
        return day, day
    attempts = [("financial_year", None), ("calendar_year", None), ("pooled_years", 10), ("month", None)]
    for kind, max_years in attempts:
        try:
            found = periods.parse(text, kind)
        except (periods.PeriodError, ValueError):
            continue
        if max_years is None or found.end.year - found.start.year < max_years:
            return found.start, found.end
    raise ValueError(f"{value!r} is not a period like 2019/20, 2019, 2018-20 or Apr 2022")


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
        return index


def search(indicators: pl.DataFrame, query: str | None, limit: int | None = 20, topic=None,
           producer=None, area_type=None, covers_period=None) -> pl.DataFrame:
    """Indicators matching `query`, best first: indicator_id, title, producers, topic,
    latest_period, area_types, score, matched. Filters take a value or a list of values;
    `producer` matches whole words ("OHID" finds "OHID (Fingertips)")."""
    return index_for(indicators).search(query, limit=limit, topic=topic, producer=producer,
                                        area_type=area_type, covers_period=covers_period)


__all__ = ["SearchIndex", "index_for", "load_thesaurus", "period_range", "search", "stem", "stems",
           "within_one_edit", "words"]
