"""models.migrations: alembic's head is exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from models import Base
from models.migrations import alembic_config, upgrade


def _url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'migrated.sqlite'}"


def test_upgrade_creates_every_table_at_head(tmp_path):
    url = _url(tmp_path)
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert version == head


def test_migrated_schema_matches_the_models(tmp_path):
    url = _url(tmp_path)
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_upgrade_twice_is_a_no_op(tmp_path):
    url = _url(tmp_path)
    upgrade(url)
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        engine.dispose()


def test_the_comparison_would_notice_a_missing_table(tmp_path):
    """Guard against a comparison that can never fail: an empty schema differs."""
    engine = create_engine(_url(tmp_path))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    added = {d[1].name for d in diff if d[0] == "add_table"}
    assert added == set(Base.metadata.tables)


def test_the_migrated_database_enforces_the_check_constraints(tmp_path):
    url = _url(tmp_path)
    upgrade(url)
    engine = create_engine(url)
    insert = text(
        "INSERT INTO builds (package_id, branch, \"commit\", target, source, state, "
        "state_reason, reason, created_at, updated_at) "
        "VALUES (1, 'rawhide', 'abc', 'rawhide', 'src', :state, '', '', '2024-01-01', '2024-01-01')"
    )
    try:
        with engine.connect() as conn:
            checks = {c["name"] for c in inspect(conn).get_check_constraints("builds")}
            conn.execute(text("INSERT INTO packages (namespace, name) VALUES ('rpms', 'bash')"))
            for state in ("building", "exploded"):
                with pytest.raises(IntegrityError, match="CHECK constraint failed"):
                    conn.execute(insert, {"state": state})
            conn.execute(insert, {"state": "queued"})
    finally:
        engine.dispose()
    assert {
        "ck_builds_state_known", "ck_builds_started_has_task", "ck_builds_complete_has_nvr"
    } <= checks
