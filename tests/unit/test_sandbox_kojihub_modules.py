"""The sandbox hub's calls for module builds, driven by the real koji.ClientSession, and
Conveyor's KojiClient module operations against it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import koji
import pytest

from conveyor.errors import KojiError, Retryable
from conveyor.koji_client import KojiClient, RepoInfo, TagPlan
from conveyor.settings import KojiSettings
from sandbox.kojihub import KojiHub
from sandbox.kojihub.model import RECORD_TYPES, Tag
from sandbox.kojihub.store import Store
from tests.unit.test_sandbox_kojihub import (
    SPEC,
    TAG_BODY_KEYS,
    Bus,
    DistGit,
    wait_task,
    wait_until,
)

CLOSED, FAILED = koji.TASK_STATES["CLOSED"], koji.TASK_STATES["FAILED"]
CANCELED = koji.TASK_STATES["CANCELED"]
DIST = ".module_f44+7+abcd1234"
LINK = {"maxdepth": None, "intransitive": False, "noconfig": False, "pkg_filter": ""}
REPO_DONE_KEYS = set(
    json.loads(
        (Path(__file__).parent.parent / "data/fedora-messages/koji_repo_done/005.json").read_text()
    )["body"]
)


@pytest.fixture
def distgit(tmp_path: Path) -> DistGit:
    (tmp_path / "distgit").mkdir()
    (tmp_path / "scratch").mkdir()
    return DistGit(tmp_path / "distgit", tmp_path / "scratch")


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def make_hub(distgit: DistGit, bus: Bus) -> Iterator[Callable[..., KojiHub]]:
    hubs: list[KojiHub] = []

    def make(**kwargs: Any) -> KojiHub:
        kwargs.setdefault("delay", 0.1)
        kwargs.setdefault("publish", bus)
        hub = KojiHub(distgit.root, **kwargs)
        hub.start()
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture
def hub(make_hub: Callable[..., KojiHub]) -> KojiHub:
    return make_hub()


@pytest.fixture
def session(hub: KojiHub) -> koji.ClientSession:
    return koji.ClientSession(hub.url)


def link(parent_id: int, priority: int, **changes: Any) -> dict[str, Any]:
    return {"parent_id": parent_id, "priority": priority, **LINK, **changes}


def build(
    session: koji.ClientSession, distgit: DistGit, name: str, target: str, **opts: Any
) -> str:
    """Build ``name`` (release 1) for ``target``; returns the NVR once the task closed."""
    commit = distgit.push_spec(name, SPEC.format(name=name, release="1"))
    task_id = session.build(distgit.source(name, commit), target, opts)
    info = wait_task(session, task_id)
    assert info["state"] == CLOSED, session.getTaskResult(task_id, raise_fault=False)
    return str(session.listBuilds(taskID=task_id)[0]["nvr"])


def module_tags(session: koji.ClientSession, tag: str = "module-a") -> None:
    """A module tag, its build tag (dist extra, inheriting f44-build) and target."""
    session.createTag(tag, arches="x86_64")
    session.createTag(f"{tag}-build", parent="f44-build", extra={"rpm.macro.dist": DIST})
    session.createBuildTarget(tag, f"{tag}-build", tag)


# -- tags ---------------------------------------------------------------------------


def test_create_and_edit_tags(session: koji.ClientSession) -> None:
    tag_id = session.createTag("m1", arches="x86_64,  aarch64", perm="admin", extra={"a": "1"})
    info = session.getTag(tag_id)
    assert (info["name"], info["arches"], info["perm"], info["extra"]) == (
        "m1", "x86_64 aarch64", "admin", {"a": "1"},
    )  # fmt: skip
    with pytest.raises(koji.GenericError, match="A tag with the name 'm1' already exists"):
        session.createTag("m1")
    with pytest.raises(koji.GenericError, match="Parent tag 'nope' could not be found"):
        session.createTag("m2", parent="nope")
    with pytest.raises(koji.GenericError, match="Maven support not enabled"):
        session.createTag("m2", maven_support=True)
    assert session.getTag("m2") is None

    session.editTag2("m1", arches="s390x", locked=True, extra={"b": 2}, block_extra=["c"])
    info = session.getTag("m1", blocked=True)
    assert (info["arches"], info["locked"]) == ("s390x", True)
    assert info["extra"] == {"a": [False, "1"], "b": [False, 2], "c": [True, None]}
    session.editTag2("m1", remove_extra=["a"], perm=None, name="m1-renamed")
    assert session.getTag("m1-renamed")["extra"] == {"b": 2}
    assert session.getTag("m1-renamed")["perm"] is None
    with pytest.raises(koji.GenericError, match="doesn't have extra: zzz"):
        session.editTag2("m1-renamed", remove_extra=["zzz"])
    with pytest.raises(koji.GenericError, match="Can not both add/update and remove"):
        session.editTag2("m1-renamed", extra={"b": 3}, remove_extra=["b"])
    with pytest.raises(koji.GenericError, match="Name f44 already taken by tag"):
        session.editTag2("m1-renamed", name="f44")
    with pytest.raises(koji.GenericError, match="No such entry in table permissions"):
        session.editTag2("m1-renamed", perm="nope")
    session.editTag("m1-renamed", "m1", "x86_64", False, "tag")  # the older signature
    assert (session.getTag("m1")["locked"], session.getTag("m1")["perm"]) == (False, "tag")
    with pytest.raises(koji.GenericError, match="build tag 'nope' does not exist"):
        session.createBuildTarget("t1", "nope", "m1")


def test_multiple_inheritance(session: koji.ClientSession) -> None:
    ids = {n: session.createTag(n) for n in ("grand", "p1", "p2", "p3")}
    child = session.createTag("child", parent="p1")
    assert session.getInheritanceData("child") == [
        {**link(ids["p1"], 0), "name": "p1", "child_id": child}
    ]
    session.setInheritanceData("p1", [link(ids["grand"], 0)])
    session.setInheritanceData("child", [link(ids["p2"], 10), link(ids["p3"], 20, maxdepth=0)])
    assert [(x["name"], x["priority"]) for x in session.getInheritanceData("child")] == [
        ("p1", 0), ("p2", 10), ("p3", 20),
    ]  # fmt: skip
    deep = session.createTag("deep", extra={"k": "deep"})
    session.setInheritanceData("p3", [link(deep, 0)])
    session.setInheritanceData("p2", [link(ids["grand"], 0, intransitive=True)])
    full = session.getFullInheritance("child")
    # depth first by priority; p3's maxdepth 0 stops before its parent, p2's link to
    # grand is intransitive (followed only from p2 itself)
    assert [(x["name"], x["currdepth"]) for x in full] == [
        ("p1", 1), ("grand", 2), ("p2", 1), ("p3", 1),
    ]  # fmt: skip
    assert [x["name"] for x in session.getFullInheritance("p2")] == ["grand"]
    session.setInheritanceData("child", [link(ids["p3"], 20, maxdepth=1)])
    assert [x["name"] for x in session.getFullInheritance("child")][-2:] == ["p3", "deep"]
    session.editTag2("p3", extra={"k": "p3"})
    assert session.getBuildConfig("child")["extra"] == {"k": "p3"}
    # noconfig skips that parent's config only (as koji's getBuildConfig does)
    session.setInheritanceData("child", [link(ids["p3"], 20, maxdepth=1, noconfig=True)])
    assert session.getBuildConfig("child")["extra"] == {"k": "deep"}
    reverse = session.getFullInheritance("grand", reverse=True)
    assert {x["name"] for x in reverse} == {"p1", "p2", "child"}

    with pytest.raises(koji.GenericError, match="cannot have the same priority value"):
        session.setInheritanceData("child", [link(ids["grand"], 10)])
    with pytest.raises(koji.GenericError, match="No value for maxdepth"):
        session.setInheritanceData("child", [{"parent_id": ids["grand"], "priority": 5}])
    with pytest.raises(koji.GenericError, match="duplicated parent_id"):
        session.setInheritanceData("child", [link(ids["grand"], 5), link(ids["grand"], 6)])
    with pytest.raises(koji.GenericError, match="No such tagInfo"):
        session.setInheritanceData("child", [link(999999, 5)])
    session.setInheritanceData("child", [{"parent_id": ids["p2"], "delete link": True}])
    assert [x["name"] for x in session.getInheritanceData("child")] == ["p1", "p3"]
    session.setInheritanceData("child", [link(ids["p2"], 0)], clear=True)
    assert [x["name"] for x in session.getInheritanceData("child")] == ["p2"]
    session.setInheritanceData("grand", [link(child, 0)])  # a loop is pruned, not followed
    assert [x["name"] for x in session.getFullInheritance("child")] == ["p2"]
    with pytest.raises(koji.ParameterError, match=r"removed since 1\.26"):
        session.getFullInheritance("child", stops={"a": 1})


def test_list_tagged_walks_every_parent_by_priority(
    session: koji.ClientSession, distgit: DistGit
) -> None:
    old = build(session, distgit, "foo", "rawhide")
    ids = {n: session.createTag(n) for n in ("p1", "p2", "grand")}
    session.createTag("child")
    session.setInheritanceData("child", [link(ids["p1"], 0), link(ids["p2"], 10)])
    session.setInheritanceData("p1", [link(ids["grand"], 0)])
    session.tagBuild("p2", old)
    session.tagBuild("grand", old)
    bar = build(session, distgit, "bar", "rawhide")
    session.tagBuild("p2", bar)

    rows = session.listTagged("child", inherit=True)
    assert [(r["nvr"], r["tag_name"]) for r in rows] == [
        (old, "grand"), (bar, "p2"), (old, "p2"),
    ]  # fmt: skip
    latest = session.getLatestBuilds("child")
    assert [(r["nvr"], r["tag_name"]) for r in latest] == [(old, "grand"), (bar, "p2")]
    assert session.listTagged("child") == []
    assert session.listTagged("nope", strict=False) == []
    with pytest.raises(koji.GenericError, match="No such tagInfo"):
        session.listTagged("nope")
    # a package blocked in the tag's package list hides its builds
    session.packageListAdd("child", "bar", owner="alice", block=True)
    assert [r["nvr"] for r in session.getLatestBuilds("child")] == [old]


def test_package_lists(session: koji.ClientSession) -> None:
    parent = session.createTag("plist-parent")
    session.createTag("plist")
    session.setInheritanceData("plist", [link(parent, 0, pkg_filter="^py")])
    with pytest.raises(koji.GenericError, match="owner not specified"):
        session.packageListAdd("plist", "foo")
    session.packageListAdd("plist", "foo", owner="alice")
    session.packageListAdd("plist", "foo", owner="alice")  # same data: nothing to do
    session.packageListAdd("plist-parent", "python-x", owner="bob")
    session.packageListAdd("plist-parent", "rust-y", owner="bob")  # filtered out below
    own = session.listPackages(tagID="plist")
    assert [(p["package_name"], p["owner_name"], p["blocked"]) for p in own] == [
        ("foo", "alice", False)
    ]
    inherited = session.listPackages(tagID="plist", inherited=True)
    assert [(p["package_name"], p["tag_name"]) for p in inherited] == [
        ("foo", "plist"), ("python-x", "plist-parent"),
    ]  # fmt: skip
    assert session.checkTagPackage("plist", "python-x") is True
    assert session.checkTagPackage("plist", "rust-y") is False
    session.packageListBlock("plist", "python-x")
    assert session.checkTagPackage("plist", "python-x") is False
    assert session.getPackageConfig("plist", "python-x")["blocked"] is True
    with pytest.raises(koji.GenericError, match="package python-x is blocked in tag plist"):
        session.packageListAdd("plist", "python-x", owner="bob", block=False)
    session.packageListRemove("plist", "python-x")
    assert session.checkTagPackage("plist", "python-x") is True
    names = {p["package_name"] for p in session.listPackages()}
    assert {"foo", "python-x", "rust-y"} <= names
    with pytest.raises(koji.GenericError, match="No such entry in table package"):
        session.listPackages(pkgID="nope")


def test_groups(session: koji.ClientSession) -> None:
    parent = session.createTag("g-parent")
    session.createTag("g-child")
    session.setInheritanceData("g-child", [link(parent, 0)])
    session.groupListAdd("g-parent", "build")
    session.groupPackageListAdd("g-parent", "build", "bash")
    session.groupListAdd("g-child", "build")  # inherited and unchanged: nothing to do
    session.groupPackageListAdd("g-child", "build", "gcc")
    session.groupListAdd("g-child", "srpm-build", description="for srpms")
    session.groupPackageListAdd("g-child", "srpm-build", "rpm-build", type="default")

    groups = {g["name"]: g for g in session.getTagGroups("g-child")}
    assert {p["package"] for p in groups["build"]["packagelist"]} == {"bash", "gcc"}
    assert groups["build"]["tag_id"] == parent and groups["build"]["grouplist"] == []
    (srpm,) = groups["srpm-build"]["packagelist"]
    assert (srpm["package"], srpm["type"]) == ("rpm-build", "default")
    assert groups["srpm-build"]["description"] == "for srpms"
    own = session.getTagGroups("g-child", inherit=False)
    assert [g["name"] for g in own] == ["srpm-build"]
    session.groupListRemove("g-parent", "build")
    with pytest.raises(koji.GenericError, match="group build not present in tag g-parent"):
        session.groupPackageListAdd("g-parent", "build", "x")
    with pytest.raises(koji.GenericError, match="No such entry in table groups: nope"):
        session.groupPackageListAdd("g-child", "nope", "x")
    session.groupListAdd("g-child", "srpm-build", block=True, force=True)
    assert [g["name"] for g in session.getTagGroups("g-child")] == []
    with pytest.raises(koji.GenericError, match="group srpm-build is blocked in tag g-child"):
        session.groupPackageListAdd("g-child", "srpm-build", "x")


# -- builds, tagging, repos ---------------------------------------------------------


def test_module_target_builds_with_the_tag_dist_and_skip_tag(
    session: koji.ClientSession, distgit: DistGit, bus: Bus
) -> None:
    module_tags(session)
    session.packageListAdd("module-a", "foo", owner="alice")
    assert session.getBuildConfig("module-a-build")["extra"]["rpm.macro.dist"] == DIST

    nvr = build(session, distgit, "foo", "module-a", skip_tag=True)
    assert nvr == f"foo-1.0-1{DIST}"
    assert session.listTagged("module-a") == []
    assert bus.of("buildsys.tag") == []
    (done,) = [m for m in bus.of("buildsys.build.state.change") if m["new"] == 1]
    assert done["request"][2] == {"skip_tag": True}

    # without skip_tag koji checks the destination's package list, then tags
    commit = distgit.push_spec("bar", SPEC.format(name="bar", release="1"))
    refused = session.build(distgit.source("bar", commit), "module-a")
    assert wait_task(session, refused)["state"] == FAILED
    with pytest.raises(koji.BuildError, match="package bar not in list for tag module-a"):
        session.getTaskResult(refused)
    session.packageListAdd("module-a", "bar", owner="alice")
    tagged = session.build(distgit.source("bar", commit), "module-a")
    assert wait_task(session, tagged)["state"] == CLOSED
    assert [b["nvr"] for b in session.listTagged("module-a")] == [f"bar-1.0-1{DIST}"]

    # the dist follows editTag2, and is inherited when the build tag has none
    session.editTag2("module-a-build", extra={"rpm.macro.dist": ".module_f44+8+0000"})
    assert build(session, distgit, "baz", "module-a", skip_tag=True).endswith(".module_f44+8+0000")
    session.editTag2("module-a-build", remove_extra=["rpm.macro.dist"])
    assert build(session, distgit, "qux", "module-a", skip_tag=True).endswith(".fc44")


def test_tag_build_semantics_and_messages(
    make_hub: Callable[..., KojiHub], distgit: DistGit, bus: Bus
) -> None:
    session = koji.ClientSession(make_hub(fail_patterns=["broken"]).url)
    module_tags(session)
    nvr = build(session, distgit, "foo", "module-a", skip_tag=True)

    first = session.tagBuild("module-a-build", nvr)
    assert session.getTaskInfo(first)["state"] == CLOSED
    (message,) = bus.of("buildsys.tag")
    assert message.keys() == TAG_BODY_KEYS
    assert (message["tag"], message["name"], message["version"], message["release"]) == (
        "module-a-build", "foo", "1.0", f"1{DIST}",
    )  # fmt: skip
    assert (message["user"], message["instance"]) == ("conveyor", "primary")

    again = session.tagBuild("module-a-build", nvr)  # koji: the task fails, no exception
    assert session.getTaskInfo(again)["state"] == FAILED
    with pytest.raises(koji.TagError, match=re.escape(f"build {nvr} already tagged (module-a-b")):
        session.getTaskResult(again)
    forced = session.tagBuild("module-a-build", nvr, force=True)
    assert session.getTaskInfo(forced)["state"] == CLOSED
    assert len(bus.of("buildsys.tag")) == 2
    assert len(session.listTagged("module-a-build")) == 1

    session.untagBuild("module-a-build", nvr)
    (untag,) = bus.of("buildsys.untag")
    assert untag.keys() == TAG_BODY_KEYS and untag["tag"] == "module-a-build"
    with pytest.raises(koji.TagError, match="not in tag module-a-build"):
        session.untagBuild("module-a-build", nvr)
    session.untagBuild("module-a-build", nvr, strict=False)

    session.editTag2("module-a-build", locked=True)
    with pytest.raises(koji.ActionNotAllowed, match="tag module-a-build is locked"):
        session.tagBuild("module-a-build", nvr)
    session.editTag2("module-a-build", locked=False)
    session.packageListAdd("module-a-build", "other", owner="alice")
    with pytest.raises(koji.TagError, match="Package foo not in list for module-a-build"):
        session.tagBuild("module-a-build", nvr)

    commit = distgit.push_spec("broken", SPEC.format(name="broken", release="1"))
    failed = session.build(distgit.source("broken", commit), "module-a", {"skip_tag": True})
    wait_task(session, failed)
    with pytest.raises(koji.TagError, match="not complete: state FAILED"):
        session.tagBuild("module-a", f"broken-1.0-1{DIST}")
    with pytest.raises(koji.GenericError, match="No such build"):
        session.tagBuild("module-a", "nope-1-1")


def test_new_repo_publishes_repo_done(hub: KojiHub, session: koji.ClientSession, bus: Bus) -> None:
    module_tags(session)
    assert session.getRepo("module-a-build") is None
    task_id = session.newRepo("module-a-build")
    assert session.getTaskInfo(task_id, request=True)["request"] == ["module-a-build"]
    assert wait_task(session, task_id)["state"] == CLOSED
    repo = session.getRepo("module-a-build")
    assert repo["state"] == koji.REPO_STATES["READY"] and repo["task_id"] == task_id
    assert session.getTaskResult(task_id)[0] == repo["id"]
    (done,) = bus.of("buildsys.repo.done")
    assert done.keys() == REPO_DONE_KEYS
    assert (done["tag"], done["repo_id"], done["instance"]) == (
        "module-a-build",
        repo["id"],
        "primary",
    )
    assert done["tag_id"] == session.getTag("module-a-build")["id"]
    second = session.newRepo("module-a-build")
    wait_task(session, second)
    assert session.getRepo("module-a-build")["id"] > repo["id"]
    assert session.getRepo(999999) is None
    with pytest.raises(koji.GenericError, match="No such tagInfo"):
        session.newRepo("nope")


def test_cancel_task_cancels_the_build_and_publishes(
    make_hub: Callable[..., KojiHub], distgit: DistGit, bus: Bus
) -> None:
    session = koji.ClientSession(make_hub(delay=3.0).url)
    module_tags(session)
    commit = distgit.push_spec("slow", SPEC.format(name="slow", release="1"))
    task_id = session.build(distgit.source("slow", commit), "module-a", {"skip_tag": True})
    building = wait_until(lambda: session.getBuild(f"slow-1.0-1{DIST}"))
    assert building["state"] == koji.BUILD_STATES["BUILDING"]

    session.cancelTask(task_id)

    assert session.getTaskInfo(task_id)["state"] == CANCELED
    assert session.getBuild(building["id"])["state"] == koji.BUILD_STATES["CANCELED"]
    tasks = [m for m in bus.of("buildsys.task.state.change") if m["id"] == task_id]
    assert (tasks[-1]["old"], tasks[-1]["new"]) == ("OPEN", "CANCELED")
    builds = bus.of("buildsys.build.state.change")
    assert (builds[-1]["old"], builds[-1]["new"]) == (0, koji.BUILD_STATES["CANCELED"])
    count = len(bus.messages)
    session.cancelTask(task_id)  # a finished task: nothing changes
    assert len(bus.messages) == count
    with pytest.raises(koji.GenericError, match="No such task"):
        session.cancelTask(424242)


def test_state_file_turns_a_legacy_parent_into_inheritance(tmp_path: Path) -> None:
    store = Store(tmp_path / "hub.sqlite")
    with store.transaction():
        parent = store.put(Tag(id=store.next_id("tag"), name="old-parent"))
        store.put(Tag(id=store.next_id("tag"), name="old-child", parent=parent.id))
    store.close()
    store = Store(tmp_path / "hub.sqlite")
    (child,) = store.find("tag", lambda t: t.name == "old-child")
    (link_,) = store.find("inheritance", lambda x: x.tag_id == child.id)
    assert (child.parent, link_.parent_id, link_.priority) == (None, parent.id, 0)
    store.close()


# -- Conveyor's KojiClient ------------------------------------------------------------


def plan_for(tag: str = "module-b", **changes: Any) -> TagPlan:
    values: dict[str, Any] = {
        "tag": tag,
        "build_tag": f"{tag}-build",
        "target": tag,
        "parents": ("f44-build", "f44"),
        "arches": "x86_64 aarch64",
        "groups": {"build": ("bash", "rpm-build"), "srpm-build": ("rpm-build",)},
        "packages": ("foo", "bar"),
        "owner": "alice",
        "extra": {"rpm.macro.dist": DIST, "rpm.macro.modularitylabel": "b:1:7:abcd1234"},
    }
    values.update(changes)
    return TagPlan(**values)


def hub_state(hub: KojiHub) -> dict[str, list[Any]]:
    assert hub.api is not None
    return {kind: hub.api.store.find(kind) for kind in RECORD_TYPES}


@pytest.fixture
def client(hub: KojiHub) -> KojiClient:
    return KojiClient(KojiSettings(hub_url=hub.url, timeout=10))


def test_ensure_module_tags_creates_once(
    hub: KojiHub, session: koji.ClientSession, client: KojiClient
) -> None:
    plan = plan_for()
    client.ensure_module_tags(plan)

    build_tag = session.getTag("module-b-build")
    assert build_tag["extra"] == plan.extra and build_tag["arches"] == "x86_64 aarch64"
    assert session.getTag("module-b")["arches"] == "x86_64 aarch64"
    parents = [(x["name"], x["priority"]) for x in session.getInheritanceData("module-b-build")]
    assert parents == [("f44-build", 0), ("f44", 10)]
    target = session.getBuildTarget("module-b")
    assert (target["build_tag_name"], target["dest_tag_name"]) == ("module-b-build", "module-b")
    groups = {
        g["name"]: {p["package"] for p in g["packagelist"]}
        for g in session.getTagGroups("module-b-build")
    }
    assert groups == {"build": {"bash", "rpm-build"}, "srpm-build": {"rpm-build"}}
    for tag in ("module-b", "module-b-build"):
        listed = session.listPackages(tagID=tag)
        assert {(p["package_name"], p["owner_name"]) for p in listed} == {
            ("foo", "alice"), ("bar", "alice"),
        }  # fmt: skip

    before = hub_state(hub)
    client.ensure_module_tags(plan)
    assert hub_state(hub) == before

    # a changed plan changes only what differs
    client.ensure_module_tags(
        plan_for(packages=("foo", "bar", "baz"), extra={**plan.extra, "rpm.macro.dist": ".x"})
    )
    assert session.getTag("module-b-build")["extra"]["rpm.macro.dist"] == ".x"
    assert {p["package_name"] for p in session.listPackages(tagID="module-b")} == {
        "foo", "bar", "baz",
    }  # fmt: skip
    after = hub_state(hub)
    assert after["tag"] != before["tag"] and after["target"] == before["target"]
    assert after["inheritance"] == before["inheritance"]


def test_ensure_module_tags_refusals(
    hub: KojiHub, session: koji.ClientSession, client: KojiClient
) -> None:
    before = hub_state(hub)
    with pytest.raises(KojiError, match="no parent tag f99-build"):
        client.ensure_module_tags(plan_for(parents=("f99-build",)))
    assert hub_state(hub) == before
    session.createTag("elsewhere")
    session.createBuildTarget("module-c", "f44-build", "elsewhere")
    with pytest.raises(KojiError, match="build target module-c exists"):
        client.ensure_module_tags(plan_for("module-c"))
    offline = KojiClient(KojiSettings(hub_url="http://127.0.0.1:9/kojihub", timeout=2))
    with pytest.raises(Retryable):
        offline.ensure_module_tags(plan_for())


def test_submit_tag_repo_and_tagged_nvrs(
    hub: KojiHub, session: koji.ClientSession, client: KojiClient, distgit: DistGit
) -> None:
    plan = plan_for()
    client.ensure_module_tags(plan)
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    task_id = client.submit_build(distgit.source("foo", commit), plan.target, {"skip_tag": True})
    assert wait_task(session, task_id)["state"] == CLOSED
    nvr = f"foo-1.0-1{DIST}"
    assert session.getBuild(nvr)["task_id"] == task_id
    assert client.tagged_nvrs([plan.tag, plan.build_tag, "nope"]) == {
        plan.tag: set(), plan.build_tag: set(), "nope": set(),
    }  # fmt: skip

    tasks = client.tag_builds(plan.build_tag, [nvr, nvr])
    assert list(tasks) == [nvr] and session.getTaskInfo(tasks[nvr])["method"] == "tagBuild"
    assert client.tag_builds(plan.build_tag, [nvr]) == {nvr: None}
    assert client.tagged_nvrs([plan.build_tag, plan.tag]) == {
        plan.build_tag: {nvr},
        plan.tag: set(),
    }
    failed = [t for t in session.listTasks({"method": "tagBuild"}) if t["state"] == FAILED]
    assert failed == []  # the check came first: no failing tagBuild task
    with pytest.raises(KojiError, match="nope-1-1: no such build"):
        client.tag_builds(plan.tag, ["nope-1-1"])
    with pytest.raises(KojiError, match="No such tagInfo"):
        client.tag_builds("nope", [nvr])

    assert client.latest_repo(plan.build_tag) is None
    repo_task = client.new_repo(plan.build_tag)
    assert wait_task(session, repo_task)["state"] == CLOSED
    repo = client.latest_repo(plan.build_tag)
    assert isinstance(repo, RepoInfo)
    assert (repo.tag, repo.state) == (plan.build_tag, "READY") and repo.create_ts > 0
    assert repo.id == session.getRepo(plan.build_tag)["id"]
    with pytest.raises(KojiError):
        client.latest_repo("nope")
    repos = client.latest_repos([plan.build_tag, plan.tag, plan.build_tag])
    assert repos == {plan.build_tag: repo, plan.tag: None}

    # the older two-argument submit still builds and tags
    commit = distgit.push_spec("bar", SPEC.format(name="bar", release="1"))
    plain = client.submit_build(distgit.source("bar", commit), plan.target)
    assert wait_task(session, plain)["state"] == CLOSED
    assert client.tagged_nvrs([plan.tag])[plan.tag] == {f"bar-1.0-1{DIST}"}
