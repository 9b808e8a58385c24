"""Records rendered as the dicts koji's API returns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .model import (
    HOST_ID,
    HOST_NAME,
    OWNER_ID,
    OWNER_NAME,
    PERMISSIONS,
    Build,
    BuildState,
    Listing,
    Repo,
    Tag,
    Target,
    Task,
    TaskState,
)


def koji_time(ts: float | None) -> str | None:
    """Koji's text timestamps: ``2024-01-01 10:00:00.123456+00:00``."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(sep=" ")


def iso_time(ts: float | None) -> str | None:
    """The ISO form used in the fedora-messaging bodies."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat()


def task_info(task: Task, request: bool = True) -> dict[str, Any]:
    info: dict[str, Any] = {
        "id": task.id,
        "state": int(task.state),
        "method": task.method,
        "owner": OWNER_ID,
        "owner_name": OWNER_NAME,
        "parent": task.parent,
        "arch": "noarch",
        "label": None,
        "priority": task.priority,
        "weight": 0.2,
        "channel_id": task.channel_id,
        "host_id": task.host_id,
        "host_name": HOST_NAME if task.host_id == HOST_ID else None,
        "waiting": None,
        "awaited": None,
        "create_time": task.create_ts,
        "create_ts": task.create_ts,
        "start_time": task.start_ts,
        "start_ts": task.start_ts,
        "completion_time": task.completion_ts,
        "completion_ts": task.completion_ts,
    }
    if request:
        info["request"] = list(task.request)
    return info


def task_state_name(state: int | None) -> str | None:
    return None if state is None else TaskState(state).name


def build_info(build: Build) -> dict[str, Any]:
    return {
        "id": build.id,
        "build_id": build.id,
        "package_id": build.package_id,
        "package_name": build.name,
        "name": build.name,
        "version": build.version,
        "release": build.release,
        "epoch": build.epoch,
        "nvr": build.nvr,
        "state": int(build.state),
        "task_id": build.task_id,
        "owner_id": OWNER_ID,
        "owner_name": OWNER_NAME,
        "source": build.source,
        "creation_event_id": build.id,
        "creation_time": koji_time(build.creation_ts),
        "creation_ts": build.creation_ts,
        "start_time": koji_time(build.creation_ts),
        "start_ts": build.creation_ts,
        "completion_time": koji_time(build.completion_ts),
        "completion_ts": build.completion_ts,
        "volume_id": 0,
        "volume_name": "DEFAULT",
        "draft": False,
        "extra": None,
        "cg_id": None,
        "cg_name": None,
    }


def build_state_name(state: int) -> str:
    return BuildState(state).name


def tagged_build_info(build: Build, tag: Tag, listing: Listing) -> dict[str, Any]:
    info = build_info(build)
    info.update(
        tag_id=tag.id, tag_name=tag.name, create_event=listing.id, create_ts=listing.create_ts
    )
    return info


def tag_info(tag: Tag, blocked: bool = False) -> dict[str, Any]:
    """``getTag``: with ``blocked``, extra maps key -> [blocked, value] and lists blocks."""
    extra: dict[str, Any] = dict(tag.extra)
    if blocked:
        extra = {k: [False, v] for k, v in extra.items()}
        extra.update({k: [True, None] for k in tag.blocked_extra})
    return {
        "id": tag.id,
        "name": tag.name,
        "arches": tag.arches,
        "locked": tag.locked,
        "perm": tag.perm,
        "perm_id": PERMISSIONS.index(tag.perm) + 1 if tag.perm in PERMISSIONS else None,
        "maven_support": False,
        "maven_include_all": False,
        "extra": extra,
    }


def target_info(target: Target, build_tag: Tag, dest_tag: Tag) -> dict[str, Any]:
    return {
        "id": target.id,
        "name": target.name,
        "build_tag": build_tag.id,
        "build_tag_name": build_tag.name,
        "dest_tag": dest_tag.id,
        "dest_tag_name": dest_tag.name,
    }


def repo_info(repo: Repo, tag: Tag) -> dict[str, Any]:
    return {
        "id": repo.id,
        "state": repo.state,
        "create_event": repo.id,
        "create_ts": repo.create_ts,
        "creation_time": koji_time(repo.create_ts),
        "tag_id": tag.id,
        "tag_name": tag.name,
        "task_id": repo.task_id,
        "dist": False,
    }
