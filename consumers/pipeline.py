"""One message, start to finish: parse, dispatch, handle in ONE transaction.

The consumers' callback and ``conveyor replay`` both go through ``process``
so that what an operator replays is handled exactly as the bus would.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from consumers import dispatch
from consumers.context import HandlerContext, Outcome
from conveyor.koji_client import Koji
from conveyor.settings import Settings
from models.inbox import claim
from models.outbox import queued_in

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    message_id: str
    topic: str
    body: Any
    headers: dict | None = None


@dataclass
class Deps:
    session_factory: sessionmaker[Session]
    settings: Settings
    koji: Koji


@dataclass(frozen=True)
class Result:
    outcome: str
    reason: str = ""
    outbox_ids: list[int] = field(default_factory=list)


def process(msg: Incoming, deps: Deps, consumer: str | None = None) -> Result:
    """Handle one message; raises ``Invalid`` for a malformed body of a known topic.

    Effects, the inbox row and outgoing messages commit together, so a
    redelivered message (same id) changes nothing twice.
    """
    route = dispatch.route_for(msg.topic, consumer)
    if route is None:
        return Result("ignored", f"no handler for topic {msg.topic}")
    event = route.parser(msg.topic, msg.body)
    with deps.session_factory.begin() as session:
        # Claim first: a replica holding the same id makes us wait on its key.
        entry = claim(session, msg.message_id, msg.topic, route.consumer)
        if entry is None:
            return Result("ignored", f"duplicate: message {msg.message_id} already processed")
        ctx = HandlerContext(session, deps.settings, deps.koji, msg.message_id, msg.topic)
        outcome: Outcome = route.handler(ctx, event)
        entry.outcome = outcome.outcome
        session.flush()
        outbox_ids = [row.id for row in queued_in(session)]
    log.info("%s %s: %s %s", msg.message_id, msg.topic, outcome.outcome, outcome.reason)
    return Result(outcome.outcome, outcome.reason, outbox_ids)
