"""The definition store: history per stream, the newest is current, records are idempotent."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from conveyor.cli import main
from conveyor.deps import DepGraph
from conveyor.deps.definition import from_module_streams
from conveyor.deps.load import LoadReport, load_text, record_module_build
from conveyor.deps.store import definition_at, history, record
from conveyor.modulemd import load_stream
from models import ModuleBuild
from models.migrations import upgrade
from models.module_dependency import ModuleDependency
from models.module_stream import ModuleStreamDefinition
from sandbox.modulemd_template import modulemd
from tests.unit.test_deps_graph import v2

APP_F29 = v2("app", "1", "  - buildrequires:\n      platform: [f29]\n")
APP_F30 = v2("app", "1", "  - buildrequires:\n      platform: [f30]\n")


def load(session_factory, text: str, origin: str = "app.yaml") -> LoadReport:
    report = LoadReport()
    with session_factory.begin() as session:
        load_text(session, text, origin=origin, report=report)
    return report


def graph(session_factory) -> DepGraph:
    with session_factory() as session:
        return DepGraph.load(session)


def test_newest_definition_is_current_and_older_ones_are_history(session_factory):
    assert load(session_factory, APP_F29).recorded == ["app:1"]
    assert graph(session_factory).buildrequires("app:1") == {"platform:f29"}
    assert load(session_factory, APP_F30).recorded == ["app:1"]
    assert graph(session_factory).buildrequires("app:1") == {"platform:f30"}
    # the f29 text again is already known: nothing added, f30 stays current
    assert load(session_factory, APP_F29).unchanged == ["app:1"]
    assert graph(session_factory).buildrequires("app:1") == {"platform:f30"}
    with session_factory() as session:
        rows = history(session, "app", "1")
        assert [[d.streams for d in r.dependencies] for r in rows] == [[["f29"]], [["f30"]]]
        assert session.scalar(select(func.count()).select_from(ModuleDependency)) == 2


def test_definition_at_a_time(session_factory):
    load(session_factory, APP_F29)
    with session_factory.begin() as session:
        first = session.scalars(select(ModuleStreamDefinition)).one()
        first.recorded_at = datetime(2026, 1, 1)
    load(session_factory, APP_F30)
    with session_factory() as session:
        assert definition_at(session, "app", "1", datetime(2025, 12, 31)) is None
        old = definition_at(session, "app", "1", datetime(2026, 1, 1) + timedelta(days=1))
        assert old is not None and old.dependencies[0].streams == ["f29"]
        now = definition_at(session, "app", "1", datetime(2100, 1, 1))
        assert now is not None and now.dependencies[0].streams == ["f30"]


def test_same_source_twice_is_one_row(session_factory):
    definition = from_module_streams([load_stream(APP_F29)])
    with session_factory.begin() as session:
        _, created = record(session, definition, source_kind="commit", source="c" * 40)
        again, created_again = record(session, definition, source_kind="commit", source="c" * 40)
    assert (created, created_again) == (True, False)
    assert again.ns == "app:1"


def test_module_build_records_its_modulemd_unless_the_commit_is_known(session_factory):
    text = modulemd({"bash": 1}, platform="f29")
    with session_factory.begin() as session:
        build = ModuleBuild(
            name="shell", stream="main", version=1, scmurl="git+x?#" + "b" * 40,
            commit="b" * 40, owner="alice", modulemd=text,
        )  # fmt: skip
        session.add(build)
        session.flush()
        assert record_module_build(session, build) is True
        assert record_module_build(session, build) is False
        build.modulemd = "document: modulemd\nversion: 2\ndata: {}\n"
        build.commit = "d" * 40
        assert record_module_build(session, build) is False  # invalid: nothing recorded
    got = graph(session_factory)
    assert got.requires("shell:main") == {"platform:f29"}
    assert got.including("bash") == {"shell:main": "rawhide"}


def test_history_cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    upgrade(url)
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(APP_F29)
    second.write_text(
        v2("app", "1", "  - buildrequires:\n      platform: [f30]\n  - requires:\n      x: []\n")
    )
    env = {"CONVEYOR_DATABASE_URL": url}

    def run(*args: str):
        return CliRunner().invoke(main, ["deps", *args], env=env)

    assert run("load", str(first)).exit_code == 0
    assert run("load", str(second)).exit_code == 0
    result = run("history", "app:1", "--json")
    assert result.exit_code == 0
    revisions = json.loads(result.stdout)
    assert [r["dependencies"] for r in revisions] == [
        ["buildrequires platform:[f29]"],
        ["buildrequires platform:[f30]#0", "requires x:[]#1"],
    ]
    assert [r["origin"] for r in revisions] == [str(first), str(second)]
    text = run("history", "app:1")
    assert text.stdout.splitlines()[0].endswith(f"{first}: buildrequires platform:[f29]")
    assert run("history", "app:2").exit_code == 1


def test_the_database_refuses_an_unknown_dependency_kind_or_source_kind(session_factory):
    from sqlalchemy.exc import IntegrityError

    load(session_factory, APP_F29)
    with session_factory() as session:
        definition_id = session.scalars(select(ModuleStreamDefinition.id)).one()
        session.add(ModuleDependency(definition_id=definition_id, block=0, kind="suggests",
                                     module="x", streams=[]))  # fmt: skip
        with pytest.raises(IntegrityError, match="CHECK constraint failed"):
            session.flush()
        session.rollback()
        session.add(ModuleStreamDefinition(name="a", stream="1", source_kind="guess",
                                           source="s", mdversion=2))  # fmt: skip
        with pytest.raises(IntegrityError, match="CHECK constraint failed"):
            session.flush()
