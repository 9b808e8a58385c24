"""The compose bus handler: composes seen on the bus recorded, followed forward only."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from consumers.context import HandlerContext
from consumers.handle_compose_bus import status_changed
from consumers.parse_compose import parse_odcs_state_changed, parse_pungi_status
from consumers.pipeline import Incoming, process
from conveyor.errors import Invalid
from conveyor.settings import parse
from models.base import utcnow
from models.compose import Compose, record
from models.compose_content import ComposeContent
from models.compose_transition import ComposeTransition
from models.outbox import OutboxMessage
from tests.unit.fakes import MESSAGES, load_message

PUNGI_TOPIC = "org.fedoraproject.prod.pungi.compose.status.change"
RAWHIDE = "Fedora-Rawhide-20180426.n.0"
LOCATION = f"https://kojipkgs.fedoraproject.org/compose/rawhide/{RAWHIDE}/compose"
ODCS_BODY = load_message(MESSAGES / "compose" / "061.json")["body"]


def pungi(status, compose_id=RAWHIDE):
    return parse_pungi_status(
        "t", {"compose_id": compose_id, "status": status, "location": LOCATION}
    )


def odcs(state, **compose):
    body = copy.deepcopy(ODCS_BODY)
    names = {0: "wait", 1: "generating", 2: "done", 3: "removed", 4: "failed"}
    body["compose"].update(state=state, state_name=names[state], **compose)
    return parse_odcs_state_changed("t", body)


def handle(session_factory, settings, koji, event):
    with session_factory.begin() as session:
        ctx = HandlerContext(session, settings, koji, str(uuid.uuid4()), "t")
        return status_changed(ctx, event)


def composes(session_factory):
    with session_factory() as session:
        rows = session.scalars(select(Compose).order_by(Compose.id)).all()
        return [(c.origin, c.external_id, c.state, c.source_type) for c in rows]


def trace(session_factory):
    with session_factory() as session:
        rows = session.scalars(select(ComposeTransition).order_by(ComposeTransition.id))
        return [(t.from_state, t.to_state) for t in rows]


def test_pungi_started_then_finished(session_factory, settings, koji):
    first = handle(session_factory, settings, koji, pungi("STARTED"))
    assert first.outcome == "handled"
    assert composes(session_factory) == [("pungi", RAWHIDE, "generating", "pungi_compose")]
    second = handle(session_factory, settings, koji, pungi("FINISHED_INCOMPLETE"))
    assert second.outcome == "handled", second
    assert composes(session_factory) == [("pungi", RAWHIDE, "done", "pungi_compose")]
    assert trace(session_factory) == [(None, "generating"), ("generating", "done")]
    with session_factory() as session:
        compose = session.scalars(select(Compose)).one()
        assert compose.result_repo_url == LOCATION
        assert compose.state_reason == "Pungi finished the compose; some optional parts failed"
        assert compose.time_done is not None
        topics = session.scalars(select(OutboxMessage.topic)).all()
    assert topics == ["conveyor.compose.state.change.v1"] * 2


def test_started_after_finished_changes_nothing(session_factory, settings, koji):
    handle(session_factory, settings, koji, pungi("FINISHED"))
    late = handle(session_factory, settings, koji, pungi("STARTED"))
    assert late.outcome == "ignored"
    assert late.reason.startswith("stale:")
    assert composes(session_factory) == [("pungi", RAWHIDE, "done", "pungi_compose")]
    assert trace(session_factory) == [(None, "done")]


def test_a_repeated_status_changes_nothing(session_factory, settings, koji):
    handle(session_factory, settings, koji, pungi("DOOMED"))
    again = handle(session_factory, settings, koji, pungi("DOOMED"))
    assert again.outcome == "ignored"
    assert trace(session_factory) == [(None, "failed")]


def test_done_cannot_become_failed(session_factory, settings, koji):
    handle(session_factory, settings, koji, pungi("FINISHED"))
    outcome = handle(session_factory, settings, koji, pungi("TERMINATED"))
    assert outcome.outcome == "ignored"
    assert "cannot become failed" in outcome.reason or outcome.reason.startswith("stale")
    assert composes(session_factory)[0][2] == "done"


def test_odcs_states_walk_through_skipped_ones(session_factory, settings, koji):
    handle(session_factory, settings, koji, odcs(0))
    outcome = handle(session_factory, settings, koji, odcs(3, removed_by="jkaluza"))
    assert outcome.outcome == "handled", outcome
    assert trace(session_factory) == [
        (None, "wait"),
        ("wait", "generating"),
        ("generating", "done"),
        ("done", "removed"),
    ]
    with session_factory() as session:
        compose = session.scalars(select(Compose)).one()
        assert (compose.origin, compose.external_id, compose.source_type) == (
            "odcs",
            "378",
            "raw_config",
        )
        assert compose.removed_by == "jkaluza"
        assert compose.owner == "jkaluza"
        assert compose.arches == ["x86_64"]
        assert compose.time_removed is not None


def test_odcs_done_records_builds_and_modules(session_factory, settings, koji):
    builds = odcs(2, source_type=6, source="", builds="bash-5.2-1.fc39 zsh-5.9-5.fc39",
                  arches="x86_64 aarch64")  # fmt: skip
    assert handle(session_factory, settings, koji, builds).outcome == "handled"
    modules = odcs(2, id=379, source_type=2, source="eog:main:3020190718103837:548d4c8d")
    assert handle(session_factory, settings, koji, modules).outcome == "handled"
    with session_factory() as session:
        rows = session.scalars(select(ComposeContent).order_by(ComposeContent.id)).all()
        got = [(r.kind, r.artifact, r.name, r.arch) for r in rows]
    assert got == [
        ("rpm", "bash-5.2-1.fc39", "bash", "x86_64"),
        ("rpm", "bash-5.2-1.fc39", "bash", "aarch64"),
        ("rpm", "zsh-5.9-5.fc39", "zsh", "x86_64"),
        ("rpm", "zsh-5.9-5.fc39", "zsh", "aarch64"),
        ("module", "eog:main:3020190718103837:548d4c8d", "eog", None),
    ]
    # a redelivered done message adds no duplicate contents
    handle(session_factory, settings, koji, builds)
    with session_factory() as session:
        assert len(session.scalars(select(ComposeContent)).all()) == 5


def test_odcs_message_moves_the_local_compose_it_serves(session_factory, settings, koji):
    """The odcs backend stored ODCS's id on our compose: its messages move that compose."""
    with session_factory.begin() as session:
        local = Compose(
            origin="conveyor", external_id="378", owner="alice", source_type="build",
            source="", state="wait", time_to_expire=utcnow() + timedelta(days=1),
        )  # fmt: skip
        record(session, local, cause="test")
        local_id = local.id
    handle(session_factory, settings, koji, odcs(1))
    outcome = handle(session_factory, settings, koji, odcs(2, result_repo="https://odcs.example/r"))
    assert outcome.outcome == "handled", outcome
    assert composes(session_factory) == [("conveyor", "378", "done", "build")]
    with session_factory() as session:
        compose = session.get(Compose, local_id)
        assert compose.result_repo_url == "https://odcs.example/r"
        assert compose.owner == "alice"


