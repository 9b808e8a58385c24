"""Compose generation through the compose consumer's handlers (pipeline.process), with the
local backend against the sandbox koji hub: wait -> generating -> done, redelivery, failure,
delete and regenerate, each checked on disk and in the database."""

from __future__ import annotations

import uuid
from pathlib import Path

import koji
import pytest
from sqlalchemy import select

from consumers.pipeline import Deps, Incoming, process
from conveyor.composes.service import ComposeRequest, delete, regenerate, request_compose
from conveyor.settings import parse
from models import Compose, ComposeContent, OutboxMessage
from sandbox.kojihub import KojiHub
from tests.unit.fakes import FakeKoji

TOPIC = "org.fedoraproject.prod.conveyor.compose.state.change.v1"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    root = tmp_path_factory.mktemp("kojihub")
    (root / "distgit").mkdir()
    with KojiHub(root / "distgit", topdir=root / "koji", delay=0.0, publish=lambda *a: None) as hub:
        session = koji.ClientSession(hub.url)
        session.createEmptyBuild("hello", "1.0", "1.fc39")
        yield hub


@pytest.fixture
def deps(hub, session_factory, tmp_path) -> Deps:
    settings = parse({
        "koji": {"hub_url": hub.url},
        "composes": {"target_dir": str(tmp_path / "composes"), "koji_topdir": str(hub.topdir)},
    }, env={})  # fmt: skip
    return Deps(session_factory, settings, FakeKoji())


def _request(deps: Deps, source: str = "hello-1.0-1.fc39") -> int:
    with deps.session_factory.begin() as session:
        compose, _ = request_compose(
            session, ComposeRequest("build", source, "alice"), deps.settings, cause="test"
        )
        return compose.id


def _pending(deps: Deps) -> list[dict]:
    """Announcements not yet handled, oldest first; marks them sent (the bus took them)."""
    with deps.session_factory.begin() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
        ).all()
        for row in rows:
            row.sent_at = row.created_at
        return [row.body for row in rows]


def _deliver(deps: Deps, body: dict) -> str:
    return process(Incoming(str(uuid.uuid4()), TOPIC, body), deps, "compose").outcome


def _pump(deps: Deps) -> list[str]:
    outcomes = []
    while bodies := _pending(deps):
        outcomes += [_deliver(deps, body) for body in bodies]
    return outcomes


def _compose(deps: Deps, compose_id: int) -> Compose:
    with deps.session_factory() as session:
        compose = session.get(Compose, compose_id)
        session.expunge(compose)
        return compose


def _os_dir(deps: Deps, compose_id: int) -> Path:
    return (
        Path(deps.settings.composes.target_dir) / f"odcs-{compose_id}/compose/Temporary/x86_64/os"
    )


def test_wait_compose_is_generated_to_done_with_contents(deps):
    cid = _request(deps)
    assert _pump(deps) == ["handled", "handled", "ignored"]  # wait, generating, done
    compose = _compose(deps, cid)
    assert compose.state == "done" and compose.koji_event is not None
    assert (_os_dir(deps, cid) / "Packages" / "hello-1.0-1.fc39.noarch.rpm").is_file()
    assert (_os_dir(deps, cid) / "repodata" / "repomd.xml").is_file()
    assert compose.result_repofile.endswith(f"odcs-{cid}/compose/Temporary/odcs-{cid}.repo")
    with deps.session_factory() as session:
        rows = session.scalars(select(ComposeContent).where(ComposeContent.compose_id == cid))
        assert [(r.kind, r.artifact, r.name) for r in rows] == [
            ("rpm", "hello-1.0-1.fc39", "hello")
        ]


def test_redelivered_generating_message_regenerates_from_scratch(deps):
    cid = _request(deps)
    wait = _pending(deps)
    assert [_deliver(deps, body) for body in wait] == ["handled"]
    generating = _pending(deps)
    # A crash mid-generation left debris; the redelivered message starts again cleanly.
    debris = Path(deps.settings.composes.target_dir) / f"odcs-{cid}.partial" / "junk"
    debris.parent.mkdir(parents=True)
    debris.write_text("half a compose")
    assert _deliver(deps, generating[0]) == "handled"
    assert not debris.parent.exists() and _compose(deps, cid).state == "done"
    assert _deliver(deps, generating[0]) == "ignored"  # again: stale, nothing changes
    assert [_deliver(deps, body) for body in wait] == ["ignored"]


def test_missing_build_fails_with_the_reason(deps):
    cid = _request(deps, "ghost-1-1.fc39")
    _pump(deps)
    compose = _compose(deps, cid)
    assert compose.state == "failed" and "ghost-1-1.fc39" in compose.state_reason
    assert not (Path(deps.settings.composes.target_dir) / f"odcs-{cid}").exists()


def test_delete_removes_files_and_regenerate_uses_the_same_event(deps):
    cid = _request(deps)
    _pump(deps)
    event = _compose(deps, cid).koji_event
    with deps.session_factory.begin() as session:
        delete(session, session.get(Compose, cid), "bob", cause="test")
    assert _pump(deps) == ["handled"]
    assert not _os_dir(deps, cid).exists() and _compose(deps, cid).state == "removed"
    koji.ClientSession(deps.settings.koji.hub_url).createEmptyBuild("later", "1", "1")
    with deps.session_factory.begin() as session:
        regenerate(session, session.get(Compose, cid), deps.settings, cause="test")
    _pump(deps)
    again = _compose(deps, cid)
    assert (again.state, again.koji_event) == ("done", event)
    assert (_os_dir(deps, cid) / "Packages" / "hello-1.0-1.fc39.noarch.rpm").is_file()


def test_unknown_compose_and_bad_body(deps):
    body = {"compose": {"id": 999, "state_name": "wait"}, "event": "state-changed"}
    assert _deliver(deps, body) == "ignored"
    from conveyor.errors import Invalid

    with pytest.raises(Invalid, match="state_name"):
        _deliver(deps, {"compose": {"id": 1, "state_name": "exploded"}})
