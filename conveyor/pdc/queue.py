"""The PDC queue: enqueue intended changes once, send them with bounded retries.

Modelled on dramatiq's Retries middleware: a change that fails because PDC
is unavailable waits ``backoff_seconds * 2**(attempts-1)`` (capped) and is
tried again, up to ``max_attempts``; then, or at once when PDC rejects it
(4xx: retrying cannot help), it becomes ``failed`` with its last error: the
dead letters, logged, left for ``conveyor pdc initialize`` after a fix.

No database transaction is held while PDC is called: a row is read, sent,
then updated only if nobody superseded it meanwhile (its ``updated_at``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from conveyor.pdc.apply import apply_change
from conveyor.pdc.client import PdcClient, PdcRejected, PdcUnavailable
from conveyor.pdc.diff import Change
from conveyor.pdc.facts import PdcState, Relationship
from conveyor.settings_pdc import PdcSettings
from models.pdc_update import PdcChangeKind, PdcUpdate, PdcUpdateState

log = logging.getLogger(__name__)
_CHUNK = 500  # keys per IN (...) query
_ERROR_LENGTH = 2000


def enqueue(session: Session, changes: Iterable[Change], now: datetime) -> int:
    """Queue each change unless the same one is pending; a newer intent replaces the old.

    Returns how many rows were added or replaced. The unique ``pending_key``
    makes a concurrent enqueue of the same key fail instead of doubling it.
    """
    changes = list(changes)
    pending = _pending_rows(session, [c.key for c in changes])
    touched = 0
    for change in changes:
        row = pending.get(change.key)
        if row is None:
            session.add(
                PdcUpdate(
                    kind=change.kind,
                    key=change.key,
                    pending_key=change.key,
                    payload=change.payload,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif (row.kind, row.payload) != (change.kind, change.payload):
            row.kind, row.payload, row.updated_at = change.kind, change.payload, now
            row.attempts, row.next_attempt_at, row.last_error = 0, now, None
        else:
            continue
        touched += 1
    return touched


def _pending_rows(session: Session, keys: list[str]) -> dict[str, PdcUpdate]:
    rows: dict[str, PdcUpdate] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        query = select(PdcUpdate).where(PdcUpdate.pending_key.in_(chunk)).with_for_update()
        rows.update((row.key, row) for row in session.scalars(query))
    return rows


def intended_state(session: Session, release: str) -> PdcState:
    """What PDC holds if every queued change went through: the newest row of each key.

    A failed row counts too: cron does not queue a dead change again on its
    own (it would fail again); ``initialize`` reads PDC itself and does.
    Relationships of other releases (``pdc.release`` changed) are left out,
    so they are never queued for removal: what Conveyor pushed there stays.
    """
    newest = select(func.max(PdcUpdate.id)).group_by(PdcUpdate.key).scalar_subquery()
    relationships, modules, composes = set(), {}, {}
    for kind, payload in session.execute(
        select(PdcUpdate.kind, PdcUpdate.payload).where(PdcUpdate.id.in_(newest))
    ):
        if kind == PdcChangeKind.RELATIONSHIP_ADD and payload["release"] == release:
            relationships.add(Relationship.from_payload(payload))
        elif kind == PdcChangeKind.MODULE_UPSERT:
            modules[payload["uid"]] = payload
        elif kind == PdcChangeKind.COMPOSE_IMPORT:
            composes[payload["compose_id"]] = payload
    return PdcState(frozenset(relationships), modules, composes)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0  # failed for now, tried again after the backoff
    failed: int = 0  # given up: the dead letters

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} failed"


def send_due(
    session_factory: sessionmaker[Session],
    client: PdcClient,
    settings: PdcSettings,
    now: datetime,
) -> SendReport:
    """Send pending changes whose time has come, oldest first, at most ``batch_size``.

    The first "unavailable" ends the run: PDC is down, the rest waits
    without being charged an attempt.
    """
    report = SendReport()
    client.forget_components()  # ids cached for this run only: PDC may be edited between runs
    with session_factory() as session:
        due = list(
            session.execute(
                select(PdcUpdate.id, PdcUpdate.kind, PdcUpdate.payload, PdcUpdate.updated_at)
                .where(PdcUpdate.state == PdcUpdateState.PENDING, PdcUpdate.next_attempt_at <= now)
                .order_by(PdcUpdate.id)
                .limit(settings.batch_size)
            )
        )
    for row_id, kind, payload, version in due:
        sent = _Sent(row_id, kind, payload, version, now)
        try:
            apply_change(client, kind, payload)
        except PdcRejected as exc:
            _record(session_factory, sent, settings, str(exc), permanent=True)
            report.failed += 1
        except PdcUnavailable as exc:
            gave_up = _record(session_factory, sent, settings, str(exc))
            report.failed += gave_up
            report.retried += not gave_up
            break
        except Exception as exc:  # a bug (logged) must not make a row retry forever
            log.exception("pdc: unexpected error sending change %d", row_id)
            gave_up = _record(session_factory, sent, settings, f"{type(exc).__name__}: {exc}")
            report.failed += gave_up
            report.retried += not gave_up
        else:
            _record(session_factory, sent, settings, None)
            report.sent += 1
    return report


@dataclass(frozen=True)
class _Sent:
    """What one attempt sent: the row as read, to notice a change superseding it meanwhile."""

    row_id: int
    kind: str
    payload: dict
    version: datetime
    at: datetime


def _record(
    session_factory: sessionmaker[Session],
    sent: _Sent,
    settings: PdcSettings,
    error: str | None,
    *,
    permanent: bool = False,
) -> bool:
    """Write the outcome of one attempt; return True when the row became failed."""
    now = sent.at
    with session_factory.begin() as session:
        row = session.scalars(
            select(PdcUpdate).where(PdcUpdate.id == sent.row_id).with_for_update()
        ).first()
        if row is None or (row.state, row.updated_at, row.kind, row.payload) != (
            PdcUpdateState.PENDING,
            sent.version,
            sent.kind,
            sent.payload,
        ):
            return False  # superseded while we talked to PDC: the newer intent goes next
        if error is None:
            row.transition(PdcUpdateState.SENT, now=now)
            return False
        row.attempts += 1
        error = error[:_ERROR_LENGTH]
        if permanent or row.attempts >= settings.max_attempts:
            row.transition(PdcUpdateState.FAILED, now=now, error=error)
            log.error("pdc: giving up %s after %d attempts: %s", row.key, row.attempts, error)
            return True
        delay = min(
            settings.backoff_seconds * 2 ** (row.attempts - 1), settings.backoff_max_seconds
        )
        row.last_error, row.next_attempt_at = error, now + timedelta(seconds=delay)
        row.updated_at = now
        log.warning("pdc: %s failed (attempt %d), next in %.0fs: %s", row.key, row.attempts,
                    delay, error)  # fmt: skip
        return False


def prune(session_factory: sessionmaker[Session], before: datetime) -> int:
    """Delete finished changes older than ``before`` that a newer change of their object
    superseded; the newest row of each key stays (it is the last-known state)."""
    newest = select(func.max(PdcUpdate.id)).group_by(PdcUpdate.key).scalar_subquery()
    with session_factory.begin() as session:
        result = session.execute(
            delete(PdcUpdate).where(
                PdcUpdate.state != PdcUpdateState.PENDING,
                PdcUpdate.updated_at < before,
                PdcUpdate.id.not_in(newest),
            )
        )
        return int(result.rowcount or 0)


def hurry(session: Session, now: datetime) -> int:
    """Make every pending change due now (an operator asked; backoffs are for cron)."""
    result = session.execute(
        update(PdcUpdate)
        .where(PdcUpdate.state == PdcUpdateState.PENDING, PdcUpdate.next_attempt_at > now)
        .values(next_attempt_at=now)
    )
    return int(result.rowcount or 0)