def test_through_the_pipeline_a_duplicate_message_id_is_a_no_op(deps, session_factory):
    message = load_message(MESSAGES / "compose" / "063.json")
    incoming = Incoming("dup-1", message["topic"], message["body"])
    first = process(incoming, deps, consumer="compose")
    assert first.outcome == "handled", first
    assert len(first.outbox_ids) == 1
    again = process(incoming, deps, consumer="compose")
    assert again.outcome == "ignored"
    assert again.reason.startswith("duplicate")
    assert trace(session_factory) == [(None, "generating")]


def test_through_the_pipeline_a_malformed_status_raises_invalid(deps, session_factory):
    body = {"compose_id": "Fedora-Rawhide-20180426.n.0", "status": "EXPLODED"}
    with pytest.raises(Invalid, match="not a Pungi status"):
        process(Incoming("bad-1", PUNGI_TOPIC, body), deps, consumer="compose")
    assert composes(session_factory) == []


def test_early_states_of_our_odcs_servers_unlinked_composes_are_not_recorded(session_factory, koji):
    """They can overtake the commit that links them to the local compose they serve."""
    settings = parse(
        {"composes": {"backend": "odcs"},
         "odcs": {"server_url": "https://odcs.stg.fedoraproject.org"}},
        env={},
    )  # fmt: skip
    early = handle(session_factory, settings, koji, odcs(0))
    assert early.outcome == "ignored"
    assert "linked to no compose here (yet)" in early.reason
    assert composes(session_factory) == []
    done = handle(session_factory, settings, koji, odcs(2))
    assert done.outcome == "handled"
    assert composes(session_factory) == [("odcs", "378", "done", "raw_config")]
