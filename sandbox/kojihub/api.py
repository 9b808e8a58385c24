"""The koji API methods for tasks and builds (tags and targets: ``api_tags``; inheritance,
tagging and repos, package lists, groups: ``api_inheritance``, ``api_tagging``,
``api_packages``, ``api_groups``).

Parameter names follow koji's hub, because clients may pass them as keywords.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from pathlib import Path
from typing import Any

from .actions import Actions
from .api_groups import GroupMethods
from .api_inheritance import InheritanceMethods
from .api_packages import PackageMethods
from .api_rpms import RpmMethods
from .api_tagging import TaggingMethods
from .api_tags import TagMethods
from .builder import Builder
from .errors import GenericError, ParameterError, StoredFault
from .messages import Publisher
from .model import OWNER_ID, OWNER_NAME, Build, Task, TaskState
from .queries import apply_query_opts, resolve_build, resolve_target
from .specfile import parse_source
from .store import Store
from .views import build_info, task_info

KOJI_VERSION = "1.36.0"


class KojiAPI(
    TagMethods, InheritanceMethods, TaggingMethods, PackageMethods, GroupMethods, RpmMethods
):
    """Methods callable over XML-RPC; ``EXPORTS`` maps wire names to attribute names."""

    EXPORTS: dict[str, str] = {
        name: name
        for name in (
            "getAPIVersion",
            "getKojiVersion",
            "getLoggedInUser",
            "build",
            "getTaskInfo",
            "getTaskResult",
            "listTasks",
            "cancelTask",
            "getBuild",
            "listBuilds",
            *TagMethods.METHODS,
            *InheritanceMethods.METHODS,
            *TaggingMethods.METHODS,
            *PackageMethods.METHODS,
            *GroupMethods.METHODS,
            *RpmMethods.METHODS,
        )
    } | {
        "sandbox.stats": "sandbox_stats",
        "sandbox.setDelay": "sandbox_set_delay",
        "sandbox.setFailPatterns": "sandbox_set_fail_patterns",
        "sandbox.setDropFraction": "sandbox_set_drop_fraction",
    }

    def __init__(
        self,
        store: Store,
        actions: Actions,
        builder: Builder,
        publisher: Publisher,
        topdir: Path | None = None,
    ) -> None:
        self.store = store
        self.topdir = topdir  # koji's topdir: where RPM files are written (api_rpms)
        self.actions = actions
        self.builder = builder
        self.publisher = publisher
        self._stats_lock = threading.Lock()
        self._build_calls: list[dict[str, Any]] = []

    # -- general -----------------------------------------------------------------

    def getAPIVersion(self) -> int:
        return 1

    def getKojiVersion(self) -> str:
        return KOJI_VERSION

    def getLoggedInUser(self) -> None:
        return None

    # -- tasks -------------------------------------------------------------------

    def build(
        self,
        src: str,
        target: str,
        opts: dict[str, Any] | None = None,
        priority: int | None = None,
        channel: str | None = None,
    ) -> int:
        if not isinstance(src, str) or parse_source(src) is None:
            raise GenericError(
                f"Invalid source specification: {src!r} (the sandbox takes "
                "git+file:// or git+https:// <namespace>/<name>.git#<commit>)"
            )
        if opts is not None and not isinstance(opts, dict):
            raise ParameterError(f"Invalid opts: {opts!r}")
        resolve_target(self.store, target, strict=True)
        task = self.builder.submit(
            "build", [src, target, dict(opts or {})], priority=20 + int(priority or 0)
        )
        with self._stats_lock:
            self._build_calls.append(
                {"src": src, "target": target, "task_id": task.id, "at": time.time()}
            )
        return task.id

    def _task(self, task_id: Any, strict: bool = True) -> Task | None:
        if isinstance(task_id, bool) or not isinstance(task_id, int):
            raise ParameterError(f"Invalid task id: {task_id!r}")
        task: Task | None = self.store.get("task", task_id)
        if task is None and strict:
            raise GenericError(f"No such task: {task_id}")
        return task

    def getTaskInfo(self, task_id: Any, request: bool = False, strict: bool = False) -> Any:
        if isinstance(task_id, list):
            return [self.getTaskInfo(one, request, strict) for one in task_id]
        task = self._task(task_id, strict)
        return None if task is None else task_info(task, request=request)

    def getTaskResult(self, taskId: int, raise_fault: bool = True) -> Any:
        task = self._task(taskId)
        assert task is not None
        if task.state == TaskState.CANCELED:
            raise GenericError(f"Task {task.id} is canceled")
        if task.state == TaskState.FAILED:
            fault = {"faultCode": task.fault_code, "faultString": task.fault_string}
            if raise_fault:
                raise StoredFault(task.fault_code or 1000, task.fault_string or "failed")
            return fault
        if task.state != TaskState.CLOSED:
            raise GenericError(f"Task {task.id} is not finished")
        return task.result

    def listTasks(
        self, opts: dict[str, Any] | None = None, queryOpts: dict[str, Any] | None = None
    ) -> list[dict[str, Any]] | int:
        opts = opts or {}

        def wanted(value: Any) -> set[Any]:
            return set(value) if isinstance(value, list | tuple) else {value}

        def match(task: Task) -> bool:
            checks = {
                "method": task.method,
                "state": task.state,
                "id": task.id,
                "owner": OWNER_ID,
                "host_id": task.host_id,
                "channel_id": task.channel_id,
            }
            for key, actual in checks.items():
                if opts.get(key) is not None and actual not in wanted(opts[key]):
                    return False
            if opts.get("not_state") is not None and task.state in wanted(opts["not_state"]):
                return False
            if "parent" in opts and task.parent != opts["parent"]:
                return False
            return not (
                opts.get("createdAfter") is not None
                and task.create_ts <= float(opts["createdAfter"])
            )

        rows = [task_info(task) for task in self.store.find("task", match)]
        return apply_query_opts(rows, queryOpts, default_order="id")

    def cancelTask(self, task_id: int, recurse: bool = True) -> None:
        self._task(task_id)
        self.actions.cancel_task(task_id)

    # -- builds ------------------------------------------------------------------

    def getBuild(self, buildInfo: Any, strict: bool = False) -> dict[str, Any] | None:
        build = resolve_build(self.store, buildInfo, strict)
        return None if build is None else build_info(build)

    def listBuilds(
        self,
        packageID: Any = None,
        userID: Any = None,
        taskID: int | None = None,
        prefix: str | None = None,
        state: int | None = None,
        volumeID: Any = None,
        source: str | None = None,
        createdBefore: Any = None,
        createdAfter: Any = None,
        completeBefore: Any = None,
        completeAfter: Any = None,
        type: Any = None,
        typeInfo: Any = None,
        queryOpts: dict[str, Any] | None = None,
        pattern: str | None = None,
        **_ignored: Any,
    ) -> list[dict[str, Any]] | int:
        def match(build: Build) -> bool:
            tests = [
                packageID is None or packageID in (build.package_id, build.name),
                userID is None or userID in (OWNER_ID, OWNER_NAME),
                taskID is None or build.task_id == taskID or (taskID == -1 and build.task_id),
                prefix is None or build.name.startswith(prefix),
                state is None or build.state == state,
                source is None or fnmatch.fnmatchcase(build.source, source),
                pattern is None or fnmatch.fnmatchcase(build.nvr, pattern),
                createdBefore is None or build.creation_ts < float(createdBefore),
                createdAfter is None or build.creation_ts > float(createdAfter),
                completeBefore is None or (build.completion_ts or 0) < float(completeBefore),
                completeAfter is None or (build.completion_ts or 0) > float(completeAfter),
            ]
            return all(tests)

        rows = [build_info(build) for build in self.store.find("build", match)]
        return apply_query_opts(rows, queryOpts, default_order="id")

    # -- sandbox introspection ---------------------------------------------------

    def sandbox_stats(self) -> dict[str, Any]:
        with self._stats_lock:
            calls = [dict(call) for call in self._build_calls]
        return {
            "build_calls": calls,
            "published": self.publisher.published,
            "dropped": self.publisher.dropped,
            "publish_failures": self.publisher.failed,
        }

    def sandbox_set_delay(self, delay: float) -> None:
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise ParameterError(f"Invalid delay: {delay!r}")
        self.builder.delay = float(delay)

    def sandbox_set_fail_patterns(self, patterns: list[str]) -> None:
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise ParameterError(f"Invalid fail patterns: {patterns!r}")
        self.builder.fail_patterns = list(patterns)

    def sandbox_set_drop_fraction(self, fraction: float) -> None:
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not 0 <= fraction <= 1
        ):
            raise ParameterError(f"Invalid drop fraction: {fraction!r}")
        self.publisher.drop_fraction = float(fraction)
