"""The builder: one thread that moves tasks along a schedule of due steps.

A ``build`` task opens shortly after it is created, reads the NVR from the
spec at the requested commit, creates the build (or fails as a duplicate), and
``delay`` seconds later completes it (or fails it when the package matches a
fail pattern), tagging the build into the target's destination tag unless the
build's opts say ``skip_tag`` (then it is only built, as in koji). A
``newRepo`` task completes after ``delay`` and announces the repository.
"""

from __future__ import annotations

import fnmatch
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from .actions import ACTIVE_TASK_STATES, Actions
from .api_packages import package_problem
from .errors import BuildError, GenericError
from .inheritance import build_config
from .messages import REPO_DONE_TOPIC, repo_done_message
from .model import Build, BuildState, Repo, Tag, Target, Task, TaskState
from .specfile import SpecError, marked_to_fail, parse_source, read_nvr
from .store import Store

log = logging.getLogger(__name__)


def dist_of(store: Store, tag: Tag) -> str:
    """The ``%dist`` of a build tag: its ``rpm.macro.dist`` extra, or the one it inherits
    (koji's build config: parents by priority, links with ``noconfig`` skipped)."""
    return str(build_config(store, tag)["extra"].get("rpm.macro.dist") or "")


def dest_refusal(store: Store, dest: Tag, name: str) -> str | None:
    """Why kojid would refuse to build package ``name`` for ``dest`` (unless skip_tag)."""
    if dest.locked:
        return f"Destination tag {dest.name} is locked"
    package = store.find_one("package", lambda p: p.name == name)
    problem = package_problem(store, dest.id, package.id if package else -1)
    if problem == "missing":
        return f"package {name} not in list for tag {dest.name}"
    if problem == "blocked":
        return f"package {name} is blocked for tag {dest.name}"
    return None


