"""Compose upkeep in cron: expiry deletes files, stuck composes fail, lost announcements
are sent again; every step is idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from conveyor.composes.service import ComposeRequest, request_compose
from conveyor.settings import parse
from cron.composes import Upkeep, maintain_composes
from models import Compose, OutboxMessage
from models.base import utcnow


def _settings(tmp_path):
    return parse({"composes": {"target_dir": str(tmp_path / "composes")}}, env={})


def _new(session, settings, source, state_path=()):
    compose, _ = request_compose(session, ComposeRequest("build", source, "a"), settings, cause="t")
    for state in state_path:
        compose.transition(session, state, cause="t")
    return compose


def _announcements(session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_expiry_removes_and_deletes_files(session_factory, tmp_path):
    settings = _settings(tmp_path)
    with session_factory.begin() as session:
        done = _new(session, settings, "a-1-1", ("generating", "done"))
        cid = done.id
    files = tmp_path / "composes" / f"odcs-{cid}" / "compose"
    files.mkdir(parents=True)
    later = utcnow() + timedelta(days=2)
    upkeep = maintain_composes(session_factory, settings, later)
    assert upkeep.expired == 1 and not files.parent.exists()
    with session_factory() as session:
        compose = session.get(Compose, cid)
        assert (compose.state, compose.state_reason) == ("removed", "expired")
    assert maintain_composes(session_factory, settings, later).expired == 0


def test_stuck_composes_fail_with_a_reason(session_factory, tmp_path):
    settings = _settings(tmp_path)
    with session_factory.begin() as session:
        waiting = _new(session, settings, "a-1-1").id
        generating = _new(session, settings, "b-1-1", ("generating",)).id
    soon = utcnow() + timedelta(minutes=61)
    assert maintain_composes(session_factory, settings, soon).failed == 1
    much_later = utcnow() + timedelta(minutes=181)
    assert maintain_composes(session_factory, settings, much_later).failed == 1
    with session_factory() as session:
        assert session.get(Compose, waiting).state_reason == (
            "stuck in wait for more than 60 minutes"
        )
        assert session.get(Compose, generating).state == "failed"


def test_lost_wait_announcement_is_sent_again_once_per_period(session_factory, tmp_path):
    settings = _settings(tmp_path)
    with session_factory.begin() as session:
        _new(session, settings, "a-1-1")
        assert _announcements(session) == 1
    assert maintain_composes(session_factory, settings) == Upkeep(0, 0, 0)
    later = utcnow() + timedelta(minutes=6)
    assert maintain_composes(session_factory, settings, later).reannounced == 1
    assert maintain_composes(session_factory, settings, later).reannounced == 0
    with session_factory() as session:
        last = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert last.body["compose"]["state_name"] == "wait" and _announcements(session) == 2
