"""``GET /api/1/composes/``: ODCS's filters, ordering and pagination.

Filters (each once, exact match): ``owner``, ``source_type`` and ``state``
(ODCS's code or name), ``state_name``, ``source``, ``label``,
``compose_type``, ``koji_event``, ``pungi_compose_id``, ``origin`` (a
Conveyor extra) and ``koji_task_id`` (Conveyor's composes have no koji task,
so it matches nothing). ``order_by`` is one of ODCS's fields, ``-`` for
descending (default ``-id``). ``page`` and ``per_page`` (default 10, at most
100) page the result; ``meta`` has ODCS's keys.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from flask import request
from sqlalchemy import Select, case, false, func, select
from sqlalchemy.orm import Session

from api import inputs
from api.compose_serialize import compose_json
from api.errors import ApiError
from models.compose import SOURCE_TYPE_CODES, STATE_CODES, Compose

DEFAULT_PER_PAGE = 10  # ODCS's
MAX_PER_PAGE = 100
TEXT_FILTERS = ("owner", "source", "label", "compose_type", "origin")
FILTERS = (*TEXT_FILTERS, "source_type", "state", "state_name", "koji_event",
           "pungi_compose_id", "koji_task_id")  # fmt: skip
PARAMS = (*FILTERS, "order_by", "page", "per_page")
STATE_ORDER = case(dict(STATE_CODES), value=Compose.state)
SOURCE_TYPE_ORDER = case(dict(SOURCE_TYPE_CODES), value=Compose.source_type)
ORDER_BY: dict[str, Any] = {
    "id": Compose.id,
    "owner": Compose.owner,
    "source_type": SOURCE_TYPE_ORDER,
    "koji_event": Compose.koji_event,
    "state": STATE_ORDER,
    "time_to_expire": Compose.time_to_expire,
    "time_done": Compose.time_done,
    "time_removed": Compose.time_removed,
    "time_submitted": Compose.time_submitted,
}


def list_composes(session: Session, toplevel_base: str) -> dict[str, Any]:
    inputs.check_query(PARAMS)
    page = inputs.int_param("page", 1)
    per_page = inputs.int_param("per_page", DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE)
    query = _filtered(select(Compose))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows: list[Compose] = []
    offset = (page - 1) * per_page
    if offset < total:
        ordered = query.order_by(_order(), Compose.id.desc()).offset(offset).limit(per_page)
        rows = list(session.scalars(ordered))
    return {
        "items": [compose_json(c, toplevel_base) for c in rows],
        "meta": _meta(page, per_page, total),
    }


def _one(name: str) -> str | None:
    values = inputs.values_param(name)
    if len(values) > 1:
        raise ApiError(400, f"{name}: give it once")
    return values[0] if values else None


def _code(name: str, codes: dict[str, int]) -> str | None:
    """A state or source type by ODCS's number or name, as the stored name."""
    raw = _one(name)
    if raw is None:
        return None
    by_number = {str(code): key for key, code in codes.items()}
    found = by_number.get(raw, raw if raw in codes else None)
    if found is None:
        raise ApiError(400, f"An invalid {name} was supplied: {raw[:40]!r}")
    return found


def _filtered(query: Select[tuple[Compose]]) -> Select[tuple[Compose]]:
    for name in TEXT_FILTERS:
        value = _one(name)
        if value is not None:
            query = query.where(getattr(Compose, name) == value)
    for name, codes, column in (
        ("source_type", SOURCE_TYPE_CODES, Compose.source_type),
        ("state", STATE_CODES, Compose.state),
        ("state_name", STATE_CODES, Compose.state),
    ):
        value = _code(name, dict(codes))
        if value is not None:
            query = query.where(column == value)
    koji_event = _one("koji_event")
    if koji_event is not None:
        if not koji_event.isascii() or not koji_event.isdigit() or len(koji_event) > 18:
            raise ApiError(400, f"koji_event: expected a number, got {koji_event[:40]!r}")
        query = query.where(Compose.koji_event == int(koji_event))
    pungi_id = _one("pungi_compose_id")
    if pungi_id is not None:
        query = query.where(Compose.origin == "pungi", Compose.external_id == pungi_id)
    if _one("koji_task_id") is not None:
        query = query.where(false())
    return query


def _order() -> Any:
    raw = _one("order_by") or "-id"
    descending = raw.startswith("-")
    column = ORDER_BY.get(raw.removeprefix("-"))
    if column is None:
        raise ApiError(
            400, f"order_by: {raw[:40]!r} is not one of {', '.join(ORDER_BY)} (- for descending)"
        )
    return column.desc() if descending else column.asc()


def _meta(page: int, per_page: int, total: int) -> dict[str, Any]:
    pages = math.ceil(total / per_page)
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]

    def link(number: int) -> str:
        query = urlencode([*kept, ("page", str(number)), ("per_page", str(per_page))])
        return f"{request.script_root}{request.path}?{query}"

    return {
        "first": link(1),
        "last": link(max(pages, 1)),
        "next": link(page + 1) if page < pages else None,
        "prev": link(min(page - 1, pages)) if page > 1 and pages else None,
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "total": total,
    }
