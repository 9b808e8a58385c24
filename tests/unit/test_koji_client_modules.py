"""The module operations of RecordingKoji (dry runs) and the tag planner (no koji needed)."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.errors import KojiError
from conveyor.koji_client import Koji, KojiClient, RecordingKoji, TagPlan
from conveyor.koji_module_plan import TagState, plan_calls
from tests.unit.fakes import FakeKoji

PLAN = TagPlan(
    tag="module-perl-5.40-4300-abcd1234",
    build_tag="module-perl-5.40-4300-abcd1234-build",
    target="module-perl-5.40-4300-abcd1234",
    parents=("f43-build", "module-bootstrap-build"),
    arches="x86_64",
    groups={"build": ("bash", "gcc"), "srpm-build": ("rpm-build",)},
    packages=("perl",),
    owner="alice",
    extra={"rpm.macro.dist": ".module_f43+1+abcd1234"},
)
LINK = {"maxdepth": None, "intransitive": False, "noconfig": False, "pkg_filter": ""}


def kinds(actions: list[dict[str, Any]]) -> list[str]:
    return [a["kind"] for a in actions]


def test_recording_koji_records_what_an_empty_koji_needs() -> None:
    recorder = RecordingKoji()
    recorder.ensure_module_tags(PLAN)
    assert kinds(recorder.actions) == [
        "koji.createTag",
        "koji.createTag",
        "koji.setInheritanceData",
        "koji.createBuildTarget",
        "koji.groupListAdd",
        "koji.groupPackageListAdd",
        "koji.groupPackageListAdd",
        "koji.groupListAdd",
        "koji.groupPackageListAdd",
        "koji.packageListAdd",
        "koji.packageListAdd",
    ]
    create_dest, create_build, inherit, target = recorder.actions[:4]
    assert create_dest == {"kind": "koji.createTag", "name": PLAN.tag, "arches": "x86_64"}
    assert create_build["extra"] == PLAN.extra and create_build["name"] == PLAN.build_tag
    assert inherit["tag"] == PLAN.build_tag and inherit["clear"] is True
    assert inherit["data"] == [
        {"parent_id": "f43-build", "priority": 0, **LINK},
        {"parent_id": "module-bootstrap-build", "priority": 10, **LINK},
    ]
    assert target == {
        "kind": "koji.createBuildTarget",
        "name": PLAN.target,
        "build_tag": PLAN.build_tag,
        "dest_tag": PLAN.tag,
    }
    assert recorder.actions[-1] == {
        "kind": "koji.packageListAdd",
        "taginfo": PLAN.build_tag,
        "pkginfo": "perl",
        "owner": "alice",
    }


def test_recording_koji_tagging_repos_and_builds() -> None:
    recorder = RecordingKoji(next_task_id=50)
    assert recorder.submit_build("git+https://x/rpms/a.git#1", "t", {"skip_tag": True}) == 50
    assert recorder.submit_build("git+https://x/rpms/a.git#1", "t") == 51
    assert recorder.tag_builds("tag", ["a-1-1", "b-1-1", "a-1-1"]) == {"a-1-1": 52, "b-1-1": 53}
    assert recorder.new_repo("tag-build") == 54
    assert recorder.latest_repo("tag-build") is None
    assert recorder.tagged_nvrs(["tag", "other"]) == {"tag": set(), "other": set()}
    assert recorder.actions == [
        {
            "kind": "koji.build",
            "source": "git+https://x/rpms/a.git#1",
            "target": "t",
            "opts": {"skip_tag": True},
        },
        {"kind": "koji.build", "source": "git+https://x/rpms/a.git#1", "target": "t"},
        {"kind": "koji.tagBuild", "tag": "tag", "build": "a-1-1"},
        {"kind": "koji.tagBuild", "tag": "tag", "build": "b-1-1"},
        {"kind": "koji.newRepo", "tag": "tag-build"},
    ]


def present_state() -> TagState:
    """What koji has once PLAN is fully in place (parents are ids 1 and 2)."""
    return TagState(
        dest={"name": PLAN.tag, "arches": "x86_64", "extra": {}},
        build={"name": PLAN.build_tag, "arches": "x86_64", "extra": dict(PLAN.extra)},
        target={"build_tag_name": PLAN.build_tag, "dest_tag_name": PLAN.tag},
        inheritance=[
            {"parent_id": 2, "priority": 10, **LINK, "name": "b", "child_id": 9},
            {"parent_id": 1, "priority": 0, **LINK, "name": "a", "child_id": 9},
        ],
        groups={"build": {"bash", "gcc", "make"}, "srpm-build": {"rpm-build"}},
        packages={PLAN.tag: {"perl"}, PLAN.build_tag: {"perl", "other"}},
    )


def test_plan_calls_only_what_differs() -> None:
    ids = {"f43-build": 1, "module-bootstrap-build": 2}
    assert plan_calls(PLAN, present_state(), ids) == []

    state = present_state()
    state.build = {"arches": "x86_64, aarch64", "extra": {"rpm.macro.dist": ".old", "x": "1"}}
    state.groups = {"build": {"bash"}}
    state.packages = {PLAN.tag: set()}
    calls = [(c.method, c.params) for c in plan_calls(PLAN, state, ids)]
    assert calls == [
        (
            "editTag2",
            {"tagInfo": PLAN.build_tag, "arches": "x86_64", "extra": PLAN.extra},
        ),
        ("groupPackageListAdd", {"taginfo": PLAN.build_tag, "grpinfo": "build", "pkg_name": "gcc"}),
        ("groupListAdd", {"taginfo": PLAN.build_tag, "grpinfo": "srpm-build"}),
        (
            "groupPackageListAdd",
            {"taginfo": PLAN.build_tag, "grpinfo": "srpm-build", "pkg_name": "rpm-build"},
        ),
        ("packageListAdd", {"taginfo": PLAN.tag, "pkginfo": "perl", "owner": "alice"}),
        ("packageListAdd", {"taginfo": PLAN.build_tag, "pkginfo": "perl", "owner": "alice"}),
    ]

    state = present_state()
    state.inheritance = state.inheritance[1:]  # a parent link went missing
    (call,) = plan_calls(PLAN, state, ids)
    assert (call.method, call.params["clear"]) == ("setInheritanceData", True)
    assert [link["parent_id"] for link in call.params["data"]] == [1, 2]

    state = present_state()
    state.target = {"build_tag_name": "f43-build", "dest_tag_name": PLAN.tag}
    with pytest.raises(KojiError, match="exists with build tag f43-build"):
        plan_calls(PLAN, state, ids)


def test_every_koji_implements_the_module_operations() -> None:
    operations = ("ensure_module_tags", "tag_builds", "new_repo", "latest_repo", "tagged_nvrs")
    for implementation in (KojiClient, RecordingKoji, FakeKoji):
        for name in (*operations, "submit_build", "cancel_task"):
            assert callable(getattr(implementation, name)), (implementation, name)
    assert all(hasattr(Koji, name) for name in operations)


def test_fake_koji_module_behaviour() -> None:
    fake = FakeKoji()
    fake.ensure_module_tags(PLAN)
    assert fake.ensured == [PLAN] and fake.tagged[PLAN.build_tag] == set()
    assert fake.submit_build("src", PLAN.target, {"skip_tag": True}) == 1000
    assert fake.submitted == [("src", PLAN.target)]
    assert fake.submitted_opts == [{"skip_tag": True}]
    assert fake.tag_builds(PLAN.build_tag, ["perl-1-1"]) == {"perl-1-1": 1001}
    assert fake.tag_builds(PLAN.build_tag, ["perl-1-1"]) == {"perl-1-1": None}
    assert fake.tagged_nvrs([PLAN.build_tag, PLAN.tag]) == {
        PLAN.build_tag: {"perl-1-1"},
        PLAN.tag: set(),
    }
    assert fake.new_repo(PLAN.build_tag) == 1002 and fake.repo_requests == [PLAN.build_tag]
    assert fake.latest_repo(PLAN.build_tag) is None
