"""Reading what a client sent: a JSON object body and query parameters, or a 400."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request

from api.errors import ApiError

_BRANCH_RE = re.compile(r"(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._+/-]{0,254}")


def json_object(*, allowed: frozenset[str], required: frozenset[str]) -> dict[str, Any]:
    """The body as a JSON object with only ``allowed`` keys and every ``required`` one."""
    try:
        body = json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(
            400, f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    missing = sorted(required - set(body))
    if missing:
        raise ApiError(400, f"missing field(s): {', '.join(missing)}")
    return body


def string_field(body: dict[str, Any], key: str) -> str:
    value = body[key]
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"{key}: expected a non-empty string, got {value!r}")
    return value


def branch_field(body: dict[str, Any]) -> str | None:
    if body.get("branch") is None:
        return None
    branch = string_field(body, "branch")
    if not _BRANCH_RE.fullmatch(branch):
        raise ApiError(400, f"branch: {branch!r} is not a valid branch name")
    return branch


def check_query(allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise ApiError(
            400, f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )


def int_param(name: str, default: int, *, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, f"{name}: expected a positive integer, got {raw!r}")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise ApiError(400, f"{name}: at most {maximum}, got {value}")
    return value


def values_param(name: str) -> list[str]:
    """Every value of a repeatable filter (``?state=wait&state=build``), none empty."""
    values = request.args.getlist(name)
    if any(not v for v in values):
        raise ApiError(400, f"{name}: expected a value")
    return values


def bool_param(name: str) -> bool:
    raw = request.args.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise ApiError(400, f"{name}: expected true or false, got {raw!r}")
    return raw in ("true", "1")
