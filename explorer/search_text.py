"""Text handling for catalogue search: folding, tokenising, light stemming, edit distance and
the thesaurus (search_terms.yaml). The same functions process the catalogue and the query, so
whatever one side does to a word the other does too.

Folding: lower case, accents dropped, "A and E" / "A & E" → "a&e", "aged 65 and over" / "over 65s"
→ "65+", "four" → "4", stop words dropped. Stemming is a light suffix stripper (plurals, then one
of -ing/-ed/-er, then a final -e) so "smokers", "smoking" and "smoke" all become "smok".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

THESAURUS_PATH = Path(__file__).with_name("search_terms.yaml")

STOPWORDS = frozenset({"a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "per", "by",
                       "with", "from", "as", "is", "are", "be", "been", "was", "who", "that", "this",
                       "these", "those", "its", "it", "into", "than", "how", "what", "which", "where",
                       "i", "me", "my", "we", "our", "you", "your", "do", "does", "any", "all", "about"})
NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twelve": "12",
                "eighteen": "18"}
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2014": "-", "\u2010": "-"})
_AE = re.compile(r"\ba\s*[&+]\s*e\b|\ba\s+and\s+e\b")
_AGE_PLUS = re.compile(r"\b(\d{1,3})\s*(?:\+|plus\b|(?:years?\s+)?(?:and|or)\s+(?:over|older)\b)")
_OVER_AGE = re.compile(r"\b(?:over|above)[\s-]+(\d{2})s?\b(?!\s*(?:hours?|weeks?|days?|minutes?|months?|%))")
_TOKEN = re.compile(r"[a-z0-9]+(?:[&'][a-z0-9]+)*\+?")


def words(text: str | None) -> list[str]:
    """Surface words of `text`, folded and without stop words: "A&E 4-hour" → ["a&e", "4", "hour"]."""
    if not text:
        return []
    text = str(text).lower().translate(_FOLD)
    if not text.isascii():   # "Ménière's" → "meniere's"
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = _OVER_AGE.sub(r" \1+ ", _AGE_PLUS.sub(r" \1+ ", _AE.sub(" a&e ", text)))
    out = []
    for token in _TOKEN.findall(text):
        token = NUMBER_WORDS.get(token, token)
        if token not in STOPWORDS:
            out.append(token)
    return out


def _strip(word: str, suffix: str) -> str | None:
    """`word` without `suffix` when a real stem (3+ letters with a vowel) is left, undoubled."""
    if not word.endswith(suffix) or len(word) < len(suffix) + 3:
        return None
    root = word[: -len(suffix)]
    if not any(v in root for v in "aeiouy"):
        return None
    if len(root) > 3 and root[-1] == root[-2] and root[-1] not in "aeiouylsz":
        root = root[:-1]    # "stopped" → "stop", but "falling" → "fall"
    return root


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """Light suffix stripping, identical for catalogue and query: plurals, -ing, -ed, -er, final -e."""
    w = word[:-2] if word.endswith("'s") else word
    w = w.replace("'", "")
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "ches", "shes", "xes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed", "er"):
        root = _strip(w, suffix) if len(w) >= 6 else None
        if root:
            w = root
            break
    if w.endswith("e") and len(w) >= 4:
        w = w[:-1]
    return w


def stems(text: str | None) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


def within_one_edit(a: str, b: str) -> bool:
    """Damerau–Levenshtein distance ≤ 1: one insertion, deletion, substitution or transposition."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def deletes(word: str) -> set[str]:
    """Every string one deletion away: two words within one edit share one of these (or each other)."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


# --- thesaurus ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expansion:
    key_text: str                      # as written in search_terms.yaml, for the "matched" note
    terms: tuple[tuple[tuple[str, ...], str], ...]   # (stems, text as written)


@lru_cache(maxsize=4)
def load_thesaurus(path: Path = THESAURUS_PATH) -> dict[tuple[str, ...], list[Expansion]]:
    """Key phrase stems → what it also finds. `same:` groups become one entry per member."""
    with Path(path).open(encoding="utf-8") as fh:
        entries = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or []
    found: dict[tuple[str, ...], list[Expansion]] = {}
    for n, entry in enumerate(entries, 1):
        pairs = ([(entry["same"], entry["same"])] if "same" in entry
                 else [(entry["ask"], entry["find"])] if "ask" in entry and "find" in entry else None)
        if not pairs:
            raise ValueError(f"{path}: entry {n} needs `same:` or both `ask:` and `find:`")
        for asks, finds in pairs:
            targets = [(stems(str(t)), str(t)) for t in finds]
            for key in asks:
                key_stems = stems(str(key))
                if key_stems:
                    terms = tuple(t for t in targets if t[0] and t[0] != key_stems)
                    found.setdefault(key_stems, []).append(Expansion(str(key), terms))
    return found
