"""What a handler gets (one session, one transaction) and what it returns."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from conveyor.koji_client import Koji
from conveyor.settings import Settings


@dataclass(frozen=True)
class Outcome:
    outcome: str  # handled | ignored | rejected
    reason: str = ""

    @classmethod
    def handled(cls, reason: str = "") -> Outcome:
        return cls("handled", reason)

    @classmethod
    def ignored(cls, reason: str) -> Outcome:
        return cls("ignored", reason)


@dataclass
class HandlerContext:
    session: Session
    settings: Settings
    koji: Koji
    message_id: str
    topic: str
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("conveyor.handler"))