class Builder:
    def __init__(
        self,
        actions: Actions,
        distgit_root: Path,
        delay: float = 1.0,
        fail_patterns: Sequence[str] = (),
        base_url: str = "",
    ) -> None:
        self.actions = actions
        self.store = actions.store
        self.distgit_root = distgit_root
        self.delay = delay
        self.fail_patterns: list[str] = list(fail_patterns)
        self.base_url = base_url
        self._heap: list[tuple[float, int, str, int]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- schedule ----------------------------------------------------------------

    def start(self) -> None:
        self._resume()
        self._thread = threading.Thread(target=self._loop, name="kojihub-builder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def schedule(self, after: float, step: str, task_id: int) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + after, next(self._seq), step, task_id))
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (
                    not self._heap or self._heap[0][0] > time.monotonic()
                ):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                _, _, step, task_id = heapq.heappop(self._heap)
            try:
                getattr(self, f"_step_{step}")(task_id)
            except Exception as exc:
                log.exception("builder step %s of task %s crashed", step, task_id)
                self.actions.fail_task(task_id, GenericError(f"sandbox builder error: {exc}"))

    def _resume(self) -> None:
        """Reschedule the unfinished tasks of a persisted state."""
        for task in self.store.find("task", lambda t: t.state in ACTIVE_TASK_STATES):
            if task.state != TaskState.OPEN:
                self.schedule(0, "open", task.id)
            elif self._building(task.id) is not None or task.method != "build":
                self.schedule(self.delay, "finish", task.id)
            else:
                self.schedule(0, "run", task.id)

    def _building(self, task_id: int) -> Build | None:
        return self.store.find_one(
            "build", lambda b: b.task_id == task_id and b.state == BuildState.BUILDING
        )

    # -- submission --------------------------------------------------------------

    def submit(self, method: str, request: list[object], priority: int = 20) -> Task:
        task = self.actions.create_task(method, request, priority)
        self.schedule(min(self.delay / 4, 0.5), "open", task.id)
        return task

    # -- steps -------------------------------------------------------------------

    def _step_open(self, task_id: int) -> None:
        task = self.actions.move_task(
            task_id, TaskState.OPEN, frozenset({TaskState.FREE}), start_ts=time.time(), host_id=1
        )
        if task is not None:
            self._step_run(task_id)

    def _step_run(self, task_id: int) -> None:
        task: Task | None = self.store.get("task", task_id)
        if task is None or task.state != TaskState.OPEN:
            return
        if task.method == "build":
            self._start_build(task)
        else:
            self.schedule(self.delay, "finish", task_id)

    def _start_build(self, task: Task) -> None:
        src, target_name = str(task.request[0]), str(task.request[1])
        opts = task.request[2] if len(task.request) > 2 and task.request[2] else {}
        source = parse_source(src)
        target: Target | None = self.store.find_one("target", lambda t: t.name == target_name)
        if source is None or target is None:
            problem = "source" if source is None else "build target"
            self.actions.fail_task(task.id, GenericError(f"Invalid {problem} in request: {src}"))
            return
        if source.scheme != "file":
            self.actions.fail_task(
                task.id,
                BuildError(f"the sandbox hub only reads git+file:// sources, cannot fetch {src}"),
            )
            return
        dist = dist_of(self.store, self.store.get("tag", target.build_tag))
        try:
            nvr = read_nvr(self.distgit_root, source, dist)
        except SpecError as exc:
            self.actions.fail_task(task.id, BuildError(f"cannot read the spec: {exc}"))
            return
        if not opts.get("scratch") and not opts.get("skip_tag"):
            refusal = dest_refusal(self.store, self.store.get("tag", target.dest_tag), nvr.name)
            if refusal:
                self.actions.fail_task(task.id, BuildError(refusal))
                return
        if opts.get("scratch"):
            self.schedule(self.delay, "finish", task.id)
            return
        build, existing = self.actions.start_build(
            task, nvr.name, nvr.version, nvr.release, nvr.epoch
        )
        if build is None and existing is None:
            return  # canceled while the spec was read
        if existing is not None:
            state = BuildState(existing.state).name
            self.actions.fail_task(
                task.id,
                BuildError(
                    f"Build already exists (id={existing.id}, state={state}): {existing.nvr}"
                ),
            )
            return
        self.schedule(self.delay, "finish", task.id)

    def _step_finish(self, task_id: int) -> None:
        task: Task | None = self.store.get("task", task_id)
        if task is None or task.state != TaskState.OPEN:
            return
        if task.method == "newRepo":
            self._finish_repo(task)
            return
        build = self._building(task_id)
        source = parse_source(str(task.request[0]))
        name = build.name if build else source.name if source else ""
        marked = source is not None and marked_to_fail(self.distgit_root, source)
        if marked or any(fnmatch.fnmatchcase(name, pattern) for pattern in self.fail_patterns):
            if build is not None:
                self.actions.move_build(build.id, BuildState.FAILED, task.request)
            self.actions.fail_task(
                task_id,
                BuildError(
                    "error building package (arch noarch), mock exited with status 1; "
                    "see build.log for more information"
                ),
            )
            return
        if build is None:  # a scratch build
            self.actions.close_task(task_id, {"srpms": [], "rpms": [], "logs": []})
            return
        done = self.actions.move_build(build.id, BuildState.COMPLETE, task.request)
        if done is None:
            return
        target = self.store.find_one("target", lambda t: t.name == task.request[1])
        opts = task.request[2] if len(task.request) > 2 and task.request[2] else {}
        if target is not None and not opts.get("skip_tag"):
            self.actions.tag_build(done, self.store.get("tag", target.dest_tag))
        self.actions.close_task(
            task_id,
            {
                "build_id": done.id,
                "nvr": done.nvr,
                "srpm": f"{done.nvr}.src.rpm",
                "rpms": [],
                "logs": [],
            },
        )

    def _finish_repo(self, task: Task) -> None:
        tag: Tag | None = self.store.find_one("tag", lambda t: t.name == task.request[0])
        if tag is None:
            self.actions.fail_task(task.id, GenericError(f"No such tagInfo: {task.request[0]!r}"))
            return
        with self.store.transaction() as store:
            repo = store.put(
                Repo(
                    id=store.next_id("repo"),
                    tag_id=tag.id,
                    create_ts=time.time(),
                    task_id=task.id,
                    state=1,
                )
            )
        self.actions.publish(REPO_DONE_TOPIC, repo_done_message(tag, repo.id, self.base_url))
        self.actions.close_task(task.id, [repo.id, repo.id])
