"""Every view's state lives in the URL, read and written in one place.

Each page declares its parameters as data (`Param`: short stable key, name, help text, default),
reads them with `UrlState.pick`, which checks each value against the choices that exist *now*
(choices depend on earlier picks: an indicator's area types, its periods …) and falls back to
the default with a plain-English notice when a value is unknown or malformed, never an error.
`UrlState.query()` gives the canonical query string to write back (defaults omitted, lists joined
with '~' as Our World in Data does). No Streamlit here: pages pass `st.query_params.to_dict()`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

LIST_SEPARATOR = "~"
MAX_VALUE_LENGTH = 200  # longer values are not ids of anything we hold
SAFE = re.compile(r"^[\w\-./+ ,:()'&%~]*$", re.UNICODE)  # ~ joins list items


@dataclass(frozen=True)
class Param:
    key: str
    name: str
    help: str
    default: object = None
    many: bool = False
    max_items: int = 10


@dataclass
class UrlState:
    """Parses a query mapping param by param; collects notices for what it could not use."""

    raw: Mapping[str, object]
    values: dict[str, object] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    params: dict[str, Param] = field(default_factory=dict)

    def _raw_text(self, key: str) -> str | None:
        value = self.raw.get(key)
        if isinstance(value, list | tuple):  # repeated key (?i=a&i=b): the last one wins
            value = value[-1] if value else None
        return None if value is None else str(value)

    def pick(self, param: Param, choices: Sequence[object] | None = None,
             labels: Mapping[object, str] | None = None, default: object = None) -> object:
        """The param's value if valid among `choices` (None = any text), else the default."""
        self.params[param.key] = param
        fallback = default if default is not None else param.default
        text = self._raw_text(param.key)
        if text is None or text == "":
            return self._set(param, fallback if not param.many else list(fallback or []))
        if len(text) > MAX_VALUE_LENGTH * (param.max_items if param.many else 1) or not SAFE.match(text):
            return self._reject(param, text, fallback, "are not valid values" if param.many else "is not a valid value")
        if not param.many:
            if choices is not None and text not in {str(c) for c in choices}:
                return self._reject(param, text, fallback, "is not available here")
            chosen = _match(text, choices)
            return self._set(param, chosen)
        items = [t for t in text.split(LIST_SEPARATOR) if t]
        unique = list(dict.fromkeys(items))
        if len(unique) > param.max_items:
            self.notices.append(f"Only the first {param.max_items} {param.name} from the link are shown.")
            unique = unique[: param.max_items]
        if choices is not None:
            allowed = {str(c) for c in choices}
            unknown = [u for u in unique if u not in allowed]
            if unknown:
                shown = ", ".join(_short(u) for u in unknown[:3])
                self.notices.append(f"Some {param.name} in the link are not available here and were "
                                    f"left out: {shown}.")
            unique = [_match(u, choices) for u in unique if u in allowed]
        return self._set(param, unique)

    def _set(self, param: Param, value: object) -> object:
        self.values[param.key] = value
        return value

    def _reject(self, param: Param, text: str, fallback: object, why: str) -> object:
        self.notices.append(f"The {param.name} in the link ({_short(text)!r}) {why}; showing "
                            f"{_describe(fallback)} instead.")
        return self._set(param, fallback if not param.many else list(fallback or []))

    def set(self, key: str, value: object) -> None:
        self.values[key] = value

    def query(self) -> dict[str, str]:
        """The canonical query parameters for the current state (defaults left out)."""
        out: dict[str, str] = {}
        for key, value in self.values.items():
            param = self.params.get(key)
            if value is None or value == [] or (param and value == param.default):
                continue
            out[key] = LIST_SEPARATOR.join(map(str, value)) if isinstance(value, list) else str(value)
        return out

    def link(self, page_path: str) -> str:
        query = self.query()
        return f"/{page_path}" + (f"?{urlencode(query)}" if query else "")


def _match(text: str, choices: Sequence[object] | None) -> object:
    """Return the choice object (keeps ints as ints) equal to text."""
    if choices is None:
        return text
    for c in choices:
        if str(c) == text:
            return c
    return text


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(value: object) -> str:
    if value in (None, [], ""):
        return "the default"
    return f"{value!r}" if not isinstance(value, list) else "the default selection"
