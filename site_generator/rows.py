"""The one way the gather phase reads a table: declared columns onto frozen rows, one query."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

R = TypeVar("R")


def select_rows(
    session: Session,
    row_type: type[R],
    model: Any,
    *order: Any,
    limit: int = 0,
    where: ColumnElement[bool] | None = None,
) -> tuple[R, ...]:
    """Select exactly the columns ``row_type`` declares from ``model``, in one query."""
    columns = [getattr(model, f.name) for f in fields(row_type)]  # type: ignore[arg-type]
    query = select(*columns).order_by(*order)
    if where is not None:
        query = query.where(where)
    if limit:
        query = query.limit(limit)
    # Core execution: plain column rows need none of the ORM's result handling.
    return tuple(row_type(*row) for row in session.connection().execute(query))
