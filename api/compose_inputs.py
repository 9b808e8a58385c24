"""An ODCS ``POST /api/1/composes/`` body, read into a ``ComposeRequest`` or a 400.

Accepted, with ODCS's meanings: ``source: {type, source, packages, builds,
sigkeys, arches, koji_event}`` (``koji_event`` for tag composes: the tag as it
was at that event), ``seconds_to_live`` (or the older ``seconds-to-live``;
clamped to the maximum, as ODCS does), ``flags``, ``arches``, ``label``,
``compose_type``, ``results`` (only ``repository``) and ``target_dir`` (only
``default``). ODCS fields Conveyor cannot honour (``modular_koji_tags``,
multilib, lookaside repos, scratch builds, ...) are refused with a 400 naming
them, never silently ignored.
"""

from __future__ import annotations

from typing import Any

from api.errors import ApiError
from conveyor.composes.service import ComposeRequest
from conveyor.settings import Settings
from models.compose import SOURCE_TYPE_CODES

SOURCE_FIELDS = frozenset(
    {"type", "source", "packages", "builds", "sigkeys", "arches", "koji_event"}
)
MAX_KOJI_EVENT = 2**63 - 1
TOP_FIELDS = frozenset(
    {
        "source", "seconds_to_live", "seconds-to-live", "flags", "arches", "label",
        "compose_type", "results", "target_dir",
    }
)  # fmt: skip
MAX_ITEMS = 1000


def compose_request(body: Any, owner: str, settings: Settings) -> ComposeRequest:
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    _refuse_unknown(body, TOP_FIELDS, "")
    source = body.get("source")
    if not isinstance(source, dict):
        raise ApiError(400, f"Invalid source configuration provided: {_show(source)}")
    _refuse_unknown(source, SOURCE_FIELDS, "source.")
    kind = source.get("type")
    if not isinstance(kind, str) or not kind:
        raise ApiError(400, "Missing type in source configuration")
    if kind not in SOURCE_TYPE_CODES:
        raise ApiError(400, f"Unknown source type {_show(kind)}")
    _only(body, "results", ["repository"])
    if body.get("target_dir", "default") != "default":
        raise ApiError(400, f'Unknown "target_dir" {_show(body["target_dir"])}')
    return ComposeRequest(
        source_type=kind,
        source=_source(source, kind),
        owner=owner,
        packages=_strings(source, "packages"),
        arches=_strings(body, "arches") or _strings(source, "arches"),
        sigkeys=_strings(source, "sigkeys", empty_ok=True) or settings.odcs.sigkeys,
        flags=_strings(body, "flags"),
        seconds_to_live=seconds_to_live(body, settings),
        label=_text(body, "label"),
        compose_type=_text(body, "compose_type") or "test",
        koji_event=koji_event(body),
    )


def koji_event(body: dict) -> int | None:
    """``source.koji_event``: pins a tag compose to the tag's content at that koji event."""
    source = body["source"]
    value = source.get("koji_event")
    if value is None:
        return None
    if type(value) is not int or not 0 < value <= MAX_KOJI_EVENT:
        raise ApiError(400, f"source.koji_event: expected a koji event id, got {_show(value)}")
    if source["type"] != "tag":
        raise ApiError(400, "source.koji_event: only tag composes read koji at an event")
    return value


def seconds_to_live(body: dict, settings: Settings) -> int | None:
    """ODCS's rule: the asked lifetime, at most the maximum; None asks for the default."""
    raw = body.get("seconds_to_live", body.get("seconds-to-live"))
    if raw is None:
        return None
    if type(raw) is not int or raw <= 0:
        raise ApiError(400, f"Invalid seconds_to_live specified in request: {_show(raw)}")
    return min(raw, settings.composes.max_seconds_to_live)


def _source(source: dict, kind: str) -> str:
    text = source.get("source", "")
    if not isinstance(text, str):
        raise ApiError(400, f"source.source: expected a string, got {_show(text)}")
    if kind == "build":  # ODCS: the NVRs come in ``builds``, ``source`` stays empty
        return " ".join([*text.split(), *_strings(source, "builds")])
    if "builds" in source:
        raise ApiError(400, 'source.builds: only for source type "build"')
    if not text.split():
        raise ApiError(400, f"No source provided for {kind}")
    return text


def _strings(body: dict, key: str, *, empty_ok: bool = False) -> tuple[str, ...]:
    """A list of strings; ``empty_ok``: ``""`` is an item (a sigkey: unsigned allowed)."""
    value = body.get(key, [])
    if not isinstance(value, list) or not all(
        isinstance(v, str) and (v or empty_ok) for v in value
    ):
        raise ApiError(400, f"{key}: expected a list of strings, got {_show(value)}")
    if len(value) > MAX_ITEMS:
        raise ApiError(400, f"{key}: at most {MAX_ITEMS} items")
    if any(v and v.split() != [v] for v in value):  # items are stored space-separated
        raise ApiError(400, f"{key}: an item contains white space")
    return tuple(value)


def _text(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > 255):
        raise ApiError(400, f"{key}: expected a string of at most 255 characters")
    return value or None


def _only(body: dict, key: str, allowed: list[str]) -> None:
    values = _strings(body, key)
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ApiError(400, f"{key}: Conveyor makes only {', '.join(allowed)}, not {unknown}")


def _refuse_unknown(body: dict, known: frozenset[str], prefix: str) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        names = ", ".join(prefix + str(k) for k in unknown)
        raise ApiError(
            400, f"not supported by Conveyor: {names}; supported: {', '.join(sorted(known))}"
        )


def _show(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."
