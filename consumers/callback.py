"""The fedora-messaging callback: where every failure is classified, once.

- ``Invalid`` (a malformed body): recorded in ``rejected_messages``, dropped.
- ``Retryable`` (koji or the database unavailable): ``Nack`` after a backoff
  sleep, at most ``retries.max_attempts`` times per process, then recorded
  and dropped. If even recording fails, the message stays queued: nothing
  is lost, and the backoff keeps it from spinning.
- ``ConfigError``: ``HaltConsumer``; no message can succeed until an
  operator fixes the settings.
- anything else: a bug. Logged with the message id, recorded, dropped, and
  the consumer keeps running (a poison message must never loop).
"""

from __future__ import annotations

import json
import logging
import time
from typing import ClassVar

from fedora_messaging import config as fm_config
from fedora_messaging.exceptions import Drop, HaltConsumer, Nack
from fedora_messaging.message import Message
from sqlalchemy.exc import DBAPIError, OperationalError

from consumers.pipeline import Deps, Incoming, Result, process
from conveyor import publisher
from conveyor import settings as settings_mod
from conveyor.db import make_session_factory
from conveyor.errors import ConfigError, Invalid, Retryable
from conveyor.koji_client import KojiClient
from models import outbox
from models.rejected import RejectedMessage

log = logging.getLogger(__name__)


def _is_db_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


class ConveyorConsumer:
    """Base callback class; subclasses name the consumer (the dispatch table's key)."""

    name: ClassVar[str] = ""

    def __init__(self, deps: Deps | None = None):
        if deps is None:
            deps = self._deps_from_config()
        self.deps = deps
        self.attempts: dict[str, int] = {}

    @staticmethod
    def _deps_from_config() -> Deps:
        consumer_config = fm_config.conf.get("consumer_config") or {}
        try:
            settings = settings_mod.load(consumer_config.get("settings"))
        except ConfigError as exc:
            log.error("%s", exc)
            raise HaltConsumer(exit_code=1, reason=str(exc)) from exc
        session_factory = make_session_factory(settings.database_url)
        return Deps(session_factory, settings, KojiClient(settings.koji))

    def __call__(self, message: Message) -> None:
        incoming = Incoming(message.id, message.topic, message.body, _headers(message))
        try:
            result = process(incoming, self.deps, self.name)
        except Invalid as exc:
            self._reject_or_keep(incoming, "invalid", str(exc))
            raise Drop() from exc
        except Retryable as exc:
            self._retry(incoming, str(exc))
        except ConfigError as exc:
            raise HaltConsumer(exit_code=1, reason=str(exc)) from exc
        except Exception as exc:
            if _is_db_unavailable(exc):
                self._retry(incoming, f"database unavailable: {exc}")
            log.exception("%s %s: unexpected error", incoming.message_id, incoming.topic)
            self._reject_or_keep(incoming, "unexpected", f"{type(exc).__name__}: {exc}")
            raise Drop() from exc
        self.attempts.pop(incoming.message_id, None)
        self._publish(result)

    def _publish(self, result: Result) -> None:
        """Send what the transaction queued; the cron flusher covers any failure here."""
        if not result.outbox_ids:
            return
        try:
            outbox.flush(self.deps.session_factory, publisher.send, ids=result.outbox_ids)
        except Exception:
            log.warning("outbox publish after commit failed; cron will send", exc_info=True)

    def _retry(self, incoming: Incoming, reason: str) -> None:
        retries = self.deps.settings.retries
        attempt = self.attempts.get(incoming.message_id, 0) + 1
        self.attempts[incoming.message_id] = attempt
        delay = min(retries.backoff_seconds * 2 ** (attempt - 1), retries.backoff_max_seconds)
        if attempt < retries.max_attempts:
            log.warning(
                "%s %s: attempt %d/%d failed, retrying in %.1fs: %s",
                incoming.message_id,
                incoming.topic,
                attempt,
                retries.max_attempts,
                delay,
                reason,
            )
            time.sleep(delay)
            raise Nack()
        log.error(
            "%s %s: giving up after %d attempts: %s",
            incoming.message_id,
            incoming.topic,
            attempt,
            reason,
        )
        if self._reject(incoming, "exhausted", reason):
            self.attempts.pop(incoming.message_id, None)
            raise Drop()
        time.sleep(retries.backoff_max_seconds)
        raise Nack()

    def _reject_or_keep(self, incoming: Incoming, kind: str, reason: str) -> None:
        """Record the message before dropping it; if that fails, keep it queued."""
        if not self._reject(incoming, kind, reason):
            time.sleep(self.deps.settings.retries.backoff_max_seconds)
            raise Nack()

    def _reject(self, incoming: Incoming, kind: str, reason: str) -> bool:
        """Keep the message whole for replay; False if even that failed."""
        log.error("%s %s rejected (%s): %s", incoming.message_id, incoming.topic, kind, reason)
        try:
            with self.deps.session_factory.begin() as session:
                session.add(
                    RejectedMessage(
                        message_id=incoming.message_id,
                        topic=incoming.topic,
                        body=_raw(incoming.body),
                        headers=incoming.headers,
                        consumer=self.name,
                        kind=kind,
                        reason=reason[:4000],
                    )
                )
        except Exception:
            log.exception("%s: could not record the rejected message", incoming.message_id)
            return False
        return True


def _raw(body: object) -> str:
    try:
        return json.dumps(body, sort_keys=True)
    except (TypeError, ValueError):
        return repr(body)


def _headers(message: Message) -> dict:
    # fedora-messaging 3.9 has no public accessor for a received message's headers.
    return dict(getattr(message, "_headers", None) or {})
