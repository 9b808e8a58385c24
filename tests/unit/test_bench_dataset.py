"""bench.site_dataset at a small scale: it loads into SQLite under the models' constraints,
names only what exists, and is the same for the same seed."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import datetime

import pytest

from bench import site_dataset_ci
from bench.site_dataset import COLUMNS, Scale, generate, load
from models import Base

NOW = datetime(2026, 11, 1, 12, 0, 0)
SMALL = Scale(
    packages=300, builds=3_000, module_builds=60, in_flight=20, rejected=10, streams=120,
    composes=150, chains=30,
)  # fmt: skip


@pytest.fixture(scope="module")
def tables():
    return generate(SMALL, NOW)


@pytest.fixture(scope="module")
def loaded(tables, tmp_path_factory):
    path = tmp_path_factory.mktemp("dataset") / "site.sqlite"
    counts = load(f"sqlite:///{path}", tables)
    connection = sqlite3.connect(path)
    yield connection, counts
    connection.close()


def _column(tables, table: str, name: str) -> list:
    index = COLUMNS[table].index(name)
    return [row[index] for row in tables.rows.get(table, [])]


def test_every_generated_table_names_the_models_columns():
    for table, columns in COLUMNS.items():
        assert set(columns) == {c.name for c in Base.metadata.tables[table].columns}, table


def test_loads_under_check_constraints_with_every_reference_resolved(loaded, tables):
    connection, counts = loaded
    # SQLite checks CHECK constraints on insert; foreign keys only when asked, so ask
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    for table in ("composes", "compose_contents", "rebuild_chains", "chain_items",
                  "module_stream_definitions", "module_dependencies", "test_results",
                  "gating_decisions"):  # fmt: skip
        stored = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert stored == counts[table] == tables.count(table) > 0, table


def test_one_current_definition_per_stream_rooted_at_platform(loaded):
    connection, _ = loaded
    streams = connection.execute(
        "SELECT count(*) FROM (SELECT DISTINCT name, stream FROM module_stream_definitions)"
    ).fetchone()[0]
    assert streams == SMALL.streams
    platform = connection.execute(
        "SELECT count(DISTINCT definition_id) FROM module_dependencies "
        "WHERE kind = 'buildrequires' AND module = 'platform'"
    ).fetchone()[0]
    non_platform = connection.execute(
        "SELECT count(*) FROM module_stream_definitions WHERE name != 'platform'"
    ).fetchone()[0]
    assert platform == non_platform  # every definition buildrequires some platform
    unknown_rpms = connection.execute(
        "SELECT count(*) FROM module_component_refs WHERE rpm NOT IN (SELECT name FROM packages)"
    ).fetchone()[0]
    assert unknown_rpms == 0


def test_compose_contents_name_existing_builds_and_module_builds(loaded):
    connection, _ = loaded
    orphans = connection.execute(
        "SELECT count(*) FROM compose_contents c WHERE c.kind = 'rpm' "
        "AND c.artifact NOT IN (SELECT nvr FROM builds WHERE nvr IS NOT NULL) "
        "AND c.artifact NOT IN (SELECT nvr FROM component_builds WHERE nvr IS NOT NULL)"
    ).fetchone()[0]
    modules = connection.execute(
        "SELECT count(*) FROM compose_contents c WHERE c.kind = 'module' AND c.artifact NOT IN "
        "(SELECT name || ':' || stream || ':' || version || ':' || context FROM module_builds)"
    ).fetchone()[0]
    assert (orphans, modules) == (0, 0)
    sizes = connection.execute(
        "SELECT count(DISTINCT artifact) FROM compose_contents GROUP BY compose_id"
    ).fetchall()
    assert max(n for (n,) in sizes) <= 200 + 10  # a module compose adds its modules' NSVCs


def test_compose_and_chain_states_spread_as_odcs_and_conveyor_have_them(tables):
    composes = Counter(_column(tables, "composes", "state"))
    assert composes["removed"] > composes["done"] > 0
    assert composes["failed"] > 0 and composes["wait"] + composes["generating"] > 0
    assert {"module", "tag", "build"} <= set(_column(tables, "composes", "source_type"))
    chains = set(_column(tables, "rebuild_chains", "state"))
    assert {"complete", "failed", "canceled"} <= chains


def test_chain_items_are_built_by_module_builds_of_their_stream(loaded):
    connection, _ = loaded
    wrong = connection.execute(
        "SELECT count(*) FROM chain_items i JOIN module_builds m ON m.id = i.module_build_id "
        "WHERE m.name != i.name OR m.stream != i.stream"
    ).fetchone()[0]
    assert wrong == 0


def test_ci_results_name_built_nvrs_and_gated_module_builds(loaded):
    connection, _ = loaded
    unknown = connection.execute(
        "SELECT count(*) FROM test_results WHERE artifact_type = 'koji_build' "
        "AND artifact NOT IN (SELECT nvr FROM builds WHERE nvr IS NOT NULL)"
    ).fetchone()[0]
    assert unknown == 0
    ready_gated = connection.execute(
        "SELECT count(*) FROM gating_decisions g JOIN module_builds m ON m.id = g.module_build_id "
        "WHERE m.state = 'ready' AND g.outcome = 'passed'"
    ).fetchone()[0]
    ready = connection.execute("SELECT count(*) FROM module_builds WHERE state = 'ready'")
    assert ready_gated == ready.fetchone()[0] > 0


def test_same_seed_same_rows_and_the_new_parts_leave_the_older_tables_alone(tables):
    again = generate(SMALL, NOW)
    assert again.rows == tables.rows
    fewer = generate(Scale(**{**SMALL.__dict__, "composes": 10, "chains": 2, "streams": 80}), NOW)
    for table in ("packages", "builds", "module_builds", "component_builds"):
        assert fewer.rows[table] == tables.rows[table]


def test_gating_decisions_follow_the_required_results(tables):
    required = set(site_dataset_ci.REQUIRED)
    final: dict[str, dict[str, str]] = {}
    for artifact, testcase, outcome in zip(
        _column(tables, "test_results", "artifact"),
        _column(tables, "test_results", "testcase"),
        _column(tables, "test_results", "outcome"),
        strict=True,
    ):
        if outcome != "running":
            final.setdefault(artifact, {})[testcase] = outcome
    verdicts = Counter()
    for nvr, outcome in zip(
        _column(tables, "gating_decisions", "nvr"),
        _column(tables, "gating_decisions", "outcome"),
        strict=True,
    ):
        if nvr is None:
            continue
        results = {t: o for t, o in final.get(nvr, {}).items() if t in required}
        expected = (
            "failed" if set(results.values()) - {"passed", "info"}
            else "waiting" if set(results) != required else "passed"
        )  # fmt: skip
        assert outcome == expected, nvr
        verdicts[outcome] += 1
    assert verdicts["passed"] > verdicts["failed"] > 0
    assert verdicts["waiting"] < verdicts["failed"]  # required tests rarely still running
