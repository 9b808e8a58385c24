"""The ODCS-compatible API in a real ``conveyor api`` process, asked by the real odcs backend;
composes seen on the bus, through the real compose consumer.

The server is a sandbox on PostgreSQL: ``conveyor api`` serves ``/api/1/``,
``conveyor cron`` publishes its compose announcements to the real RabbitMQ.
The client is another Conveyor (its own SQLite database): the ``odcs``
backend asks the server over HTTP, and the announcements read from the broker
(``conveyor.compose.state.change.v1`` has the body of ODCS's
``odcs.compose.state-changed``) are parsed by the ODCS parser and handled by
the client's bus handler, which moves the client's compose. The server's
compose is moved to done in its database by the test: the sandbox runs no
compose consumer here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

import models
from consumers.context import HandlerContext
from consumers.handle_compose_bus import status_changed
from consumers.parse_compose import parse_odcs_state_changed
from conveyor.composes.backends.base import ComposeInputs
from conveyor.composes.backends.odcs import OdcsBackend
from conveyor.db import make_session_factory
from conveyor.settings import parse
from models.base import utcnow
from models.compose import Compose, locked, record
from models.compose_content import ComposeContent
from models.compose_transition import ComposeTransition
from models.inbox import InboxEntry
from models.rejected import RejectedMessage
from sandbox.broker import RabbitMQ
from sandbox.bus import Bus
from sandbox.ports import free_port
from sandbox.postgres import PostgreSQL
from sandbox.system import PREFIX, Sandbox, SandboxOptions
from tests.integration.conftest import Amqp
from tests.unit.fakes import MESSAGES, load_message

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

NVRS = ("bash-5.2-1.fc39", "zsh-5.9-5.fc39")
CLIENT_USER = "conveyor-client"
TOKEN = uuid.uuid4().hex


@pytest.fixture
def server(rabbitmq: RabbitMQ, postgres: PostgreSQL, amqp: Amqp, tmp_path: Path) -> Iterator:
    queue = f"odcs_announcements_{uuid.uuid4().hex[:8]}"
    amqp.declare(queue, [f"{PREFIX}.conveyor.compose.state.change.v1"])
    port = free_port()
    options = SandboxOptions(
        database_url=postgres.create_database(f"odcs_{uuid.uuid4().hex[:8]}"),
        api_port=port,
        replicas={},
        extra_settings={
            # the token acts as CLIENT_USER, an admin of this server (who may delete)
            "api": {"port": port, "token": TOKEN, "token_user": CLIENT_USER,
                    "admins": [CLIENT_USER]},
            "odcs": {"allowed_clients": {"users": {CLIENT_USER: {"source_types": ["build"]}}}},
        },
    )  # fmt: skip
    box = Sandbox(tmp_path / "box", options, broker=rabbitmq)
    box.start()
    try:
        yield box, queue, f"http://127.0.0.1:{port}"
    finally:
        box.stop()
        amqp.delete(queue)


def _wait_for_api(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/api/1/about", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"conveyor api did not answer at {base} within {timeout}s")


def _announcements(amqp: Amqp, queue: str, compose_id: int, wanted: list[str]) -> list:
    """The server's announcements of ``compose_id`` until its states are ``wanted``."""
    events, deadline = [], time.monotonic() + 30
    while [e.state for e in events] != wanted and time.monotonic() < deadline:
        for received in amqp.get(queue, n=1, timeout=2):
            event = parse_odcs_state_changed(received.routing_key, received.body)
            if event.external_id == str(compose_id):
                events.append(event)
    assert [e.state for e in events] == wanted
    return events


