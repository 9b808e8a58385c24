"""Row-level views shared by the page contexts, and the one JSON conversion.

Every time in a view is an aware UTC datetime; ``jsonable`` writes it as ISO
8601. Fields marked ``HTML_ONLY`` (CSS classes) stay out of the JSON twins;
fields marked ``OMIT_IF_NONE`` are left out when a page did not load them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from typing import Any

from models.build import BuildState

STATES = tuple(s.value for s in BuildState)
IN_FLIGHT = frozenset({"queued", "building"})
FAILURES = frozenset({"failed", "canceled"})
HTML_ONLY = {"json": False}
OMIT_IF_NONE = {"omit_if_none": True}
ZERO_COMMIT = "0" * 40


def utc(value: datetime) -> datetime:
    """Stored times are naive UTC; make every time in a context explicit UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def state_class(state: str) -> str:
    return f"state-{state}" if state in STATES else "state-unknown"


def short(commit: str | None) -> str:
    return "" if not commit or commit == ZERO_COMMIT else commit[:10]


@dataclass(frozen=True)
class TransitionView:
    from_state: str | None
    to_state: str
    cause: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class BuildView:
    id: int
    namespace: str
    name: str
    href: str | None  # the package page, relative to the site root
    branch: str
    commit: str
    commit_short: str
    target: str
    nvr: str | None
    state: str
    state_class: str = field(metadata=HTML_ONLY)
    state_reason: str = ""
    reason: str = ""
    pusher: str | None = None
    koji_task_id: int | None = None
    koji_task_url: str | None = None
    koji_build_id: int | None = None
    koji_build_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    # The state trace: package pages only (None elsewhere, and then not in the JSON).
    transitions: tuple[TransitionView, ...] | None = field(default=None, metadata=OMIT_IF_NONE)


@dataclass(frozen=True)
class PushView:
    branch: str
    old_commit: str | None
    old_short: str
    new_commit: str
    new_short: str
    pusher: str | None
    pushed_at: datetime
    decision: str
    message_id: str


@dataclass(frozen=True)
class StateCount:
    state: str
    state_class: str = field(metadata=HTML_ONLY)
    count: int = 0


@dataclass(frozen=True)
class RejectedView:
    message_id: str
    topic: str
    consumer: str
    kind: str
    reason: str
    rejected_at: datetime


@dataclass(frozen=True)
class ConsumerView:
    consumer: str
    last_processed_at: datetime


def jsonable(value: Any) -> Any:
    """Dataclasses to dicts (minus HTML-only fields), tuples to lists, times to ISO 8601."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in fields(value)
            if f.metadata.get("json", True)
            and not (f.metadata.get("omit_if_none") and getattr(value, f.name) is None)
        }
    if isinstance(value, tuple | list):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return utc(value).isoformat()
    return value
