"""Field checks that record a reason instead of raising, so one pass finds every problem.

Every check takes the field path and the raw value (always str, list or dict after the
string-only loader) and returns the converted value, or None after recording why not.
Callers keep going with None: later checks then simply skip what depends on it.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Iterable
from typing import Any

# Fedora package naming: letters, digits and - . _ + ; a leading letter or digit keeps
# names from looking like options or hidden files. Module names follow the same rule
# because they are dist-git repository names too.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
# Streams are dist-git branch names that end up in koji NVRs and in name:stream pairs.
STREAM_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
ARCH_RE = re.compile(r"[A-Za-z0-9_]+")
CONTEXT_RE = re.compile(r"[A-Za-z0-9_]{1,13}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
INT_RE = re.compile(r"[-+]?[0-9]+")
UINT64_MAX = 2**64 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_TRUE, _FALSE = {"true", "True", "TRUE"}, {"false", "False", "FALSE"}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Reasons:
    """Collects "path: problem" sentences for one document."""

    def __init__(self, duplicates: dict[int, list[tuple[str, int]]] | None = None):
        self.items: list[str] = []
        self._duplicates = dict(duplicates or {})

    def add(self, path: str, problem: str) -> None:
        # An empty path is the document's top level, where the problem speaks for itself.
        self.items.append(f"{path}: {problem}" if path else problem)

    def leftover_duplicates(self) -> list[str]:
        """Duplicate keys inside mappings no check looked at (e.g. deep inside xmd)."""
        return [
            f"line {line}: duplicate key {key!r} (YAML keys must be unique)"
            for dups in self._duplicates.values()
            for key, line in dups
        ]

    def mapping(
        self,
        path: str,
        value: Any,
        *,
        allowed: Iterable[str] | None = None,
        required: Iterable[str] = (),
    ) -> dict | None:
        """A mapping; with ``allowed``, every other key is reported as unknown."""
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping, not {_kind(value)}")
            return None
        for key, line in self._duplicates.pop(id(value), []):
            self.add(path, f"duplicate key {key!r} on line {line} (each key may appear once)")
        if allowed is not None:
            known = sorted(allowed)
            for key in value:
                if key not in known:
                    hint = difflib.get_close_matches(key, known, n=1)
                    extra = f"; did you mean {hint[0]!r}?" if hint else ""
                    self.add(join(path, key), f"unknown field{extra}")
        for key in required:
            if key not in value:
                self.add(join(path, key), "missing (mandatory)")
        return value

    def string(self, path: str, value: Any) -> str | None:
        """A non-empty string (an empty YAML value arrives as "")."""
        if not isinstance(value, str):
            self.add(path, f"must be a string, not {_kind(value)}")
            return None
        if not value.strip():
            self.add(path, "must not be empty")
            return None
        return value

    def matching(self, path: str, value: Any, pattern: re.Pattern[str], what: str) -> str | None:
        text = self.string(path, value)
        if text is not None and not pattern.fullmatch(text):
            self.add(path, f"{_show(text)} is not a valid {what}")
            return None
        return text

    def name(self, path: str, value: Any, what: str = "name") -> str | None:
        return self.matching(path, value, NAME_RE, f"{what} (letters, digits and - . _ + only)")

    def stream(self, path: str, value: Any) -> str | None:
        return self.matching(
            path, value, STREAM_RE, "stream name (letters, digits and - . _ + only)"
        )

    def integer(self, path: str, value: Any, low: int, high: int) -> int | None:
        if not isinstance(value, str) or not INT_RE.fullmatch(value):
            self.add(path, f"must be an integer, not {_show(value)}")
            return None
        number = int(value)
        if not low <= number <= high:
            self.add(path, f"{number} is out of range [{low}, {high}]")
            return None
        return number

    def unsigned(self, path: str, value: Any) -> int | None:
        return self.integer(path, value, 0, UINT64_MAX)

    def boolean(self, path: str, value: Any) -> bool | None:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        self.add(path, f"must be true or false, not {_show(value)}")
        return None

    def date(self, path: str, value: Any) -> datetime.date | None:
        text = self.string(path, value)
        if text is None:
            return None
        try:
            if not DATE_RE.fullmatch(text):
                raise ValueError(text)
            return datetime.date.fromisoformat(text)
        except ValueError:
            self.add(path, f"{_show(text)} is not a date (YYYY-MM-DD)")
            return None

    def strings(
        self, path: str, value: Any, *, item: str = "string", allow_empty_list: bool = True
    ) -> tuple[str, ...] | None:
        """A list of non-empty strings without repeats; ``item`` picks a charset check."""
        if not isinstance(value, list):
            self.add(path, f"must be a list, not {_kind(value)}")
            return None
        if not value and not allow_empty_list:
            self.add(path, "must list at least one entry")
            return None
        checker = {
            "string": self.string,
            "name": self.name,
            "arch": lambda p, v: self.matching(p, v, ARCH_RE, "architecture"),
        }[item]
        result: list[str] = []
        for index, entry in enumerate(value):
            checked = checker(f"{path}[{index}]", entry)
            if checked is None:
                continue
            if checked in result:
                self.add(path, f"lists {checked!r} more than once")
                continue
            result.append(checked)
        return tuple(result) if len(result) == len(value) else None


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value == "":
        return "an empty value"
    return f"the string {_show(value)}"
