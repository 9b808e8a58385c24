"""The ``pdc`` settings section: the optional sink that pushes Conveyor's facts to PDC."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class PdcSettings:
    """Where PDC is, how to authenticate, and how hard to try before giving a change up."""

    enabled: bool = False  # PDC is retired in Fedora: the sink is opt-in
    url: str = "http://127.0.0.1:8600/rest_api/v1"
    token: str = ""  # sent as "Authorization: Token <token>"; empty sends no header
    release: str = "fedora-rawhide"  # the PDC release that holds module and rpm components
    timeout: float = 30.0
    max_attempts: int = 5
    backoff_seconds: float = 10.0  # first retry waits this long, doubling per attempt
    backoff_max_seconds: float = 3600.0
    sync_seconds: int = 60  # how often cron queues the difference and sends what is due
    batch_size: int = 200  # changes sent per run, oldest first
    keep_days: int = 30  # superseded sent/failed changes are deleted after this many days


_TYPES = {"bool": bool, "str": str, "int": int, "float": float}


def parse_pdc(raw: Any, problems: list[str]) -> PdcSettings:
    """The section from YAML; every problem is appended to ``problems``."""
    if not isinstance(raw, dict):
        problems.append(f"pdc: expected a mapping, got {raw!r}")
        return PdcSettings()
    known = {f.name: _TYPES[str(f.type)] for f in fields(PdcSettings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        expected = known.get(key)
        if expected is None:
            problems.append(f"pdc.{key}: unknown key")
        elif expected is float and type(value) in (int, float):
            values[key] = float(value)
        elif type(value) is not expected:  # bool is not an int here
            problems.append(f"pdc.{key}: expected {expected.__name__}, got {value!r}")
        else:
            values[key] = value
    settings = PdcSettings(**values)
    problems.extend(pdc_problems(settings))
    return settings


def pdc_problems(pdc: PdcSettings) -> list[str]:
    """Cross-field checks of the section, phrased like the rest of the settings errors."""
    problems = []
    if not pdc.url.startswith(("http://", "https://")):
        problems.append(f"pdc.url: must be an http:// or https:// URL, got {pdc.url!r}")
    if pdc.max_attempts < 1:
        problems.append("pdc.max_attempts: must be at least 1")
    if pdc.sync_seconds < 1:
        problems.append("pdc.sync_seconds: must be at least 1")
    if pdc.keep_days < 1:
        problems.append("pdc.keep_days: must be at least 1")
    if pdc.batch_size < 1:
        problems.append("pdc.batch_size: must be at least 1")
    if pdc.timeout <= 0:
        problems.append("pdc.timeout: must be positive")
    if pdc.backoff_seconds < 0 or pdc.backoff_max_seconds < pdc.backoff_seconds:
        problems.append("pdc.backoff_seconds: must be >= 0 and <= pdc.backoff_max_seconds")
    if pdc.enabled and not pdc.release:
        problems.append("pdc.release: required when pdc.enabled is true")
    return problems
