"""Branch history: the commit of a branch at a time, and module builds on old hashes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from conveyor.branch_history import built_against_old_hash, commit_at
from conveyor.cli import main
from models import BranchRef, ComponentBuild, ModuleBuild, Package
from models.migrations import upgrade

T0 = datetime(2026, 11, 1, 12, 0, 0)
C1, C2, C3, PIN = "1" * 40, "2" * 40, "3" * 40, "f" * 40


def push(s, package: Package, branch: str, new: str, at: datetime, old: str | None = None):
    s.add(
        BranchRef(
            package_id=package.id, branch=branch, old_commit=old, new_commit=new,
            pusher="alice", pushed_at=at, message_id=f"m-{new}-{at}",
        )
    )  # fmt: skip


def module(s, name: str, state: str, components: dict[str, tuple[str, str]]) -> int:
    """A module build whose components are package -> (ref, commit)."""
    build = ModuleBuild(
        name=name, stream="main", version=20261101000000, scmurl="git+x?#a", commit="a" * 40,
        owner="alice", modulemd="document: modulemd", state=state,
        koji_tag=None if state in ("init", "wait", "failed") else f"module-{name}",
    )  # fmt: skip
    s.add(build)
    s.flush()
    for package, (ref, commit) in components.items():
        s.add(
            ComponentBuild(
                module_build_id=build.id, package=package, ref=ref, commit=commit,
                repository=f"https://src.example.org/rpms/{package}", batch=1,
            )
        )  # fmt: skip
    return build.id


def history(s) -> dict[str, int]:
    bash, zsh, other = (Package(namespace=n, name=p) for n, p in (
        ("rpms", "bash"), ("rpms", "zsh"), ("containers", "bash"),
    ))  # fmt: skip
    s.add_all([bash, zsh, other])
    s.flush()
    push(s, bash, "rawhide", C1, T0)
    push(s, bash, "rawhide", C2, T0 + timedelta(hours=1), old=C1)
    push(s, bash, "rawhide", C3, T0 + timedelta(hours=2), old=C2)
    push(s, bash, "f41", C1, T0 + timedelta(hours=3))
    push(s, zsh, "rawhide", C1, T0)
    push(s, other, "rawhide", C2, T0 + timedelta(hours=5))  # another namespace, same name
    s.flush()
    return {
        "stale": module(s, "shell", "done", {"bash": ("rawhide", C2), "zsh": ("rawhide", C1)}),
        "current": module(s, "fresh", "ready", {"bash": ("rawhide", C3), "zsh": ("rawhide", C1)}),
        "pinned": module(s, "pinned", "done", {"bash": (PIN, PIN)}),
        "failed": module(s, "broken", "failed", {"bash": ("rawhide", C1)}),
        "branch": module(s, "stable", "build", {"bash": ("f41", C1), "zsh": ("f41", C1)}),
    }


def test_commit_at_a_time(session_factory):
    with session_factory.begin() as s:
        history(s)
    with session_factory() as s:
        assert commit_at(s, "rpms", "bash", "rawhide", T0 - timedelta(seconds=1)) is None
        assert commit_at(s, "rpms", "bash", "rawhide", T0) == C1
        assert commit_at(s, "rpms", "bash", "rawhide", T0 + timedelta(minutes=90)) == C2
        assert commit_at(s, "rpms", "bash", "rawhide") == C3
        # an aware time is converted to UTC first: 14:30+01:00 is 13:30 UTC
        aware = datetime(2026, 11, 1, 14, 30, tzinfo=UTC) - timedelta(hours=1)
        assert commit_at(s, "rpms", "bash", "rawhide", aware) == C2
        assert commit_at(s, "rpms", "bash", "f41", T0 + timedelta(hours=2)) is None
        assert commit_at(s, "containers", "bash", "rawhide") == C2
        assert commit_at(s, "rpms", "nope", "rawhide") is None


def test_built_against_old_hash(session_factory):
    with session_factory.begin() as s:
        ids = history(s)
    with session_factory() as s:
        stale = built_against_old_hash(s)
    assert [(x.module_build_id, x.package, x.built_commit, x.head_commit) for x in stale] == [
        (ids["stale"], "bash", C2, C3)
    ]
    assert stale[0].module == "shell:main:20261101000000" and stale[0].branch == "rawhide"
    assert stale[0].head_pushed_at == T0 + timedelta(hours=2)
    # failed builds built nothing, but can be asked for
    with session_factory() as s:
        failed = built_against_old_hash(s, states=["failed"])
    assert [(x.module_build_id, x.head_commit) for x in failed] == [(ids["failed"], C3)]


def test_a_new_push_makes_a_current_build_stale(session_factory):
    with session_factory.begin() as s:
        ids = history(s)
        zsh = s.query(Package).filter_by(namespace="rpms", name="zsh").one()
        push(s, zsh, "rawhide", C2, T0 + timedelta(hours=6), old=C1)
    with session_factory() as s:
        stale = {(x.module_build_id, x.package) for x in built_against_old_hash(s)}
    assert stale == {(ids["stale"], "bash"), (ids["stale"], "zsh"), (ids["current"], "zsh")}


def test_cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'bh.sqlite'}"
    upgrade(url)
    from conveyor.db import make_session_factory

    factory = make_session_factory(url)
    with factory.begin() as s:
        ids = history(s)
    factory.kw["bind"].dispose()
    env = {"CONVEYOR_DATABASE_URL": url}

    def run(*args: str):
        return CliRunner().invoke(main, ["branch-history", *args], env=env)

    now = run("at", "rpms/bash", "rawhide")
    assert now.exit_code == 0 and now.stdout == f"{C3}\n"
    then = run("at", "rpms/bash", "rawhide", "--when", "2026-11-01T13:30:00Z")
    assert then.stdout == f"{C2}\n"
    before = run("at", "rpms/bash", "rawhide", "--when", "2026-10-01")
    assert before.exit_code == 1 and "no push of rpms/bash branch 'rawhide'" in before.stderr
    assert run("at", "bash", "rawhide").exit_code == 1
    assert run("at", "rpms/bash", "rawhide", "--when", "yesterday").exit_code == 1
    listed = run("stale-builds", "--json")
    assert listed.exit_code == 0
    (only,) = json.loads(listed.stdout)
    assert only["module_build_id"] == ids["stale"] and only["head_commit"] == C3
    assert only["head_pushed_at"] == "2026-11-01T14:00:00"
    text = run("stale-builds")
    assert text.stdout.startswith(f"#{ids['stale']} shell:main:20261101000000 (done) rpms/bash")
