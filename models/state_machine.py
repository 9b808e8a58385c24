"""The shared rule of every state machine: a table of allowed edges, checked on each move."""

from __future__ import annotations

from collections.abc import Mapping

from conveyor.errors import IllegalTransition

TransitionTable = Mapping[str, frozenset[str]]


def check(kind: str, table: TransitionTable, current: str, target: str) -> None:
    if target not in table.get(current, frozenset()):
        raise IllegalTransition(kind, current, target)


def terminal_states(table: TransitionTable, all_states: frozenset[str]) -> frozenset[str]:
    return frozenset(s for s in all_states if not table.get(s))


def sql_in(column: str, values: frozenset[str] | tuple[str, ...]) -> str:
    """A CHECK constraint body; the values are our own constants, never input."""
    quoted = ", ".join(f"'{v}'" for v in sorted(values))
    return f"{column} IN ({quoted})"
