"""The odcs backend against Conveyor's own ODCS-compatible API, over real HTTP on loopback.

Both sides are Conveyor: the "server" is ``create_app`` in a werkzeug thread
with its own database, the "client" is ``OdcsBackend`` with another. The
server's own announcement of its compose (``conveyor.compose.state.change.v1``
has the body of ``odcs.compose.state-changed``) is fed to the client's bus
handler: the protocol round trip, both directions.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import models
from api.app import create_app
from consumers.context import HandlerContext
from consumers.handle_compose_bus import status_changed
from consumers.parse_compose import parse_odcs_state_changed
from conveyor.composes.backends import odcs as odcs_module
from conveyor.composes.backends.base import ComposeInputs, GenerationFailed
from conveyor.composes.backends.odcs import OdcsBackend
from conveyor.db import make_session_factory
from conveyor.errors import Retryable
from conveyor.settings import parse
from models.base import utcnow
from models.compose import Compose, locked, record
from models.outbox import OutboxMessage
from tests.wsgi import serve

TOKEN = "odcs-token-for-tests"
NVRS = ("bash-5.2-1.fc39", "zsh-5.9-5.fc39")


class Flaky:
    """WSGI middleware: the first ``failures`` requests get a 503, then the app answers."""

    def __init__(self, app: Any, failures: int):
        self.app, self.failures, self.seen = app, failures, 0

    def __call__(self, environ: dict, start_response: Any) -> Any:
        self.seen += 1
        if self.seen <= self.failures:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"busy"]
        return self.app(environ, start_response)


@pytest.fixture
def server_factory(tmp_path):
    factory = make_session_factory(f"sqlite:///{tmp_path / 'odcs-server.sqlite'}")
    models.Base.metadata.create_all(factory.kw["bind"])
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def server_app(server_factory):
    settings = parse(
        {
            "api": {"token": TOKEN, "token_user": "conveyor-client", "admins": []},
            "odcs": {
                "allowed_clients": {"users": {"conveyor-client": {"source_types": ["build"]}}}
            },
        },
        env={},
    )
    return create_app(settings, server_factory)


def client_settings(base: str, attempts: int = 3):
    return parse(
        {"composes": {"backend": "odcs"},
         "odcs": {"server_url": base, "token": TOKEN, "max_attempts": attempts, "timeout": 5}},
        env={},
    )  # fmt: skip


def local_compose(session_factory, source_type="build", sources=NVRS):
    with session_factory.begin() as session:
        compose = Compose(
            origin="conveyor", owner="alice", source_type=source_type, source=" ".join(sources),
            arches=["x86_64"], time_to_expire=utcnow() + timedelta(hours=2), label="qa-1",
        )  # fmt: skip
        record(session, compose, cause="test")
        return compose


def inputs(compose, source_type="build", sources=NVRS):
    return ComposeInputs(compose.id, source_type, sources, None, arches=("x86_64",))


def test_round_trip_request_state_and_removal(
    server_app, server_factory, session_factory, settings
):
    local = local_compose(session_factory)
    with serve(server_app) as base:
        backend = OdcsBackend(client_settings(base))
        result = backend.generate(local, inputs(local))
        assert result.pending and result.external_id is not None
        with server_factory() as session:
            remote = session.get(Compose, int(result.external_id))
            assert (remote.owner, remote.source_type, remote.source) == (
                "conveyor-client", "build", " ".join(NVRS)
            )  # fmt: skip
            assert (remote.label, remote.arches, remote.state) == ("qa-1", ["x86_64"], "wait")
            left = remote.time_to_expire - utcnow()
            assert timedelta(minutes=118) < left <= timedelta(hours=2)
        with session_factory.begin() as session:  # what the compose consumer records
            locked(session, local.id).external_id = result.external_id
            locked(session, local.id).transition(session, "generating", cause="test")
        # a redelivered request finds the live remote compose instead of asking twice
        again = backend.generate(local_reloaded(session_factory, local.id), inputs(local))
        assert again.external_id == result.external_id
        with server_factory() as session:
            assert len(session.scalars(select(Compose)).all()) == 1

        # the server finishes: its announcement is an odcs.compose.state-changed body
        with server_factory.begin() as session:
            remote = locked(session, int(result.external_id))
            remote.transition(session, "generating", cause="test")
            remote.result_repo_url = "http://odcs.example/odcs-1/compose/Temporary/"
            remote.transition(session, "done", cause="test", reason="Compose is generated")
        outcome = deliver_last_announcement(server_factory, session_factory, settings)
        assert outcome.outcome == "handled", outcome
        with session_factory() as session:
            followed = session.get(Compose, local.id)
            assert followed.state == "done"
            assert followed.result_repo_url == "http://odcs.example/odcs-1/compose/Temporary/"

        # removal: the token user is no admin on that server, ODCS answers 403
        with pytest.raises(GenerationFailed, match="not in role admins"):
            backend.remove(local_reloaded(session_factory, local.id))


def local_reloaded(session_factory, compose_id):
    with session_factory() as session:
        return session.get(Compose, compose_id)


def deliver_last_announcement(server_factory, session_factory, settings):
    with server_factory() as session:
        body = session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
    event = parse_odcs_state_changed("odcs.compose.state-changed", body)
    with session_factory.begin() as session:
        ctx = HandlerContext(session, settings, None, str(uuid.uuid4()), "t")  # type: ignore[arg-type]
        return status_changed(ctx, event)


def test_a_refused_request_fails_generation_with_odcs_message(server_app, session_factory):
    local = local_compose(session_factory, "tag", ("f39-build",))
    with serve(server_app) as base:
        backend = OdcsBackend(client_settings(base))
        with pytest.raises(GenerationFailed, match="source_types=tag"):
            backend.generate(local, inputs(local, "tag", ("f39-build",)))


def test_5xx_answers_are_retried_within_bounds(server_app, server_factory, session_factory,
                                               monkeypatch):  # fmt: skip
    monkeypatch.setattr(odcs_module, "BACKOFF_SECONDS", 0.01)
    local = local_compose(session_factory)
    flaky = Flaky(server_app, failures=2)
    with serve(flaky) as base:
        result = OdcsBackend(client_settings(base, attempts=3)).generate(local, inputs(local))
    assert flaky.seen == 3
    assert result.external_id is not None
    down = Flaky(server_app, failures=10)
    with serve(down) as base, pytest.raises(Retryable, match="failed 2 times, last: HTTP 503"):
        OdcsBackend(client_settings(base, attempts=2)).generate(local, inputs(local))
    assert down.seen == 2


def test_an_unreachable_server_is_retryable(session_factory, monkeypatch):
    monkeypatch.setattr(odcs_module, "BACKOFF_SECONDS", 0.01)
    local = local_compose(session_factory)
    with serve(lambda environ, start: []) as base:
        pass  # the port is closed again: nothing listens there now
    with pytest.raises(Retryable, match="ConnectionError"):
        OdcsBackend(client_settings(base, attempts=2)).generate(local, inputs(local))


def test_request_body_in_odcs_shapes(session_factory):
    local = local_compose(session_factory, "tag", ("f39-build",))
    pinned = ComposeInputs(local.id, "tag", ("f39-build",), 4242, packages=("bash",),
                           arches=("x86_64", "aarch64"), sigkeys=("12c944d0",),
                           flags=("no_deps",))  # fmt: skip
    body = odcs_module.request_body(local, pinned)
    assert body["source"] == {
        "type": "tag", "source": "f39-build", "packages": ["bash"], "sigkeys": ["12c944d0"],
        "koji_event": 4242,
    }  # fmt: skip
    assert (body["arches"], body["flags"], body["label"]) == (
        ["x86_64", "aarch64"], ["no_deps"], "qa-1"
    )  # fmt: skip
    assert 7000 < body["seconds_to_live"] <= 7200
    build = odcs_module.request_body(local, ComposeInputs(local.id, "build", NVRS, 4242))
    assert build["source"] == {"type": "build", "builds": list(NVRS)}  # no event: not a tag
