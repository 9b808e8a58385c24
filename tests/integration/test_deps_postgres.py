"""``conveyor deps`` on a real PostgreSQL answers exactly as on SQLite.

The F29 module metadata is loaded by real ``conveyor`` processes (two at once, so the
unique key and the savepoint in ``conveyor.deps.store.record`` meet a real race), then
every query is compared with the same load on SQLite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from conveyor.branch_history import built_against_old_hash
from conveyor.cli import main
from conveyor.db import make_session_factory
from conveyor.deps import DepGraph
from models.module_stream import ModuleStreamDefinition
from sandbox.postgres import PostgreSQL
from tests.unit.test_branch_history import C2, C3, history

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

F29 = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "modulemd"
    / "libmodulemd__modulemd__tests__test_data__f29.yaml"
)
CONVEYOR = str(Path(sys.executable).parent / "conveyor")


def conveyor(url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CONVEYOR_DATABASE_URL": url}
    env.pop("CONVEYOR_SETTINGS", None)
    return subprocess.Popen(
        [CONVEYOR, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finished(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def graph(url: str) -> DepGraph:
    factory = make_session_factory(url)
    try:
        with factory() as session:
            return DepGraph.load(session, default_ref="rawhide")
    finally:
        factory.kw["bind"].dispose()


def test_deps_load_and_queries_match_sqlite(postgres: PostgreSQL, tmp_path: Path) -> None:
    pg = postgres.create_database("deps")
    lite = f"sqlite:///{tmp_path / 'deps.sqlite'}"
    for url in (pg, lite):
        code, output = finished(conveyor(url, "db", "upgrade"))
        assert code == 0, output
    racers = [conveyor(pg, "deps", "load", str(F29)) for _ in range(2)]
    results = [finished(p) for p in racers]
    assert [code for code, _ in results] == [0, 0], results
    recorded = sorted(int(out.split(": ")[1].split()[0]) for _, out in results)
    assert sum(recorded) == 48  # each stream recorded once, by one of the two
    code, output = finished(conveyor(lite, "deps", "load", str(F29)))
    assert code == 0, output

    factory = make_session_factory(pg)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(ModuleStreamDefinition)) == 48
    factory.kw["bind"].dispose()

    on_pg, on_lite = graph(pg), graph(lite)
    assert on_pg.nodes == on_lite.nodes and len(on_pg.nodes) == 50
    for ns in sorted(on_pg.nodes):
        for query in ("requires", "buildrequires", "dependants"):
            assert getattr(on_pg, query)(ns) == getattr(on_lite, query)(ns), (query, ns)
    assert on_pg.including("perl") == on_lite.including("perl")
    assert on_pg.streams_of("reviewboard") == ("2.5", "3.0")

    def cli(url: str, *args: str) -> str:
        result = CliRunner().invoke(main, ["deps", *args], env={"CONVEYOR_DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        return result.stdout

    for args in (
        ("requires", "reviewboard:3.0", "--json"),
        ("dependants", "platform:f29", "--json"),
        ("dependants", "container-tools:2017.0", "--direct", "--json"),
        ("including", "rpms/perl", "--json"),
    ):
        assert cli(pg, *args) == cli(lite, *args)
    assert json.loads(cli(pg, "requires", "reviewboard:3.0", "--json")) == [
        "django:1.6",
        "platform:f29",
    ]


def test_built_against_old_hash_on_postgresql(postgres: PostgreSQL) -> None:
    url = postgres.create_database("branch_history")
    code, output = finished(conveyor(url, "db", "upgrade"))
    assert code == 0, output
    factory = make_session_factory(url)
    try:
        with factory.begin() as session:
            ids = history(session)
        with factory() as session:
            stale = built_against_old_hash(session)
    finally:
        factory.kw["bind"].dispose()
    assert [(s.module_build_id, s.package, s.built_commit, s.head_commit) for s in stale] == [
        (ids["stale"], "bash", C2, C3)
    ]
