"""Test doubles and helpers shared by the unit tests (no services needed)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from consumers.pipeline import Incoming
from conveyor.koji_client import RepoInfo, TagPlan, TaskStatus

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ROOT / "tests" / "data" / "fedora-messages"
CONFIG = ROOT / "config"

COMMIT_A = "a" * 40
COMMIT_B = "b" * 40
COMMIT_C = "c" * 40
OLD_COMMIT = "0123456789abcdef0123456789abcdef01234567"
PROD = "org.fedoraproject.prod."


@dataclass
class FakeKoji:
    """Implements ``conveyor.koji_client.Koji``; records every call, answers as told.

    Module operations keep a tiny koji in memory: ``tagged`` (tag -> NVRs, tagging
    takes effect at once), ``repos`` (tag -> the RepoInfo ``latest_repo`` answers),
    ``module_tags`` (the plans ensured, by tag).
    """

    next_task_id: int = 1000
    existing: dict[tuple[str, str], int] = field(default_factory=dict)
    statuses: dict[int, TaskStatus] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    submit_error: BaseException | None = None
    find_error: BaseException | None = None
    submitted: list[tuple[str, str]] = field(default_factory=list)
    submitted_opts: list[dict[str, Any]] = field(default_factory=list)
    find_calls: list[tuple[str, str]] = field(default_factory=list)
    status_calls: list[list[int]] = field(default_factory=list)
    failure_calls: list[int] = field(default_factory=list)
    canceled: list[int] = field(default_factory=list)
    # module builds
    ensure_error: BaseException | None = None
    tag_error: BaseException | None = None
    repo_error: BaseException | None = None
    ensured: list[TagPlan] = field(default_factory=list)
    module_tags: dict[str, TagPlan] = field(default_factory=dict)
    tagged: dict[str, set[str]] = field(default_factory=dict)
    tag_calls: list[tuple[str, list[str]]] = field(default_factory=list)
    repo_requests: list[str] = field(default_factory=list)
    repos: dict[str, RepoInfo] = field(default_factory=dict)
    repo_polls: list[list[str]] = field(default_factory=list)

    def _task_id(self) -> int:
        self.next_task_id += 1
        return self.next_task_id - 1

    def find_build_task(self, source: str, target: str) -> int | None:
        self.find_calls.append((source, target))
        if self.find_error is not None:
            raise self.find_error
        return self.existing.get((source, target))

    def submit_build(self, source: str, target: str, opts: dict | None = None) -> int:
        if self.submit_error is not None:
            raise self.submit_error
        self.submitted.append((source, target))
        self.submitted_opts.append(dict(opts or {}))
        return self._task_id()

    def task_statuses(self, task_ids: list[int]) -> dict[int, TaskStatus]:
        self.status_calls.append(list(task_ids))
        return {t: self.statuses[t] for t in task_ids if t in self.statuses}

    def task_failure(self, task_id: int) -> str:
        self.failure_calls.append(task_id)
        return self.failures.get(task_id, "koji reports the task failed without a reason")

    def cancel_task(self, task_id: int) -> None:
        self.canceled.append(task_id)

    def ensure_module_tags(self, plan: TagPlan) -> None:
        if self.ensure_error is not None:
            raise self.ensure_error
        self.ensured.append(plan)
        self.module_tags[plan.tag] = plan
        for tag in (plan.tag, plan.build_tag):
            self.tagged.setdefault(tag, set())

    def tag_builds(self, tag: str, nvrs: list[str]) -> dict[str, int | None]:
        self.tag_calls.append((tag, list(nvrs)))
        if self.tag_error is not None:
            raise self.tag_error
        present = self.tagged.setdefault(tag, set())
        result: dict[str, int | None] = {}
        for nvr in dict.fromkeys(n for n in nvrs if n):
            result[nvr] = None if nvr in present else self._task_id()
            present.add(nvr)
        return result

    def new_repo(self, tag: str) -> int:
        if self.repo_error is not None:
            raise self.repo_error
        self.repo_requests.append(tag)
        return self._task_id()

    def latest_repo(self, tag: str) -> RepoInfo | None:
        return self.repos.get(tag)

    def latest_repos(self, tags: list[str]) -> dict[str, RepoInfo | None]:
        self.repo_polls.append(list(tags))
        return {t: self.repos.get(t) for t in tags}

    def tagged_nvrs(self, tags: list[str]) -> dict[str, set[str]]:
        return {t: set(self.tagged.get(t, set())) for t in tags}


def new_id() -> str:
    return str(uuid.uuid4())


def load_message(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def corpus(*families: str) -> list[Path]:
    """Captured message files of the given families (all families when none given)."""
    folders = [MESSAGES / f for f in families] if families else [MESSAGES]
    return sorted(p for folder in folders for p in folder.rglob("*.json"))


def incoming_from_file(path: Path) -> Incoming:
    """A captured message with an id of its own (corpus ids are not unique)."""
    data = load_message(path)
    return Incoming(new_id(), data["topic"], data["body"], data.get("headers"))


def git_receive(
    repo: str = "bash",
    branch: str = "rawhide",
    rev: str = COMMIT_A,
    *,
    namespace: str | None = "rpms",
    username: str | None = "alice",
    **extra: Any,
) -> Incoming:
    commit: dict[str, Any] = {"repo": repo, "branch": branch, "rev": rev}
    if namespace is not None:
        commit["namespace"] = namespace
    if username is not None:
        commit["username"] = username
    commit.update(extra)
    return Incoming(new_id(), PROD + "git.receive", {"commit": commit})


def pagure_receive(
    name: str = "bash",
    branch: str = "rawhide",
    end_commit: str = COMMIT_A,
    *,
    namespace: str = "rpms",
    agent: str = "alice",
    full_url: str | None = None,
    parent: dict | None = None,
) -> Incoming:
    repo: dict[str, Any] = {"name": name, "namespace": namespace, "parent": parent}
    if full_url is not None:
        repo["full_url"] = full_url
    body = {
        "repo": repo,
        "branch": branch,
        "end_commit": end_commit,
        "old_commit": OLD_COMMIT,
        "agent": agent,
        "forced": False,
    }
    return Incoming(new_id(), PROD + "pagure.git.receive", body)


def task_message(task_id: int, new: str, old: str | None = "FREE", **extra: Any) -> Incoming:
    body = {"id": task_id, "new": new, "old": old, "method": "build", "owner": "conveyor"}
    body.update(extra)
    return Incoming(new_id(), PROD + "buildsys.task.state.change", body)


def build_message(
    task_id: int | None,
    new: int,
    old: int | None = 0,
    *,
    build_id: int = 555,
    name: str = "bash",
    version: str = "5.2.26",
    release: str = "1.fc41",
    **extra: Any,
) -> Incoming:
    body = {
        "build_id": build_id,
        "name": name,
        "version": version,
        "release": release,
        "new": new,
        "old": old,
        "task_id": task_id,
        "owner": "conveyor",
        "instance": "primary",
    }
    body.update(extra)
    return Incoming(new_id(), PROD + "buildsys.build.state.change", body)


def count(session_factory: sessionmaker[Session], model: Any, *where: Any) -> int:
    with session_factory() as session:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        return session.scalar(query) or 0


def all_rows(session_factory: sessionmaker[Session], model: Any, *order: Any) -> list[Any]:
    with session_factory() as session:
        query = select(model)
        if order:
            query = query.order_by(*order)
        return list(session.scalars(query))
