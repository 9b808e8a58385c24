"""Typed events: what a bus message means, whatever era its body comes from."""

from __future__ import annotations

from dataclasses import dataclass

ZERO_COMMIT = "0" * 40


@dataclass(frozen=True)
class DistGitPush:
    namespace: str
    name: str
    branch: str
    new_commit: str
    old_commit: str | None = None
    pusher: str | None = None
    repo_url: str | None = None  # only when the message names one
    fork: bool = False
    forced: bool = False

    @property
    def path(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def deletes_branch(self) -> bool:
        return self.new_commit == ZERO_COMMIT


@dataclass(frozen=True)
class KojiTaskStateChange:
    task_id: int
    new: str  # FREE, OPEN, CLOSED, CANCELED, ASSIGNED, FAILED
    old: str | None = None
    method: str | None = None
    instance: str | None = None


@dataclass(frozen=True)
class KojiBuildStateChange:
    build_id: int
    name: str
    version: str
    release: str
    new: int  # koji.BUILD_STATES: 0 BUILDING, 1 COMPLETE, 2 DELETED, 3 FAILED, 4 CANCELED
    old: int | None = None
    task_id: int | None = None
    epoch: int | None = None
    owner: str | None = None
    instance: str | None = None

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"


@dataclass(frozen=True)
class KojiTagged:
    tag: str
    name: str
    version: str
    release: str
    build_id: int | None = None
    user: str | None = None
    instance: str | None = None

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"


@dataclass(frozen=True)
class KojiRepoDone:
    tag: str
    repo_id: int
    instance: str | None = None


@dataclass(frozen=True)
class ModuleStateChange:
    """Conveyor's own announcement: the next orchestrator step for that module build."""

    module_build_id: int
    state: str


Event = (
    DistGitPush
    | KojiTaskStateChange
    | KojiBuildStateChange
    | KojiTagged
    | KojiRepoDone
    | ModuleStateChange
)
