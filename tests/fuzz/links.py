"""Hostile links for the URL fuzz tests: query strings built the way a browser sends them and read
the way Streamlit reads them (parse_qs, the last of a repeated key wins in to_dict()).

Values mix what a page holds (real ids, so deep states are reached) with unknown ids, script and
markup, markdown links, huge '~' lists, very long text, unicode (right-to-left marks, emoji,
combining marks, NUL) and blank values; keys mix the page's own with unknown ones, repeated.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode

from hypothesis import strategies as st

from explorer.state import LIST_SEPARATOR, MAX_VALUE_LENGTH, SAFE

HOSTILE = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg/onload=alert(1)>",
    "javascript:alert(1)", "[click here](https://evil.example/login)", "![x](https://evil.example/t.png)",
    "https://evil.example/phish", "www.evil.example", "=HYPERLINK(\"http://x\")", "'; DROP TABLE values; --",
    "../../etc/passwd", "/etc/passwd", "data/store/values.parquet", "%00", "\x00", "\u202egnp.exe",
    "Ω≈ç√∫˜µ≤≥÷", "😀" * 20, "e\u0301" * 30, "$x^2$", "**bold**", "`code`", "{{7*7}}", "${7*7}",
    "None", "null", "undefined", "NaN", "-1", "0", "1e309", "9" * 400, " ", "~", "~~~", "E38000006 ",
    "e38000006", "E92000001~E92000001~E92000001",
]
UNKNOWN_ID = st.from_regex(r"[a-z][a-z0-9\-]{0,30}", fullmatch=True)
ANY_TEXT = st.text(max_size=60)


def value_strategy(known: list[str]) -> st.SearchStrategy[str]:
    valid = st.sampled_from(known) if known else st.just("")
    pieces = st.one_of(valid, UNKNOWN_ID, st.sampled_from(HOSTILE))
    return st.one_of(
        valid, valid, valid,  # weighted so deep, valid states are reached as well as broken ones
        UNKNOWN_ID,
        st.sampled_from(HOSTILE),
        ANY_TEXT,
        st.lists(pieces, min_size=2, max_size=40).map(LIST_SEPARATOR.join),
        st.integers(min_value=50, max_value=3000).map(lambda n: "E38000006~" * n),  # huge list
        st.integers(min_value=201, max_value=20000).map(lambda n: "x" * n),  # huge value
        st.just(""),
    )


def query_strategy(known: dict[str, list[str]]) -> st.SearchStrategy[dict[str, str]]:
    """A query mapping as st.query_params.to_dict() gives it for a generated query string.
    (Strategies are built once per key: a flatmap would rebuild and revalidate them per draw.)"""
    others = st.one_of(st.sampled_from(["x", "utm_source", "embed", "", "i[]", "i", "a", "q"]), st.text(max_size=8))
    pairs = [st.tuples(st.just(k), value_strategy(v)) for k, v in sorted(known.items())]
    pairs.append(st.tuples(others, value_strategy([])))
    return st.lists(st.one_of(pairs), max_size=9).map(as_streamlit_reads)


def as_streamlit_reads(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Encode as a browser would, then parse as Streamlit does (keep blanks, last value wins;
    Streamlit hides its own embed keys)."""
    parsed = parse_qs(urlencode(pairs), keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items() if k.lower() not in ("embed", "embed_options")}


def hostile(value: object) -> bool:
    """True when a link value is one UrlState must refuse (so a notice must say so)."""
    text = str(value)
    return bool(text) and (len(text) > MAX_VALUE_LENGTH * 20 or not SAFE.match(text))


def notices_ok(notices: list[str]) -> None:
    for notice in notices:
        assert isinstance(notice, str) and notice.strip(), f"empty notice in {notices}"
        assert "Traceback" not in notice and not re.search(r"\bError\b", notice), notice
