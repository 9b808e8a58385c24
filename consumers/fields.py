"""Field readers for message bodies: each failure is an ``Invalid`` with a precise reason."""

from __future__ import annotations

import re
from typing import Any

from conveyor.errors import Invalid

# dist-git names: what Fedora's package naming guidelines and pagure allow.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,254}")
# A git branch name (git check-ref-format): no "..", "//", "/." , trailing "/" or ".lock".
BRANCH_RE = re.compile(
    r"(?!.*\.\.)(?!.*//)(?!.*/\.)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._/+-]{0,254}(?<![/.])"
)
COMMIT_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
USER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@/-]{0,254}")
MAX_TEXT = 1024


def mapping(body: Any, key: str, where: str = "body") -> dict:
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise Invalid(f"{where}.{key}: expected an object, got {_show(value)}")
    return value


def text(body: dict, key: str, pattern: re.Pattern[str] | None = None, where: str = "body") -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise Invalid(f"{where}.{key}: expected a non-empty string, got {_show(value)}")
    if pattern is not None and not pattern.fullmatch(value):
        raise Invalid(f"{where}.{key}: {_show(value)} is not a valid {key}")
    if len(value) > MAX_TEXT:
        raise Invalid(f"{where}.{key}: longer than {MAX_TEXT} characters")
    return value


def optional_text(
    body: dict, key: str, pattern: re.Pattern[str] | None = None, where: str = "body"
) -> str | None:
    if body.get(key) is None:
        return None
    return text(body, key, pattern, where)


def integer(body: dict, key: str, where: str = "body") -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{where}.{key}: expected an integer, got {_show(value)}")
    return value


def optional_integer(body: dict, key: str, where: str = "body") -> int | None:
    if body.get(key) is None:
        return None
    return integer(body, key, where)


def _show(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."
