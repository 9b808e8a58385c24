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

# koji's stock permissions (a tag's ``perm``); the id of each is its position + 1.
PERMISSIONS = (
    "admin", "appliance", "build", "dist-repo", "host", "image", "image-import", "livecd",
    "maven-import", "regen-repo", "repo", "sign", "tag", "target", "win-admin", "win-import",
)  # fmt: skip


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
    arches: str | None = "x86_64 aarch64"
    parent: int | None = None  # legacy single parent; the store turns it into an Inheritance
    locked: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    perm: str | None = None
    blocked_extra: list[str] = field(default_factory=list)


@dataclass
class Inheritance:
    """One parent link of a tag (koji's tag_inheritance row)."""

    id: int
    tag_id: int
    parent_id: int
    priority: int
    maxdepth: int | None = None
    intransitive: bool = False
    noconfig: bool = False
    pkg_filter: str = ""


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
    # koji keeps history: an untagged listing is revoked at an event, not deleted, so
    # that listTagged(event=...) answers what the tag held then.
    create_event: int = 0
    revoke_event: int | None = None

    def active_at(self, event: int | None) -> bool:
        if event is None:
            return self.revoke_event is None
        return self.create_event <= event and (
            self.revoke_event is None or self.revoke_event > event
        )


@dataclass
class Event:
    """One koji event: every change of a tag's content gets a new, increasing id."""

    id: int
    ts: float


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


@dataclass
class User:
    """A package owner named in a package list (created on first use)."""

    id: int
    name: str


@dataclass
class TagPackage:
    """A package in a tag's package list (koji's tag_packages + tag_package_owners)."""

    id: int
    tag_id: int
    package_id: int
    owner_id: int
    blocked: bool = False
    extra_arches: str | None = None


@dataclass
class Group:
    """A comps group name (koji's groups table)."""

    id: int
    name: str


@dataclass
class TagGroup:
    """A group in a tag (koji's group_config)."""

    id: int
    tag_id: int
    group_id: int
    blocked: bool = False
    exported: bool = True
    display_name: str = ""
    is_default: bool | None = None
    uservisible: bool = True
    description: str | None = None
    langonly: str | None = None
    biarchonly: bool = False


@dataclass
class GroupPackage:
    """A package of a group in a tag (koji's group_package_listing)."""

    id: int
    tag_id: int
    group_id: int
    package: str
    blocked: bool = False
    type: str = "mandatory"
    basearchonly: bool | None = None
    requires: str | None = None


RECORD_TYPES: dict[str, type] = {
    "task": Task,
    "build": Build,
    "tag": Tag,
    "target": Target,
    "listing": Listing,
    "event": Event,
    "repo": Repo,
    "package": Package,
    "inheritance": Inheritance,
    "user": User,
    "tag_package": TagPackage,
    "group": Group,
    "tag_group": TagGroup,
    "group_package": GroupPackage,
}
