"""The gating sweep: re-judge every ``done`` module build, so missing CI results time out.

A result message re-gates its module build at once; this job catches what no
message will: the timeout running out, a gating rule changed by the operator,
a chain that released its hold. Each module build is judged in its own
transaction, with its row locked, through the same ``gate_module`` the
consumers use. Announcements leave through the outbox (the flusher sends them).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from consumers.context import HandlerContext
from consumers.module_gate import gate_module
from conveyor.koji_client import Koji
from conveyor.settings import Settings
from models.module_build import ModuleBuild, locked

log = logging.getLogger(__name__)
CAUSE = "gating-sweep"


def gate_done_modules(
    session_factory: sessionmaker[Session], settings: Settings, koji: Koji
) -> dict[str, int]:
    """Counts of the verdicts given, by outcome (``ready`` counts the builds moved on)."""
    with session_factory() as session:
        ids = session.scalars(
            select(ModuleBuild.id).where(ModuleBuild.state == "done").order_by(ModuleBuild.id)
        ).all()
    counts: dict[str, int] = {}
    for module_id in ids:
        with session_factory.begin() as session:
            module = locked(session, module_id)
            if module is None:
                continue
            verdict = gate_module(HandlerContext(session, settings, koji, CAUSE, "cron"), module)
            if verdict is None:
                continue
            counts[verdict.outcome] = counts.get(verdict.outcome, 0) + 1
            if module.state == "ready":
                counts["ready"] = counts.get("ready", 0) + 1
    if counts.get("ready") or counts.get("failed"):
        log.info("gating sweep: %s", counts)
    return counts
