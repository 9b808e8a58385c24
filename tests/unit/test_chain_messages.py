"""conveyor.chain.state.change.v1: the body a chain announces validates, and says who to tell."""

from __future__ import annotations

import pytest
from fedora_messaging import message as fm_message
from jsonschema.exceptions import ValidationError
from sqlalchemy import select

from conveyor.messages import ChainStateChangeV1, build_message
from models import OutboxMessage
from tests.unit.chain_world import module_repo, start
from tests.unit.module_world import World


@pytest.fixture
def world(tmp_path, koji, session_factory) -> World:
    w = World(tmp_path / "distgit", koji, session_factory)
    module_repo(w, "app1", {"app1-pkg": 1})
    module_repo(w, "stack", {"stack-pkg": 1})
    return w


def _bodies(world: World) -> list[dict]:
    with world.session_factory() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic == ChainStateChangeV1.topic)
            .order_by(OutboxMessage.id)
        ).all()
        return [r.body for r in rows]


def test_announcements_validate_and_name_owners_and_pusher(world: World) -> None:
    world.submit("app1", {"app1-pkg": 1}, version=1)  # alice built app1:main before
    chain_id = start(world, [["app1"], ["stack"]])
    planned, running = _bodies(world)
    msg = build_message(ChainStateChangeV1.topic, running, "row-1")
    assert isinstance(msg, ChainStateChangeV1)
    msg.validate()
    assert msg.usernames == ["alice", "pusher"]
    assert msg.packages == ["base"]
    assert msg.url == f"chains/{chain_id}.html"
    assert msg.summary == (
        f"rebuild chain #{chain_id} for rpms/base@rawhide moved from planned to running"
    )
    assert str(msg).splitlines()[1:4] == [
        "requested by: pusher", "tier 1: app1:main", "tier 2: stack:main",
    ]  # fmt: skip
    assert planned["old"] is None and planned["new"] == "planned"


def test_a_body_without_its_chain_is_refused() -> None:
    with pytest.raises(ValidationError):
        ChainStateChangeV1(body={"old": None, "new": "planned"}).validate()


def test_the_schema_is_registered_under_fedora_messages() -> None:
    name = fm_message.get_name(ChainStateChangeV1)
    assert fm_message.get_class(name) is ChainStateChangeV1


def test_owners_are_who_built_the_stream_by_hand_not_an_earlier_chain(world: World) -> None:
    world.submit("app1", {"app1-pkg": 1}, version=1)  # alice
    start(world, [["app1"]])  # its build belongs to "pusher"
    start(world, [["app1"]], commit="d" * 40)  # supersedes; owners looked up again
    assert _bodies(world)[-1]["usernames"] == ["alice", "pusher"]
