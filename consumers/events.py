"""Typed events: what a bus message means, whatever era its body comes from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True)
class ComposeDetails:
    """What an ODCS message says about its compose (ODCS's field names, lists split)."""

    source_type: int  # ODCS codes: 1 tag, 2 module, 3 repo, 4 pulp, 5 raw_config, 6 build ...
    owner: str | None = None
    source: str = ""
    packages: tuple[str, ...] = ()
    builds: tuple[str, ...] = ()  # NVRs
    arches: tuple[str, ...] = ()
    sigkeys: tuple[str, ...] = ()
    koji_event: int | None = None
    label: str | None = None
    compose_type: str | None = None
    result_repo: str | None = None
    result_repofile: str | None = None
    time_to_expire: datetime | None = None
    removed_by: str | None = None


@dataclass(frozen=True)
class ComposeStatus:
    """A compose seen on the bus (Pungi's status or ODCS's state), in Conveyor's state names."""

    origin: str  # pungi | odcs
    external_id: str  # Pungi's compose id (Fedora-Rawhide-20180426.n.0) or ODCS's id ("378")
    state: str  # wait | generating | done | removed | failed
    status: str  # the message's own word: STARTED, FINISHED_INCOMPLETE, generating, ...
    reason: str = ""
    location: str | None = None  # Pungi's compose location, ODCS's toplevel_url
    details: ComposeDetails | None = None  # ODCS messages only


@dataclass(frozen=True)
class CIResult:
    source: str  # resultsdb | ci-spec | taskotron
    artifact_type: str  # models.test_result.ARTIFACT_TYPES
    artifact: str  # NVR, name:stream:version[:context], ... as the message gives it
    testcase: str
    outcome: str  # models.test_result.OUTCOMES
    raw_outcome: str
    result_at: datetime | None = None  # the result's own time, when the message has one
    ref_url: str | None = None
    branch: str | None = None


@dataclass(frozen=True)
class CINotAResult:
    """A CI topic the route claims that carries no result (e.g. a pipeline stage notice)."""

    reason: str


Event = (
    DistGitPush
    | KojiTaskStateChange
    | KojiBuildStateChange
    | KojiTagged
    | KojiRepoDone
    | ModuleStateChange
    | ComposeStatus
    | CIResult
    | CINotAResult
)
