"""What koji must hold for a module build, and the calls that get it there.

``plan_calls`` compares a ``TagPlan`` with what koji has (``TagState``) and
returns only the missing or differing pieces, as ``KojiCall``s with koji's own
parameter names; applied in order, they are accepted by koji in one multicall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conveyor.errors import KojiError

LINK_FIELDS = ("parent_id", "priority", "maxdepth", "intransitive", "noconfig", "pkg_filter")


@dataclass(frozen=True)
class TagPlan:
    """Everything koji must have for one module build."""

    tag: str  # the module's koji tag (dest tag of the target)
    build_tag: str  # tag + "-build"
    target: str  # build target name (== tag, as MBS does)
    parents: tuple[str, ...]  # build tag inheritance, in priority order (0, 10, 20...)
    arches: str
    groups: dict[str, tuple[str, ...]]  # build group name -> packages
    packages: tuple[str, ...]  # component package names, listed in both tags
    owner: str
    extra: dict[str, str]  # build tag extra, e.g. {"rpm.macro.dist": ".module_f43+12+abcd1234"}


@dataclass(frozen=True)
class RepoInfo:
    id: int
    tag: str
    create_event: int | None
    create_ts: float
    state: str  # koji.REPO_STATES name


@dataclass(frozen=True)
class KojiCall:
    """One koji call, with keyword arguments named as koji's hub names them."""

    method: str
    params: dict[str, Any]

    def record(self) -> dict[str, Any]:
        return {"kind": f"koji.{self.method}", **self.params}


@dataclass
class TagState:
    """What koji has of a plan (an empty koji: nothing)."""

    dest: dict[str, Any] | None = None
    build: dict[str, Any] | None = None
    target: dict[str, Any] | None = None
    inheritance: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[str, set[str]] = field(default_factory=dict)  # group -> packages
    packages: dict[str, set[str]] = field(default_factory=dict)  # tag -> listed, unblocked


def _arches(value: Any) -> str:
    return " ".join(str(value or "").replace(",", " ").split())


def plan_calls(plan: TagPlan, state: TagState, parent_ids: dict[str, Any]) -> list[KojiCall]:
    """The calls that bring koji from ``state`` to ``plan``, in an order koji accepts
    (tags before the links, target, groups and package lists that name them)."""
    calls: list[KojiCall] = []
    arches = _arches(plan.arches)
    if state.dest is None:
        calls.append(KojiCall("createTag", {"name": plan.tag, "arches": arches}))
    elif _arches(state.dest.get("arches")) != arches:
        calls.append(KojiCall("editTag2", {"tagInfo": plan.tag, "arches": arches}))
    if state.build is None:
        params = {"name": plan.build_tag, "arches": arches, "extra": dict(plan.extra)}
        calls.append(KojiCall("createTag", params))
    else:
        changes: dict[str, Any] = {}
        if _arches(state.build.get("arches")) != arches:
            changes["arches"] = arches
        have = state.build.get("extra") or {}
        extra = {k: v for k, v in plan.extra.items() if have.get(k) != v}
        if extra:
            changes["extra"] = extra
        if changes:
            calls.append(KojiCall("editTag2", {"tagInfo": plan.build_tag, **changes}))
    wanted = [
        dict(zip(LINK_FIELDS, (parent_ids[p], 10 * i, None, False, False, ""), strict=True))
        for i, p in enumerate(plan.parents)
    ]
    current = sorted(
        ({k: row.get(k) for k in LINK_FIELDS} for row in state.inheritance),
        key=lambda row: row["priority"],
    )
    for row in current:
        row["pkg_filter"] = row["pkg_filter"] or ""
    if current != wanted:
        calls.append(
            KojiCall("setInheritanceData", {"tag": plan.build_tag, "data": wanted, "clear": True})
        )
    if state.target is None:
        params = {"name": plan.target, "build_tag": plan.build_tag, "dest_tag": plan.tag}
        calls.append(KojiCall("createBuildTarget", params))
    elif (state.target.get("build_tag_name"), state.target.get("dest_tag_name")) != (
        plan.build_tag,
        plan.tag,
    ):
        raise KojiError(
            f"koji build target {plan.target} exists with build tag "
            f"{state.target.get('build_tag_name')} and destination "
            f"{state.target.get('dest_tag_name')}, not {plan.build_tag} and {plan.tag}"
        )
    for group, packages in plan.groups.items():
        have_packages = state.groups.get(group)
        if have_packages is None:
            calls.append(KojiCall("groupListAdd", {"taginfo": plan.build_tag, "grpinfo": group}))
            have_packages = set()
        for package in dict.fromkeys(packages):
            if package not in have_packages:
                params = {"taginfo": plan.build_tag, "grpinfo": group, "pkg_name": package}
                calls.append(KojiCall("groupPackageListAdd", params))
    for tag in (plan.tag, plan.build_tag):
        listed = state.packages.get(tag, set())
        for package in dict.fromkeys(plan.packages):
            if package not in listed:
                params = {"taginfo": tag, "pkginfo": package, "owner": plan.owner}
                calls.append(KojiCall("packageListAdd", params))
    return calls
