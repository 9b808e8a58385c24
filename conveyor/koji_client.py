"""A thin wrapper over the official ``koji.ClientSession``.

It gives Conveyor's handlers the few koji operations they need, turns
connection problems into ``Retryable`` and koji faults into ``KojiError``,
and batches reads into one multicall. ``RecordingKoji`` is the offline
stand-in for ``conveyor replay --dry-run``: it answers as an empty koji and
records the calls that would change koji's state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import koji
import requests

from conveyor.errors import KojiError, Retryable
from conveyor.koji_modules import KojiModuleOps, RecordingModuleOps, RepoInfo, TagPlan
from conveyor.settings import KojiSettings

__all__ = ["Koji", "KojiClient", "RecordingKoji", "RepoInfo", "TagPlan", "TaskStatus"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# Tasks that still count as "this source is being (or was) built" when adopting.
ADOPTABLE_TASK_STATES = ("FREE", "OPEN", "ASSIGNED", "CLOSED")


@dataclass(frozen=True)
class TaskStatus:
    task_id: int
    state: str  # koji task state name: FREE OPEN CLOSED CANCELED ASSIGNED FAILED
    nvr: str | None = None
    build_id: int | None = None


class Koji(Protocol):
    def find_build_task(self, source: str, target: str) -> int | None: ...
    def submit_build(self, source: str, target: str, opts: dict | None = None) -> int: ...
    def task_statuses(self, task_ids: list[int]) -> dict[int, TaskStatus]: ...
    def task_failure(self, task_id: int) -> str: ...
    def cancel_task(self, task_id: int) -> None: ...
    # module builds (conveyor.koji_modules)
    def ensure_module_tags(self, plan: TagPlan) -> None: ...
    def tag_builds(self, tag: str, nvrs: list[str]) -> dict[str, int | None]: ...
    def new_repo(self, tag: str) -> int: ...
    def latest_repo(self, tag: str) -> RepoInfo | None: ...
    def latest_repos(self, tags: list[str]) -> dict[str, RepoInfo | None]: ...
    def tagged_nvrs(self, tags: list[str]) -> dict[str, set[str]]: ...


@contextmanager
def classified(call: str, refused: type[Exception] = KojiError) -> Iterator[None]:
    """koji's and the transport's errors as ours: unreachable is ``Retryable``; a refusal
    (``koji.GenericError``) is ``refused``, which each caller names for what it means there."""
    try:
        yield
    except (requests.exceptions.RequestException, koji.ServerOffline, koji.RetryError) as exc:
        raise Retryable(f"koji unavailable during {call}: {exc}") from exc
    except koji.GenericError as exc:
        raise refused(f"koji refused {call}: {exc}") from exc
    except OSError as exc:
        raise Retryable(f"koji unavailable during {call}: {exc}") from exc


class KojiClient(KojiModuleOps):
    """Talks XML-RPC to a koji hub through ``koji.ClientSession``."""

    _guard = staticmethod(classified)

    def __init__(self, settings: KojiSettings):
        self.settings = settings
        self._session: koji.ClientSession | None = None

    @property
    def session(self) -> koji.ClientSession:
        if self._session is None:
            # anon_retry stays off: koji would resend a timed-out anonymous build() and
            # start a second task (only logged-in sessions are deduplicated by the hub).
            # Retries happen one level up, where the task lookup makes them safe.
            opts = {
                "timeout": self.settings.timeout,
                "anon_retry": False,
                "max_retries": 2,
                "retry_interval": 1,
                "offline_retry": False,
            }
            session = koji.ClientSession(self.settings.hub_url, opts=opts)
            self._login(session)
            self._session = session
        return self._session

    def _login(self, session: koji.ClientSession) -> None:
        with classified("login"):
            if self.settings.auth == "gssapi":
                session.gssapi_login(
                    principal=self.settings.principal or None,
                    keytab=self.settings.keytab or None,
                )
            elif self.settings.auth == "ssl":
                session.ssl_login(self.settings.cert, None, self.settings.serverca or None)

    def _call(self, name: str, fn: Callable[[], T]) -> T:
        with classified(name):
            return fn()

    def find_build_task(self, source: str, target: str) -> int | None:
        """A build task koji already has for exactly this source and target."""
        states = [koji.TASK_STATES[s] for s in ADOPTABLE_TASK_STATES]
        tasks = self._call(
            "listTasks",
            lambda: self.session.listTasks(
                opts={"method": "build", "state": states, "decode": True},
                queryOpts={"order": "-id", "limit": 200},
            ),
        )
        for task in tasks:
            request = task.get("request") or []
            if len(request) >= 2 and request[0] == source and request[1] == target:
                return int(task["id"])
        return None

    def submit_build(self, source: str, target: str, opts: dict | None = None) -> int:
        """Start a build task; ``opts`` go to koji's ``build`` (e.g. ``{"skip_tag": True}``)."""
        options = dict(opts or {})
        return int(self._call("build", lambda: self.session.build(source, target, options)))

    def task_statuses(self, task_ids: list[int]) -> dict[int, TaskStatus]:
        """States of many tasks, plus the build each one made, in ONE multicall."""
        if not task_ids:
            return {}
        with classified("multiCall"), self.session.multicall(strict=False) as m:
            calls = [(tid, m.getTaskInfo(tid), m.listBuilds(taskID=tid)) for tid in task_ids]
        statuses = {}
        for task_id, info_call, builds_call in calls:
            info = _result_or_none(info_call)
            if not info:
                continue
            builds = _result_or_none(builds_call) or []
            build = builds[0] if builds else {}
            statuses[task_id] = TaskStatus(
                task_id=task_id,
                state=koji.TASK_STATES[info["state"]],
                nvr=build.get("nvr"),
                build_id=build.get("build_id"),
            )
        return statuses

    def task_failure(self, task_id: int) -> str:
        """Koji's own words for why a task failed (the fault its result raises)."""
        try:
            with classified("getTaskResult"):
                self.session.getTaskResult(task_id)
        except KojiError as exc:
            return str(exc.__cause__ or exc)
        return "koji reports the task failed without a reason"

    def cancel_task(self, task_id: int) -> None:
        self._call("cancelTask", lambda: self.session.cancelTask(task_id))


def _result_or_none(call: Any) -> Any:
    try:
        return call.result
    except koji.GenericError as exc:
        log.warning("koji multicall entry failed: %s", exc)
        return None


@dataclass
class RecordingKoji(RecordingModuleOps):
    """An empty koji that records state-changing calls instead of making them."""

    actions: list[dict] = field(default_factory=list)
    next_task_id: int = 1

    def _new_task_id(self) -> int:
        self.next_task_id += 1
        return self.next_task_id - 1

    def find_build_task(self, source: str, target: str) -> int | None:
        return None

    def submit_build(self, source: str, target: str, opts: dict | None = None) -> int:
        action = {"kind": "koji.build", "source": source, "target": target}
        if opts:
            action["opts"] = dict(opts)
        self.actions.append(action)
        return self._new_task_id()

    def task_statuses(self, task_ids: list[int]) -> dict[int, TaskStatus]:
        return {}

    def task_failure(self, task_id: int) -> str:
        return "unknown (dry run)"

    def cancel_task(self, task_id: int) -> None:
        self.actions.append({"kind": "koji.cancelTask", "task_id": task_id})
