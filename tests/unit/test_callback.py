"""consumers.callback: every failure classified once, at the fedora-messaging boundary."""

from __future__ import annotations

import json

import pytest
from fedora_messaging import api
from fedora_messaging.exceptions import Drop, HaltConsumer, Nack, PublishTimeout
from fedora_messaging.message import Message
from fedora_messaging.testing import mock_sends

import models
from consumers.distgit import DistGitConsumer
from consumers.koji import KojiConsumer
from consumers.pipeline import Deps
from conveyor.db import make_session_factory
from conveyor.errors import ConfigError, Retryable
from conveyor.messages import BuildStateChangeV1
from conveyor.settings import parse
from models import Build, InboxEntry, OutboxMessage, RejectedMessage
from tests.unit.fakes import COMMIT_A, COMMIT_B, FakeKoji, all_rows, count

GIT = "org.fedoraproject.prod.git.receive"
MAX_ATTEMPTS = 3


def push(rev: str = COMMIT_A, repo: str = "bash", branch: str = "rawhide") -> Message:
    body = {"commit": {"repo": repo, "namespace": "rpms", "branch": branch, "rev": rev,
                       "username": "alice"}}
    return Message(topic=GIT, body=body)


@pytest.fixture
def fast_settings():
    return parse(
        {"retries": {"max_attempts": MAX_ATTEMPTS, "backoff_seconds": 0,
                     "backoff_max_seconds": 0}},
        env={},
    )


@pytest.fixture
def consumer(session_factory, fast_settings, koji) -> DistGitConsumer:
    return DistGitConsumer(Deps(session_factory, fast_settings, koji))


def rejected(session_factory) -> list[RejectedMessage]:
    return all_rows(session_factory, RejectedMessage, RejectedMessage.id)


def test_consumer_names_match_the_dispatch_table():
    assert DistGitConsumer.name == "distgit"
    assert KojiConsumer.name == "koji"


def test_a_good_push_is_handled_and_its_announcement_published(consumer, koji, session_factory):
    msg = push()
    with mock_sends(BuildStateChangeV1) as sent:
        assert consumer(msg) is None
    assert len(koji.submitted) == 1
    (row,) = all_rows(session_factory, OutboxMessage)
    assert row.sent_at is not None
    assert row.attempts == 0
    assert sent[0].id == row.message_id
    assert sent[0].body == row.body
    assert sent[0].body["build"]["name"] == "bash"
    inbox = all_rows(session_factory, InboxEntry)
    assert [(e.message_id, e.consumer) for e in inbox] == [(msg.id, "distgit")]


def test_when_publishing_fails_the_row_stays_pending(consumer, session_factory, monkeypatch):
    def broker_down(message, *args, **kwargs):
        raise PublishTimeout(reason="no broker in unit tests")

    monkeypatch.setattr(api, "publish", broker_down)
    assert consumer(push()) is None  # committed: the message is acked all the same
    (row,) = all_rows(session_factory, OutboxMessage)
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error
    assert count(session_factory, Build) == 1


def test_a_malformed_body_is_recorded_and_dropped(consumer, koji, session_factory):
    body = {"commit": {"repo": "bash", "branch": "rawhide", "rev": "not-a-commit"}}
    msg = Message(topic=GIT, body=body)
    with pytest.raises(Drop):
        consumer(msg)
    (row,) = rejected(session_factory)
    assert row.kind == "invalid"
    assert row.message_id == msg.id
    assert row.topic == GIT
    assert row.consumer == "distgit"
    assert row.reason.startswith("body.commit.rev")
    assert json.loads(row.body) == body  # kept whole for replay
    assert isinstance(row.headers, dict)
    assert koji.submitted == []
    assert count(session_factory, InboxEntry) == 0


def test_a_body_that_is_not_an_object_is_recorded_and_dropped(session_factory, fast_settings):
    consumer = KojiConsumer(Deps(session_factory, fast_settings, FakeKoji()))
    msg = Message(topic="org.fedoraproject.prod.buildsys.task.state.change", body="garbage")
    with pytest.raises(Drop):
        consumer(msg)
    (row,) = rejected(session_factory)
    assert (row.kind, row.consumer) == ("invalid", "koji")
    assert row.reason.startswith("body:")
    assert json.loads(row.body) == "garbage"


