"""The ``odcs`` settings section: ODCS compatibility in both directions.

Serving: who may ask Conveyor's ODCS-compatible API (``/api/1/``) for which
source types, in ODCS's own ``allowed_clients`` shape::

    allowed_clients:
      groups: {packagers: {source_types: [tag, module, build]}}
      users: {alice: {source_types: [tag]}}

Asking: the ``odcs`` compose backend talks to an ODCS server at
``server_url`` with a bearer ``token``, bounded ``timeout`` and
``max_attempts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SOURCE_TYPES = ("tag", "module", "repo", "pulp", "raw_config", "build", "pungi_compose")
AUTH_BACKENDS = ("noauth", "kerberos", "openidc", "kerberos_or_ssl", "ssl")


@dataclass(frozen=True)
class AllowedClients:
    """Client name -> the source types it may request (ODCS's ``allowed_clients``)."""

    # (name, source types) pairs: hashable, like every settings value
    users: tuple[tuple[str, frozenset[str]], ...] = ()
    groups: tuple[tuple[str, frozenset[str]], ...] = ()

    def source_types(self, user: str, groups: frozenset[str]) -> frozenset[str]:
        allowed: set[str] = set()
        for name, types in self.users:
            if name == user:
                allowed |= types
        for name, types in self.groups:
            if name in groups:
                allowed |= types
        return frozenset(allowed)

    def as_odcs(self) -> dict[str, dict[str, dict[str, list[str]]]]:
        """The shape ODCS's ``/api/1/about/`` shows."""
        return {
            kind: {name: {"source_types": sorted(types)} for name, types in table}
            for kind, table in (("users", self.users), ("groups", self.groups))
        }


@dataclass(frozen=True)
class OdcsSettings:
    allowed_clients: AllowedClients = field(default_factory=AllowedClients)
    auth_backend: str = "kerberos"  # what /api/1/about/ reports: the front proxy's method
    sigkeys: tuple[str, ...] = ()  # default sigkeys of a request that names none
    server_url: str = ""  # the ODCS server of the ``odcs`` backend, e.g. https://odcs.example
    token: str = ""  # its bearer token (an OIDC access token)
    timeout: float = 30.0  # seconds per HTTP request
    max_attempts: int = 3  # per call, for connection errors and 5xx answers


_SCALARS = {"auth_backend": str, "server_url": str, "token": str, "timeout": float}


def parse_odcs(raw: Any, problems: list[str]) -> OdcsSettings:
    """The section from YAML; every problem is appended to ``problems``."""
    if not isinstance(raw, dict):
        problems.append(f"odcs: expected a mapping, got {raw!r}")
        return OdcsSettings()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"odcs.{key}"
        if key == "allowed_clients":
            values[key] = _allowed_clients(value, problems)
        elif key == "sigkeys":
            if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
                values[key] = tuple(value)
            else:
                problems.append(f"{where}: expected a list of key ids, got {value!r}")
        elif key == "max_attempts":
            if type(value) is int and value >= 1:
                values[key] = value
            else:
                problems.append(f"{where}: expected an integer of at least 1, got {value!r}")
        elif key in _SCALARS:
            checked = _scalar(where, value, _SCALARS[key], problems)
            if checked is not None:
                values[key] = checked
        else:
            problems.append(f"{where}: unknown key")
    settings = OdcsSettings(**values)
    _checks(settings, problems)
    return settings


def _scalar(where: str, value: Any, expected: type, problems: list[str]) -> Any:
    if expected is float and type(value) in (int, float) and value > 0:
        return float(value)
    if expected is str and isinstance(value, str):
        return value
    wanted = "a positive number" if expected is float else "a string"
    problems.append(f"{where}: expected {wanted}, got {value!r}")
    return None


def _checks(settings: OdcsSettings, problems: list[str]) -> None:
    if settings.auth_backend not in AUTH_BACKENDS:
        problems.append(
            f"odcs.auth_backend: must be one of {', '.join(AUTH_BACKENDS)}, "
            f"got {settings.auth_backend!r}"
        )
    if settings.server_url:
        parts = urlsplit(settings.server_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(
                f"odcs.server_url: expected an http(s) URL, got {settings.server_url!r}"
            )


def _allowed_clients(raw: Any, problems: list[str]) -> AllowedClients:
    if not isinstance(raw, dict):
        problems.append(f"odcs.allowed_clients: expected a mapping, got {raw!r}")
        return AllowedClients()
    tables: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
    for kind, clients in raw.items():
        where = f"odcs.allowed_clients.{kind}"
        if kind not in ("users", "groups"):
            problems.append(f"{where}: unknown key (users or groups)")
        elif not isinstance(clients, dict):
            problems.append(f"{where}: expected a mapping of names, got {clients!r}")
        else:
            tables[kind] = tuple(
                (str(name), _client(f"{where}.{name}", rules, problems))
                for name, rules in clients.items()
            )
    return AllowedClients(**tables)


def _client(where: str, rules: Any, problems: list[str]) -> frozenset[str]:
    if not isinstance(rules, dict) or set(rules) - {"source_types"}:
        problems.append(f"{where}: expected a mapping with only 'source_types'")
        return frozenset()
    types = rules.get("source_types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        problems.append(f"{where}.source_types: expected a list of source type names")
        return frozenset()
    unknown = sorted(set(types) - set(SOURCE_TYPES))
    if unknown:
        problems.append(
            f"{where}.source_types: unknown {', '.join(unknown)}; known: {', '.join(SOURCE_TYPES)}"
        )
    return frozenset(types) - set(unknown)
