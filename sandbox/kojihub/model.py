"""The hub's records: plain dataclasses, copied out of the store, never shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class TaskState(IntEnum):
    """koji.TASK_STATES"""

    FREE = 0
    OPEN = 1
    CLOSED = 2
    CANCELED = 3
    ASSIGNED = 4
    FAILED = 5


class BuildState(IntEnum):
    """koji.BUILD_STATES"""

    BUILDING = 0
    COMPLETE = 1
    DELETED = 2
    FAILED = 3
    CANCELED = 4


FINISHED_TASK_STATES = frozenset({TaskState.CLOSED, TaskState.CANCELED, TaskState.FAILED})

OWNER_ID = 1
OWNER_NAME = "conveyor"
HOST_ID = 1
HOST_NAME = "sandbox-builder.localdomain"


@dataclass
class Task:
    id: int
    method: str
    request: list[Any]
    state: int = TaskState.FREE
    create_ts: float = 0.0
    start_ts: float | None = None
    completion_ts: float | None = None
    host_id: int | None = None
    parent: int | None = None
    priority: int = 20
    channel_id: int = 1
    result: Any = None
    fault_code: int | None = None
    fault_string: str | None = None


@dataclass
class Build:
    id: int
    package_id: int
    name: str
    version: str
    release: str
    epoch: int | None
    state: int
    task_id: int | None
    source: str
    creation_ts: float
    completion_ts: float | None = None

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"


@dataclass
class Tag:
    id: int
    name: str
    arches: str = "x86_64 aarch64"
    parent: int | None = None
    locked: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Target:
    id: int
    name: str
    build_tag: int
    dest_tag: int


@dataclass
class Listing:
    """One build tagged into one tag (koji's tag_listing row)."""

    id: int
    tag_id: int
    build_id: int
    create_ts: float


@dataclass
class Repo:
    id: int
    tag_id: int
    create_ts: float
    task_id: int
    state: int = 0  # koji.REPO_STATES: INIT 0, READY 1


@dataclass
class Package:
    id: int
    name: str


RECORD_TYPES: dict[str, type] = {
    "task": Task,
    "build": Build,
    "tag": Tag,
    "target": Target,
    "listing": Listing,
    "repo": Repo,
    "package": Package,
}