def test_an_unexpected_error_is_recorded_dropped_and_the_consumer_goes_on(
    consumer, koji, session_factory
):
    koji.submit_error = RuntimeError("boom")
    with pytest.raises(Drop):
        consumer(push(COMMIT_A))
    (row,) = rejected(session_factory)
    assert row.kind == "unexpected"
    assert row.reason == "RuntimeError: boom"
    assert count(session_factory, Build) == 0  # the transaction was rolled back
    assert count(session_factory, InboxEntry) == 0

    koji.submit_error = None
    with mock_sends(BuildStateChangeV1):
        consumer(push(COMMIT_B))
    builds = all_rows(session_factory, Build)
    assert [(b.commit, b.state, b.koji_task_id) for b in builds] == [(COMMIT_B, "queued", 1000)]
    assert len(rejected(session_factory)) == 1


def test_retryable_is_nacked_until_max_attempts_then_recorded(consumer, koji, session_factory):
    koji.submit_error = Retryable("koji unavailable during build: connection refused")
    msg = push()
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(Nack):
            consumer(msg)
        assert consumer.attempts[msg.id] == attempt
        assert rejected(session_factory) == []
    with pytest.raises(Drop):
        consumer(msg)
    (row,) = rejected(session_factory)
    assert row.kind == "exhausted"
    assert "connection refused" in row.reason
    assert msg.id not in consumer.attempts
    assert count(session_factory, Build) == 0
    assert count(session_factory, InboxEntry) == 0
    assert count(session_factory, OutboxMessage) == 0


def test_a_retry_that_succeeds_forgets_the_attempts(consumer, koji, session_factory):
    koji.submit_error = Retryable("koji unavailable")
    msg = push()
    with pytest.raises(Nack):
        consumer(msg)
    koji.submit_error = None
    with mock_sends(BuildStateChangeV1):
        consumer(msg)
    assert consumer.attempts == {}
    assert count(session_factory, Build) == 1
    assert rejected(session_factory) == []


def test_a_configuration_error_halts_the_consumer(consumer, koji):
    koji.submit_error = ConfigError(["koji.cert: unreadable"])
    with pytest.raises(HaltConsumer):
        consumer(push())


def test_irrelevant_topics_are_acked(consumer, session_factory):
    assert consumer(Message(topic="org.fedoraproject.prod.bodhi.update.comment", body={})) is None
    koji_topic = "org.fedoraproject.prod.buildsys.task.state.change"
    assert consumer(Message(topic=koji_topic, body={"id": 1, "new": "OPEN"})) is None
    assert count(session_factory, InboxEntry) == 0
    assert rejected(session_factory) == []


@pytest.fixture
def broken_database(tmp_path):
    """A database without tables: every statement fails with OperationalError."""
    factory = make_session_factory(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    yield factory
    factory.kw["bind"].dispose()


def test_database_errors_are_retried_and_never_dropped(broken_database, fast_settings):
    consumer = DistGitConsumer(Deps(broken_database, fast_settings, FakeKoji()))
    msg = push()
    for _ in range(MAX_ATTEMPTS + 1):
        with pytest.raises(Nack):  # even after max_attempts: it could not be recorded
            consumer(msg)


def test_an_invalid_message_that_cannot_be_recorded_is_not_dropped(
    broken_database, fast_settings
):
    """Nothing is lost: if rejected_messages cannot take it, the message must stay queued."""
    consumer = DistGitConsumer(Deps(broken_database, fast_settings, FakeKoji()))
    msg = Message(topic=GIT, body={"commit": "nonsense"})
    with pytest.raises(Nack):
        consumer(msg)
    # once the database is back, the same message is recorded and dropped
    models.Base.metadata.create_all(broken_database.kw["bind"])
    with pytest.raises(Drop):
        consumer(msg)
    assert [r.kind for r in rejected(broken_database)] == ["invalid"]
