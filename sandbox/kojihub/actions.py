"""State changes of tasks, builds and tags, each with the message koji would send."""

from __future__ import annotations

import time
from typing import Any

from .errors import GenericError, TagError
from .messages import (
    BUILD_TOPIC,
    TAG_TOPIC,
    TASK_TOPIC,
    UNTAG_TOPIC,
    PublishFn,
    build_message,
    tag_message,
    task_message,
)
from .model import (
    FINISHED_TASK_STATES,
    Build,
    BuildState,
    Event,
    Listing,
    Package,
    Tag,
    Task,
    TaskState,
)
from .store import Store

ACTIVE_TASK_STATES = frozenset({TaskState.FREE, TaskState.OPEN, TaskState.ASSIGNED})


class Actions:
    def __init__(self, store: Store, publish: PublishFn, web_url: str) -> None:
        self.store = store
        self.publish = publish
        self.web_url = web_url

    # -- tasks -------------------------------------------------------------------

    def create_task(self, method: str, request: list[Any], priority: int = 20) -> Task:
        with self.store.transaction() as store:
            task = Task(
                id=store.next_id("task"),
                method=method,
                request=request,
                priority=priority,
                create_ts=time.time(),
            )
            store.put(task)
        self.publish(TASK_TOPIC, task_message(task, None))
        return task

    def move_task(
        self, task_id: int, new: TaskState, expect: frozenset[int], **changes: Any
    ) -> Task | None:
        """Move a task from one of the ``expect`` states to ``new``; None if it is not there."""
        with self.store.transaction() as store:
            task: Task | None = store.get("task", task_id)
            if task is None or task.state not in expect:
                return None
            old = task.state
            task.state = new
            for key, value in changes.items():
                setattr(task, key, value)
            if new in FINISHED_TASK_STATES:
                task.completion_ts = time.time()
            store.put(task)
        self.publish(TASK_TOPIC, task_message(task, old))
        return task

    def fail_task(self, task_id: int, error: GenericError) -> Task | None:
        return self.move_task(
            task_id,
            TaskState.FAILED,
            ACTIVE_TASK_STATES,
            fault_code=error.fault_code,
            fault_string=str(error),
        )

    def close_task(self, task_id: int, result: Any) -> Task | None:
        return self.move_task(task_id, TaskState.CLOSED, ACTIVE_TASK_STATES, result=result)

    def cancel_task(self, task_id: int) -> Task | None:
        task = self.move_task(task_id, TaskState.CANCELED, ACTIVE_TASK_STATES)
        if task is not None:
            for build in self.store.find("build", lambda b: b.task_id == task_id):
                self.move_build(build.id, BuildState.CANCELED, request=task.request)
        return task

    # -- builds ------------------------------------------------------------------

    def package_id(self, name: str) -> int:
        with self.store.transaction() as store:
            package = store.find_one("package", lambda p: p.name == name)
            if package is None:
                package = store.put(Package(id=store.next_id("package"), name=name))
            return int(package.id)

    def start_build(
        self, task: Task, name: str, version: str, release: str, epoch: int | None
    ) -> tuple[Build | None, Build | None]:
        """Create (or recycle a failed) build; returns ``(new, None)`` or ``(None, existing)``,
        or ``(None, None)`` when the task is no longer open (canceled meanwhile)."""
        nvr = (name, version, release)
        with self.store.transaction() as store:
            current: Task | None = store.get("task", task.id)
            if current is None or current.state != TaskState.OPEN:
                return None, None
            old: Build | None = store.find_one(
                "build", lambda b: (b.name, b.version, b.release) == nvr
            )
            if old is not None and old.state in (BuildState.BUILDING, BuildState.COMPLETE):
                return None, old
            build = Build(
                id=old.id if old else store.next_id("build"),
                package_id=self.package_id(name),
                name=name,
                version=version,
                release=release,
                epoch=epoch,
                state=BuildState.BUILDING,
                task_id=task.id,
                source=str(task.request[0]),
                creation_ts=time.time(),
            )
            store.put(build)
        self.publish(BUILD_TOPIC, build_message(build, None, task.request, self.web_url))
        return build, None

    def move_build(self, build_id: int, new: BuildState, request: list[Any]) -> Build | None:
        """Finish a BUILDING build as ``new``; None if it is not building."""
        with self.store.transaction() as store:
            build: Build | None = store.get("build", build_id)
            if build is None or build.state != BuildState.BUILDING:
                return None
            build.state = new
            build.completion_ts = time.time()
            store.put(build)
        self.publish(BUILD_TOPIC, build_message(build, BuildState.BUILDING, request, self.web_url))
        return build

    # -- tags --------------------------------------------------------------------

    def tag_build(self, build: Build, tag: Tag, force: bool = False) -> Listing:
        """Tag ``build``; a build already in the tag is a TagError, unless ``force``
        re-tags it (it becomes the newest entry of the tag again)."""
        with self.store.transaction() as store:
            if build.state != BuildState.COMPLETE:
                raise TagError(
                    f"build {build.nvr} not complete: state {BuildState(build.state).name}"
                )
            old = store.find("listing", lambda x: _active_in(x, tag, build))
            if old and not force:
                raise TagError(f"build {build.nvr} already tagged ({tag.name})")
            event = new_event(store)
            for row in old:
                row.revoke_event = event
                store.put(row)
            listing = store.put(
                Listing(
                    id=store.next_id("listing"),
                    tag_id=tag.id,
                    build_id=build.id,
                    create_ts=time.time(),
                    create_event=event,
                )
            )
        self.publish(TAG_TOPIC, tag_message(build, tag))
        return listing

    def untag_build(self, build: Build, tag: Tag, strict: bool = True) -> None:
        with self.store.transaction() as store:
            rows = store.find("listing", lambda x: _active_in(x, tag, build))
            if not rows:
                if strict:
                    raise TagError(f"build {build.nvr} not in tag {tag.name}")
                return
            event = new_event(store)
            for row in rows:
                row.revoke_event = event
                store.put(row)
        self.publish(UNTAG_TOPIC, tag_message(build, tag))


def _active_in(listing: Listing, tag: Tag, build: Build) -> bool:
    return (listing.tag_id, listing.build_id) == (tag.id, build.id) and listing.active_at(None)


def new_event(store: Store) -> int:
    """A new koji event id (call inside the store's transaction)."""
    return store.put(Event(id=store.next_id("event"), ts=time.time())).id
