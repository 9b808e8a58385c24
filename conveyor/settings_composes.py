"""The ``composes`` section of the settings: backend, expiry, stuck limits, EOL policy."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

BACKENDS = ("local", "odcs")
EOL_POLICIES = ("refuse", "flag")
_SOURCE_TYPES = ("tag", "module", "build")


@dataclass(frozen=True)
class ComposeSettings:
    """Composes with ODCS semantics; defaults are ODCS's (24 h to live, at most 72 h)."""

    backend: str = "local"  # local: createrepo_c here; odcs: an ODCS server (odcs section)
    target_dir: str = "composes"  # odcs-<id>/ directories of the local backend
    base_url: str = "http://127.0.0.1:8000/composes/"  # where target_dir is served
    koji_topdir: str = "/mnt/koji"  # koji's files (koji.PathInfo), read by the local backend
    default_seconds_to_live: int = 86400
    max_seconds_to_live: int = 259200
    default_arches: tuple[str, ...] = ("x86_64",)
    allowed_source_types: tuple[str, ...] = _SOURCE_TYPES  # what requests may ask for
    stuck_wait_minutes: int = 60  # longer in wait: failed by cron
    stuck_generating_minutes: int = 180  # longer in generating: failed by cron
    reannounce_wait_minutes: int = 5  # a wait compose untouched this long is announced again
    auto_module_composes: bool = True  # a module build reaching done gets a compose
    eol_policy: str = "refuse"  # refuse | flag: a module ending before its release does
    # release (the base module's stream, e.g. f39) -> its end of life
    releases: tuple[tuple[str, date], ...] = ()

    def release_eol(self, release: str) -> date | None:
        return dict(self.releases).get(release)


_SCALARS = {"str": str, "int": int, "bool": bool}


def parse_composes(raw: Any, problems: list[str]) -> ComposeSettings:
    """Validate the section; every problem goes to ``problems`` (reported all at once)."""
    if not isinstance(raw, dict):
        problems.append(f"composes: expected a mapping, got {raw!r}")
        return ComposeSettings()
    known = {f.name: f.type for f in fields(ComposeSettings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"composes.{key}"
        if key not in known:
            problems.append(f"{where}: unknown key")
            continue
        before = len(problems)
        checked = _value(where, known[key], value, problems)
        if len(problems) == before:
            values[key] = checked
    settings = ComposeSettings(**values)
    _cross_checks(settings, problems)
    return settings


def _value(where: str, kind: str, value: Any, problems: list[str]) -> Any:
    if kind.startswith("tuple[tuple"):
        return _releases(where, value, problems)
    if kind.startswith("tuple"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{where}: expected a list of strings, got {value!r}")
        return tuple(value) if isinstance(value, list) else ()
    expected = _SCALARS[kind]
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        problems.append(f"{where}: expected a number, got {value!r}")
    elif expected is int and value < 0:
        problems.append(f"{where}: must not be negative, got {value!r}")
    elif not isinstance(value, expected):
        problems.append(f"{where}: expected {kind}, got {value!r}")
    return value


def _releases(where: str, value: Any, problems: list[str]) -> tuple[tuple[str, date], ...]:
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a mapping of release to EOL date, got {value!r}")
        return ()
    found = []
    for release, eol in value.items():
        if isinstance(eol, str):
            with contextlib.suppress(ValueError):  # reported below as not a date
                eol = date.fromisoformat(eol)
        if not isinstance(release, str) or not isinstance(eol, date):
            problems.append(f"{where}.{release}: expected an ISO date (YYYY-MM-DD), got {eol!r}")
            continue
        found.append((release, eol))
    return tuple(found)


def _cross_checks(settings: ComposeSettings, problems: list[str]) -> None:
    if settings.backend not in BACKENDS:
        problems.append(f"composes.backend: must be local or odcs, got {settings.backend!r}")
    if settings.eol_policy not in EOL_POLICIES:
        problems.append(f"composes.eol_policy: must be refuse or flag, got {settings.eol_policy!r}")
    if settings.default_seconds_to_live > settings.max_seconds_to_live:
        problems.append("composes.default_seconds_to_live: exceeds max_seconds_to_live")
    unknown = sorted(set(settings.allowed_source_types) - set(_SOURCE_TYPES))
    if unknown:
        problems.append(f"composes.allowed_source_types: cannot generate {unknown}")
    if not settings.base_url.endswith("/"):
        problems.append("composes.base_url: must end with /")
