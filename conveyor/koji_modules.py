"""The koji operations of the module build orchestrator (as Fedora's MBS does them).

A module gets a koji tag (the destination), a ``-build`` tag inheriting from the
platform tags, a build target joining them, the ``build`` and ``srpm-build``
groups of its buildroot, and its components in both tags' package lists.
Components are built with ``skip_tag`` and tagged in batches; a new repo of the
build tag lets the next batch build against the previous ones.

``KojiModuleOps`` is mixed into ``KojiClient`` (it uses the client's session and
error classification); ``RecordingModuleOps`` into ``RecordingKoji`` (dry runs:
an empty koji, state-changing calls recorded as ``{"kind": "koji.<call>", ...}``
with koji's own parameter names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import koji

from conveyor.errors import KojiError
from conveyor.koji_module_plan import KojiCall, RepoInfo, TagPlan, TagState, plan_calls

__all__ = ["KojiModuleOps", "RecordingModuleOps", "RepoInfo", "TagPlan"]

ACTIVE_TASK_STATES = [koji.TASK_STATES[s] for s in ("FREE", "OPEN", "ASSIGNED")]


def _value(call: Any, what: str) -> Any:
    """A multicall result; a koji fault becomes KojiError."""
    try:
        return call.result
    except koji.GenericError as exc:
        raise KojiError(f"koji refused {what}: {exc}") from exc


class KojiModuleOps:
    """The module operations of ``KojiClient`` (see the module docstring)."""

    session: koji.ClientSession
    _guard: Callable[[str], AbstractContextManager[None]]
    _call: Callable[..., Any]

    @contextmanager
    def _multicall(self, what: str, strict: bool = False) -> Iterator[Any]:
        """A koji multicall; the calls go out, in order, when the block ends."""
        with self._guard(what), self.session.multicall(strict=strict) as m:
            yield m

    def ensure_module_tags(self, plan: TagPlan) -> None:
        """Create what koji lacks of ``plan``: one multicall reads, one multicall writes
        (none when nothing is missing, so a second call changes nothing)."""
        with self._multicall("multiCall (module tags)") as m:
            dest, build = m.getTag(plan.tag), m.getTag(plan.build_tag)
            target = m.getBuildTarget(plan.target)
            parents = {p: m.getTag(p) for p in plan.parents}
            inheritance = m.getInheritanceData(plan.build_tag)
            groups = m.getTagGroups(plan.build_tag)
            listed = {
                t: m.listPackages(tagID=t, inherited=True) for t in (plan.tag, plan.build_tag)
            }
        state = TagState(_value(dest, "getTag"), _value(build, "getTag"))
        state.target = _value(target, "getBuildTarget")
        missing = [p for p, call in parents.items() if not _value(call, "getTag")]
        if missing:
            raise KojiError(f"koji has no parent tag {', '.join(missing)} for {plan.build_tag}")
        parent_ids = {p: int(call.result["id"]) for p, call in parents.items()}
        if state.build is not None:
            state.inheritance = list(_value(inheritance, "getInheritanceData"))
            state.groups = {
                g["name"]: {p["package"] for p in g.get("packagelist") or []}
                for g in _value(groups, "getTagGroups")
            }
        for tag, info in ((plan.tag, state.dest), (plan.build_tag, state.build)):
            if info is not None:
                rows = _value(listed[tag], "listPackages")
                state.packages[tag] = {r["package_name"] for r in rows if not r.get("blocked")}
        calls = plan_calls(plan, state, parent_ids)
        if calls:
            with self._multicall("multiCall (create module tags)", strict=True) as m:
                for call in calls:
                    getattr(m, call.method)(**call.params)

    def tag_builds(self, tag: str, nvrs: list[str]) -> dict[str, int | None]:
        """nvr -> tagBuild task id, None when the build is already in the tag. A tagBuild
        task still running for the build is adopted, not started again."""
        wanted = list(dict.fromkeys(n for n in nvrs if n))
        if not wanted:
            return {}
        with self._multicall("multiCall (tagging)") as m:
            info, tagged = m.getTag(tag, strict=True), m.listTagged(tag)
            builds = {nvr: m.getBuild(nvr) for nvr in wanted}
            tasks = m.listTasks(
                opts={"method": "tagBuild", "state": ACTIVE_TASK_STATES, "decode": True},
                queryOpts={"order": "-id"},
            )
        tag_id = _value(info, "getTag")["id"]
        present = {row["nvr"] for row in _value(tagged, "listTagged")}
        running: dict[int, int] = {}
        for task in _value(tasks, "listTasks"):
            request = task.get("request") or []
            if len(request) >= 2 and request[0] == tag_id:
                running.setdefault(request[1], int(task["id"]))
        found = {nvr: _value(call, "getBuild") for nvr, call in builds.items()}
        result: dict[str, int | None] = {}
        problems: list[str] = []
        todo: list[str] = []
        for nvr, build in found.items():
            if nvr in present:
                result[nvr] = None
            elif build is None:
                problems.append(f"{nvr}: no such build")
            elif build["id"] in running:
                result[nvr] = running[build["id"]]
            else:
                todo.append(nvr)
        if todo:
            with self._multicall("multiCall (tagBuild)") as m:
                started = {nvr: m.tagBuild(tag, nvr) for nvr in todo}
            for nvr, call in started.items():
                try:
                    result[nvr] = int(call.result)
                except koji.GenericError as exc:
                    problems.append(f"{nvr}: {exc}")
        if problems:
            raise KojiError(f"koji refused tagBuild into {tag}: {'; '.join(problems)}")
        return result

    def new_repo(self, tag: str) -> int:
        return int(self._call("newRepo", lambda: self.session.newRepo(tag)))

    def latest_repo(self, tag: str) -> RepoInfo | None:
        """The newest READY repo of the tag, if any."""
        return _repo_info(tag, self._call("getRepo", lambda: self.session.getRepo(tag)))

    def latest_repos(self, tags: list[str]) -> dict[str, RepoInfo | None]:
        """``latest_repo`` of many tags in ONE multicall (the reconciler's poll)."""
        unique = list(dict.fromkeys(tags))
        if not unique:
            return {}
        with self._multicall("multiCall (getRepo)") as m:
            calls = {t: m.getRepo(t) for t in unique}
        return {t: _repo_info(t, _value(c, "getRepo")) for t, c in calls.items()}

    def tagged_nvrs(self, tags: list[str]) -> dict[str, set[str]]:
        """NVRs tagged directly in each tag (no inheritance); a missing tag has none."""
        unique = list(dict.fromkeys(tags))
        if not unique:
            return {}
        with self._multicall("multiCall (listTagged)") as m:
            calls = {t: m.listTagged(t, strict=False) for t in unique}
        return {t: {row["nvr"] for row in _value(c, "listTagged")} for t, c in calls.items()}


def _repo_info(tag: str, repo: dict[str, Any] | None) -> RepoInfo | None:
    if not repo:
        return None
    return RepoInfo(
        id=int(repo["id"]),
        tag=tag,
        create_event=repo.get("create_event"),
        create_ts=float(repo.get("create_ts") or 0.0),
        state=koji.REPO_STATES[repo["state"]],
    )


class RecordingModuleOps:
    """The module operations of ``RecordingKoji``: an empty koji that records."""

    actions: list[dict[str, Any]]
    _new_task_id: Callable[[], int]

    def ensure_module_tags(self, plan: TagPlan) -> None:
        parent_ids = {p: p for p in plan.parents}  # an empty koji knows no tag ids
        self.actions.extend(c.record() for c in plan_calls(plan, TagState(), parent_ids))

    def tag_builds(self, tag: str, nvrs: list[str]) -> dict[str, int | None]:
        result: dict[str, int | None] = {}
        for nvr in dict.fromkeys(n for n in nvrs if n):
            self.actions.append(KojiCall("tagBuild", {"tag": tag, "build": nvr}).record())
            result[nvr] = self._new_task_id()
        return result

    def new_repo(self, tag: str) -> int:
        self.actions.append(KojiCall("newRepo", {"tag": tag}).record())
        return self._new_task_id()

    def latest_repo(self, tag: str) -> RepoInfo | None:
        return None

    def latest_repos(self, tags: list[str]) -> dict[str, RepoInfo | None]:
        return dict.fromkeys(tags)

    def tagged_nvrs(self, tags: list[str]) -> dict[str, set[str]]:
        return {t: set() for t in tags}