def test_odcs_backend_round_trip_through_a_real_conveyor_api(server, amqp, tmp_path):
    box, queue, base = server
    _wait_for_api(base)
    about = requests.get(f"{base}/api/1/about/", timeout=10).json()
    assert about["allowed_clients"]["users"] == {CLIENT_USER: {"source_types": ["build"]}}

    client_db = make_session_factory(f"sqlite:///{tmp_path / 'client.sqlite'}")
    models.Base.metadata.create_all(client_db.kw["bind"])
    client_settings = parse(
        {"composes": {"backend": "odcs"},
         "odcs": {"server_url": base, "token": TOKEN, "timeout": 10}},
        env={},
    )  # fmt: skip
    with client_db.begin() as session:
        local = Compose(origin="conveyor", owner="alice", source_type="build",
                        source=" ".join(NVRS), arches=["x86_64"],
                        time_to_expire=utcnow() + timedelta(hours=1))  # fmt: skip
        record(session, local, cause="test")
        local.transition(session, "generating", cause="test")
    backend = OdcsBackend(client_settings)

    result = backend.generate(local, ComposeInputs(local.id, "build", NVRS, None, ("x86_64",)))
    assert result.pending
    remote_id = int(result.external_id)
    with client_db.begin() as session:  # what the compose consumer records from the result
        locked(session, local.id).external_id = result.external_id
    shown = requests.get(f"{base}/api/1/composes/{remote_id}", timeout=10).json()
    assert (shown["owner"], shown["source_type"], shown["builds"]) == (
        CLIENT_USER,
        6,
        " ".join(NVRS),
    )
    listed = requests.get(f"{base}/api/1/composes/", params={"owner": CLIENT_USER}, timeout=10)
    assert [item["id"] for item in listed.json()["items"]] == [remote_id]

    with box.session_factory.begin() as session:  # the server makes it
        remote = locked(session, remote_id)
        remote.transition(session, "generating", cause="test")
        remote.result_repo_url = f"{base}/composes/odcs-{remote_id}/compose/Temporary/"
        remote.transition(session, "done", cause="test", reason="Compose is generated")

    for event in _announcements(amqp, queue, remote_id, ["wait", "generating", "done"]):
        with client_db.begin() as session:
            ctx = HandlerContext(session, client_settings, None, str(uuid.uuid4()), "t")  # type: ignore[arg-type]
            status_changed(ctx, event)
    with client_db() as session:
        followed = session.get(Compose, local.id)
        assert (followed.state, followed.external_id) == ("done", str(remote_id))
        assert followed.result_repo_url.endswith(f"odcs-{remote_id}/compose/Temporary/")
        contents = session.scalars(select(ComposeContent.artifact)).all()
        assert sorted(contents) == sorted(NVRS)

    backend.remove(followed)  # DELETE: the token's user is an admin of the server
    with box.session_factory() as session:
        gone = session.get(Compose, remote_id)
        assert (gone.state, gone.removed_by) == ("removed", CLIENT_USER)
    client_db.kw["bind"].dispose()


def test_the_compose_consumer_records_composes_seen_on_the_bus(rabbitmq: RabbitMQ, tmp_path):
    """Pungi's real messages through the real compose consumer: order, duplicates, rejects."""
    options = SandboxOptions(replicas={"compose": 1}, cron=False)
    box = Sandbox(tmp_path / "box", options, broker=rabbitmq).start()
    try:
        started = load_message(MESSAGES / "compose" / "063.json")
        compose_id = started["body"]["compose_id"]
        finished = {**started["body"], "status": "FINISHED"}
        topic = f"{PREFIX}.pungi.compose.status.change"
        with Bus(rabbitmq.url) as bus:
            bus.publish(topic, started["body"], message_id="pungi-1")
            bus.publish(topic, finished, message_id="pungi-2")
            bus.publish(topic, finished, message_id="pungi-2")  # redelivered: inbox no-op
            bus.publish(topic, started["body"], message_id="pungi-3")  # late: stale
            bus.publish(topic, {**finished, "status": "EXPLODED"}, message_id="pungi-4")

        def settled() -> bool:
            with box.session_factory() as session:
                rows = session.scalars(select(InboxEntry.message_id)).all()
                rejected = session.scalars(select(RejectedMessage.message_id)).all()
            return {"pungi-1", "pungi-2", "pungi-3"} <= set(rows) and "pungi-4" in rejected

        box.wait_for(settled, timeout=60, what="the compose consumer to take every message")
        with box.session_factory() as session:
            compose = session.scalars(select(Compose)).one()
            assert (compose.origin, compose.external_id, compose.state) == (
                "pungi", compose_id, "done"
            )  # fmt: skip
            steps = session.scalars(
                select(ComposeTransition.to_state).order_by(ComposeTransition.id)
            ).all()
            assert steps == ["generating", "done"]
            reject = session.scalars(select(RejectedMessage)).one()
            assert (reject.kind, reject.consumer) == ("invalid", "compose")
            assert "'EXPLODED' is not a Pungi status" in reject.reason
    finally:
        box.stop()
