"""Desired versus actual PDC state -> the minimal list of changes (pure, no I/O).

As pdc-updater did: relationships are compared as sets (create what is
missing, delete what is extra among the managed types); module and compose
records are sent again only when missing or different. Records PDC holds and
Conveyor does not know (modules or composes from elsewhere) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from conveyor.pdc.facts import PdcState, Relationship, compose_key, module_key
from models.pdc_update import PdcChangeKind


@dataclass(frozen=True, order=True)
class Change:
    """One intended change: ``kind`` (a PdcChangeKind value), the object's key, the payload."""

    key: str
    kind: str
    payload: dict

    def describe(self) -> str:
        """One line for an operator: what differs and in which direction."""
        what = {
            PdcChangeKind.RELATIONSHIP_ADD: "missing in PDC",
            PdcChangeKind.RELATIONSHIP_REMOVE: "extra in PDC",
            PdcChangeKind.MODULE_UPSERT: "missing or different in PDC",
            PdcChangeKind.COMPOSE_IMPORT: "missing or different in PDC",
        }[PdcChangeKind(self.kind)]
        return f"{_printable(self.key)}: {what}"


def _printable(text: str) -> str:
    """Names come from modulemd and PDC: control characters never reach a terminal raw."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def diff(desired: PdcState, actual: PdcState) -> list[Change]:
    """The changes that turn ``actual`` into ``desired``, sorted by key (deterministic)."""
    changes = _relationship_changes(desired.relationships, actual.relationships)
    changes += _record_changes(
        desired.modules, actual.modules, module_key, PdcChangeKind.MODULE_UPSERT
    )
    changes += _record_changes(
        desired.composes, actual.composes, compose_key, PdcChangeKind.COMPOSE_IMPORT
    )
    return sorted(changes)


def _relationship_changes(
    desired: frozenset[Relationship], actual: frozenset[Relationship]
) -> list[Change]:
    add = [
        Change(r.key, PdcChangeKind.RELATIONSHIP_ADD.value, r.as_payload())
        for r in desired - actual
    ]
    remove = [
        Change(r.key, PdcChangeKind.RELATIONSHIP_REMOVE.value, r.as_payload())
        for r in actual - desired
    ]
    return add + remove


def _record_changes(
    desired: Mapping[str, dict],
    actual: Mapping[str, dict],
    key: Callable[[str], str],
    kind: PdcChangeKind,
) -> list[Change]:
    return [
        Change(key(ident), kind.value, record)
        for ident, record in desired.items()
        if actual.get(ident) != record
    ]
