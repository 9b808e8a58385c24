"""Bulk-load the Fedora-scale dataset: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

The schema comes first, from ``alembic upgrade head``; then every table in
``columns`` order (foreign keys point backwards in it), then ``ANALYZE`` and,
on PostgreSQL, each id sequence set past the ids the generator chose.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, text

from conveyor.db import normalize_url
from models.migrations import upgrade

if TYPE_CHECKING:
    from bench.site_dataset import Tables


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # what SQLAlchemy stores
    if isinstance(value, date):
        return value.isoformat()  # a module stream's EOL
    if isinstance(value, bool):
        return int(value)
    return value


def load_tables(url: str, tables: Tables, layout: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Create the schema with alembic, then bulk-load every table of ``layout`` (table ->
    column names, in load order); return row counts."""
    upgrade(url)
    url = normalize_url(url)
    order = list(layout)
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            for table in order:
                columns = layout[table]
                quoted = ", ".join(f'"{c}"' for c in columns)  # "commit", "key": keywords
                sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(columns))})"
                rows = tables.rows.get(table, [])
                connection.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))
            connection.commit()
            connection.execute("ANALYZE")
        finally:
            connection.close()
    else:
        engine = create_engine(url)
        try:
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                for table in order:
                    columns = ", ".join(f'"{c}"' for c in layout[table])
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in tables.rows.get(table, []):
                            copy.write_row(row)
                raw.commit()
            finally:
                raw.close()
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
                for table in order:  # the sequences behind the ids we chose
                    if "id" in layout[table]:
                        conn.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))"
                        ))  # fmt: skip
        finally:
            engine.dispose()
    return {table: tables.count(table) for table in order}
