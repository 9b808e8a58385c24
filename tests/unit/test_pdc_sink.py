"""The PDC sink against a real local HTTP server (sandbox.pdc_server): queue, retries, CLI."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from conveyor.cli import main
from conveyor.pdc.apply import apply_change
from conveyor.pdc.client import PdcClient
from conveyor.pdc.queue import send_due
from conveyor.pdc.sync import drift, initialize, queue_changes
from models import ModuleComponentRef, PdcUpdate
from sandbox.pdc_server import PdcServer
from tests.unit.pdc_world import (
    RELEASE,
    T0,
    TESTMODULE,
    TOKEN,
    add_done_compose,
    add_ready_module,
    load_modulemd,
    pdc_settings,
)

NVR = "tangerine-0.22-3.module_c2c572ec"
EXPECTED_RELATIONSHIPS = [
    ("ModuleBuildRequires", "testmodule:master", "platform:f28"),
    ("ModuleIncludesRPM", "testmodule:master", "perl-List-Compare"),
    ("ModuleIncludesRPM", "testmodule:master", "perl-Tangerine"),
    ("ModuleIncludesRPM", "testmodule:master", "tangerine"),
    ("ModuleRequires", "testmodule:master", "platform:f28"),
]


@pytest.fixture
def server():
    pdc = PdcServer(token=TOKEN, page_size=2).start()  # small pages: pagination is exercised
    yield pdc
    pdc.stop()


@pytest.fixture
def world(session_factory):
    load_modulemd(session_factory, TESTMODULE)
    uid = add_ready_module(session_factory)
    compose_id = add_done_compose(session_factory, [(NVR, "noarch"), (NVR, "src")])
    return uid, compose_id


def _rows(session_factory) -> list[PdcUpdate]:
    with session_factory() as session:
        return list(session.scalars(select(PdcUpdate).order_by(PdcUpdate.id)))


def _states(session_factory) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in _rows(session_factory):
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts


def test_cron_path_queues_then_sends_everything(session_factory, server, world):
    settings = pdc_settings(server.url)
    uid, compose_id = world
    queued = queue_changes(session_factory, RELEASE, T0)
    assert queued == 7  # 5 relationships, 1 module, 1 compose
    report = send_due(session_factory, PdcClient(settings), settings, T0)
    assert (report.sent, report.retried, report.failed) == (7, 0, 0)
    assert server.relationship_rows() == EXPECTED_RELATIONSHIPS
    module = server.store.modules[uid]
    assert module["active"] is True and module["rpms"] == [NVR]
    assert (
        module["runtime_deps"]
        == module["build_deps"]
        == [{"dependency": "platform", "stream": "f28"}]
    )
    assert sorted(r["arch"] for r in server.store.rpms if r["compose"] == compose_id) == [
        "noarch",
        "src",
    ]
    assert {w.authorization for w in server.writes()} == {f"Token {TOKEN}"}
    assert _states(session_factory) == {"sent": 7}
    assert drift(session_factory, PdcClient(settings, page_size=2), RELEASE) == []
    pages = [r.query.get("page") for r in server.requests if "relationships" in r.path]
    assert "2" in pages  # 3 ModuleIncludesRPM, 2 per page: ``next`` was followed


def test_retries_after_a_5xx_then_succeeds(session_factory, server, world):
    settings = pdc_settings(server.url)
    client = PdcClient(settings)
    queue_changes(session_factory, RELEASE, T0)
    server.fail_next(1)
    report = send_due(session_factory, client, settings, T0)
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    first = _rows(session_factory)[0]
    assert first.state == "pending" and first.attempts == 1
    assert "HTTP 503" in first.last_error
    assert first.next_attempt_at == T0 + timedelta(seconds=10)
    assert all(r.attempts == 0 for r in _rows(session_factory)[1:])  # not charged: PDC was down

    before = len(server.requests)
    report = send_due(session_factory, client, settings, T0 + timedelta(seconds=5))
    assert report.sent == 6  # the others go; the failed one waits for its backoff
    assert _rows(session_factory)[0].state == "pending"
    report = send_due(session_factory, client, settings, T0 + timedelta(seconds=11))
    assert report.sent == 1
    assert len(server.requests) > before
    assert _states(session_factory) == {"sent": 7}
    assert server.relationship_rows() == EXPECTED_RELATIONSHIPS


def test_gives_up_after_max_attempts_with_the_error(session_factory, server, world, caplog):
    settings = pdc_settings(server.url, max_attempts=3, backoff_seconds=10.0)
    client = PdcClient(settings)
    queue_changes(session_factory, RELEASE, T0)
    server.fail_next(100, status=502)
    now = T0
    for expected_attempts in (1, 2, 3):
        with caplog.at_level(logging.WARNING, logger="conveyor.pdc.queue"):
            send_due(session_factory, client, settings, now)
        assert _rows(session_factory)[0].attempts == expected_attempts
        now += timedelta(seconds=10 * 2 ** (expected_attempts - 1))  # exactly the backoff
    dead = _rows(session_factory)[0]
    assert dead.state == "failed" and dead.pending_key is None
    assert "HTTP 502" in dead.last_error
    assert any("giving up" in r.getMessage() and dead.key in r.getMessage() for r in caplog.records)
    assert _states(session_factory) == {"failed": 1, "pending": 6}
    # cron does not resurrect a dead change on its own (it would only fail again)
    assert queue_changes(session_factory, RELEASE, now) == 0


def test_a_4xx_is_permanent_and_fails_at_once(session_factory, server, world):
    settings = pdc_settings(server.url)
    queue_changes(session_factory, RELEASE, T0)
    server.fail_next(1, status=400)
    report = send_due(session_factory, PdcClient(settings), settings, T0)
    assert (report.sent, report.failed) == (6, 1)
    dead = _rows(session_factory)[0]
    assert dead.state == "failed" and dead.attempts == 1 and "HTTP 400" in dead.last_error


def test_wrong_token_is_rejected_not_retried(session_factory, server, world):
    settings = pdc_settings(server.url, token="wrong")
    queue_changes(session_factory, RELEASE, T0)
    report = send_due(session_factory, PdcClient(settings), settings, T0)
    assert report.failed == 7 and report.sent == 0
    assert server.relationship_rows() == []


def test_no_duplicate_relationships_after_a_replay(session_factory, server, world):
    settings = pdc_settings(server.url)
    client = PdcClient(settings)
    assert queue_changes(session_factory, RELEASE, T0) == 7
    assert queue_changes(session_factory, RELEASE, T0) == 0  # enqueued twice: queued once
    assert len(_rows(session_factory)) == 7
    send_due(session_factory, client, settings, T0)
    posts = len([w for w in server.writes() if w.method == "POST"])
    # a crash after PDC answered but before the commit: every change is sent again
    for row in _rows(session_factory):
        apply_change(client, row.kind, row.payload)
    assert server.relationship_rows() == EXPECTED_RELATIONSHIPS
    # the replayed adds were POSTed again; PDC answered "unique set" and nothing doubled
    new_posts = [w for w in server.writes()[posts:] if w.method == "POST"]
    assert len([w for w in new_posts if "relationships" in w.path]) == 5
    assert len(server.store.relationships) == 5
    assert len(server.store.components) == 5  # testmodule:master, platform:f28, three rpms
    assert not [w for w in new_posts if "compose-rpms" in w.path]  # same RPMs: not again
    assert queue_changes(session_factory, RELEASE, T0) == 0
    assert send_due(session_factory, client, settings, T0).sent == 0


def test_a_newer_intent_replaces_the_pending_one(session_factory, server, world):
    settings = pdc_settings(server.url)
    queue_changes(session_factory, RELEASE, T0)
    send_due(session_factory, PdcClient(settings), settings, T0)
    # the stream drops its rpm components: three removals are queued ...
    with session_factory.begin() as session:
        refs = list(session.scalars(select(ModuleComponentRef)))
        kept = [(r.definition_id, r.rpm, r.ref) for r in refs]
        for ref in refs:
            session.delete(ref)
    assert queue_changes(session_factory, RELEASE, T0) == 3
    assert {r.kind for r in _rows(session_factory) if r.state == "pending"} == {
        "relationship.remove"
    }
    # ... and come back before they were sent: the pending rows turn into adds, no new rows
    with session_factory.begin() as session:
        session.add_all(ModuleComponentRef(definition_id=d, rpm=n, ref=f) for d, n, f in kept)
    assert queue_changes(session_factory, RELEASE, T0) == 3
    pending = [r for r in _rows(session_factory) if r.state == "pending"]
    assert len(_rows(session_factory)) == 10 and {r.kind for r in pending} == {"relationship.add"}
    report = send_due(session_factory, PdcClient(settings), settings, T0)
    assert report.sent == 3
    assert [w for w in server.writes() if w.method == "DELETE"] == []
    assert server.relationship_rows() == EXPECTED_RELATIONSHIPS


def _settings_file(tmp_path, session_factory, server) -> str:
    url = str(session_factory.kw["bind"].url)
    path = tmp_path / "settings.yaml"
    pdc = {"enabled": True, "url": server.url, "token": TOKEN, "release": RELEASE}
    path.write_text(yaml.safe_dump({"database_url": url, "pdc": pdc}), encoding="utf-8")
    return str(path)


def test_initialize_pushes_everything_and_audit_sees_no_drift(
    session_factory, server, world, tmp_path
):
    settings_path = _settings_file(tmp_path, session_factory, server)
    runner = CliRunner()
    audit = runner.invoke(main, ["pdc", "audit", "--settings", settings_path])
    assert audit.exit_code == 2, audit.output
    assert "relationship:fedora-29:ModuleRequires:testmodule:master->platform:f28" in audit.output
    assert server.writes() == []  # audit only reads

    result = runner.invoke(main, ["pdc", "initialize", "--settings", settings_path])
    assert result.exit_code == 0, result.output
    assert "7 changes queued; 7 sent, 0 to retry, 0 failed" in result.output
    assert server.relationship_rows() == EXPECTED_RELATIONSHIPS
    audit = runner.invoke(main, ["pdc", "audit", "--settings", settings_path])
    assert audit.exit_code == 0, audit.output
    status = runner.invoke(main, ["pdc", "status", "--settings", settings_path])
    assert "pending: 0, sent: 7, failed: 0" in status.output


def test_audit_reports_an_injected_drift_and_initialize_repairs_it(
    session_factory, server, world, tmp_path
):
    settings = pdc_settings(server.url)
    client = PdcClient(settings)
    initialize(session_factory, client, settings, clock=lambda: T0)
    # drift: someone deletes one relationship and adds one Conveyor never asked for
    store = server.store
    victim = next(r for r in store.relationships.values() if r["type"] == "ModuleRequires")
    del store.relationships[victim["id"]]
    bogus = store.add_component(RELEASE, "bogus", "rpm")
    owner = next(c for c in store.components.values() if c["name"] == "testmodule:master")
    store.add_relationship("ModuleIncludesRPM", owner["id"], bogus["id"])

    settings_path = _settings_file(tmp_path, session_factory, server)
    audit = CliRunner().invoke(main, ["pdc", "audit", "--settings", settings_path])
    assert audit.exit_code == 2
    assert audit.stdout.splitlines() == [
        "relationship:fedora-29:ModuleIncludesRPM:testmodule:master->bogus: extra in PDC",
        "relationship:fedora-29:ModuleRequires:testmodule:master->platform:f28: missing in PDC",
    ]
    assert "2 objects drifted" in audit.stderr

    queued, report = initialize(session_factory, client, settings, clock=lambda: T0)
    assert (queued, report.sent) == (2, 2)
    assert server.relationship_rows() == EXPECTED_RELATIONSHIPS
    assert CliRunner().invoke(main, ["pdc", "audit", "--settings", settings_path]).exit_code == 0


def test_audit_exits_1_when_pdc_cannot_be_read(session_factory, server, world, tmp_path):
    settings_path = _settings_file(tmp_path, session_factory, server)
    server.fail_next(1000)
    audit = CliRunner().invoke(main, ["pdc", "audit", "--settings", settings_path])
    assert audit.exit_code == 1
    assert "HTTP 503" in audit.output


def test_initialize_requeues_a_dead_change(session_factory, server, world):
    settings = pdc_settings(server.url, max_attempts=1)
    client = PdcClient(settings)
    queue_changes(session_factory, RELEASE, T0)
    server.fail_next(1)
    send_due(session_factory, client, settings, T0)
    assert _states(session_factory)["failed"] == 1
    queued, report = initialize(session_factory, client, settings, clock=lambda: T0)
    # the dead change is queued again; the six PDC's outage held back go with it
    assert (queued, report.sent, report.failed) == (1, 7, 0)
    assert server.relationship_rows() == EXPECTED_RELATIONSHIPS
    assert drift(session_factory, client, RELEASE) == []


def test_the_cron_job_does_nothing_unless_enabled(session_factory, server, world):
    from dataclasses import replace

    from conveyor.settings import parse
    from cron.pdc import sync_pdc
    from cron.scheduler import job_table

    base = parse({"pdc": {"url": server.url, "token": TOKEN, "release": RELEASE}}, env={})
    client = PdcClient(base.pdc)
    assert sync_pdc(session_factory, base, client) is None
    assert server.requests == [] and _rows(session_factory) == []
    enabled = replace(base, pdc=replace(base.pdc, enabled=True))
    report = sync_pdc(session_factory, enabled, client)
    assert report is not None and report.sent == 7
    assert server.relationship_rows() == EXPECTED_RELATIONSHIPS
    assert "sync_pdc" in {job.name for job in job_table(enabled)}


def test_settings_example_documents_the_defaults_and_errors_are_all_listed():
    from conveyor.errors import ConfigError
    from conveyor.settings import load, parse
    from tests.unit.fakes import CONFIG

    assert load(CONFIG / "settings.example.yaml").pdc == parse({}, env={}).pdc
    assert parse({}, env={}).pdc.enabled is False
    with pytest.raises(ConfigError) as caught:
        parse({"pdc": {"enabled": "yes", "url": "ftp://pdc", "max_attempts": 0, "x": 1}}, env={})
    assert sorted(caught.value.problems) == [
        "pdc.enabled: expected bool, got 'yes'",
        "pdc.max_attempts: must be at least 1",
        "pdc.url: must be an http:// or https:// URL, got 'ftp://pdc'",
        "pdc.x: unknown key",
    ]


def test_the_database_allows_one_pending_change_per_object(session_factory):
    from sqlalchemy.exc import IntegrityError

    def row(**values) -> PdcUpdate:
        base = {"kind": "relationship.add", "key": "k", "pending_key": "k", "payload": {}}
        return PdcUpdate(**{**base, **values})

    with session_factory.begin() as session:
        session.add(row())
    for bad in (
        row(),  # a second pending change of the same object
        row(key="k2", pending_key="k2", state="sent"),  # sent yet still pending-keyed
        row(key="k3", pending_key=None, state="sent"),  # sent without a time
        row(key="k4", pending_key=None, state="failed"),  # failed without its error
        row(key="k5", pending_key="k5", kind="relationship.explode"),
    ):
        with pytest.raises(IntegrityError), session_factory.begin() as session:
            session.add(bad)
    with session_factory.begin() as session:
        session.add(row(key="k", pending_key=None, state="failed", last_error="HTTP 400"))
    assert len(_rows(session_factory)) == 2


def test_pagination_links_never_lead_away_from_the_configured_pdc(session_factory, world):
    foreign = PdcServer(token=TOKEN, page_size=2, link_base="http://pdc.elsewhere.example")
    foreign.start()
    try:
        settings = pdc_settings(foreign.url)
        queue_changes(session_factory, RELEASE, T0)
        assert send_due(session_factory, PdcClient(settings), settings, T0).sent == 7
        client = PdcClient(settings, page_size=2)
        listed = list(client.relationships(RELEASE, ("ModuleIncludesRPM",)))
        assert len(listed) == 3  # page 2 fetched from our server, not from the link's host
        assert [r.query.get("page") for r in foreign.requests[-2:]] == [None, "2"]
    finally:
        foreign.stop()


def test_prune_keeps_the_newest_change_of_each_object(session_factory, server, world):
    from conveyor.pdc.queue import prune

    settings = pdc_settings(server.url)
    client = PdcClient(settings)
    queue_changes(session_factory, RELEASE, T0)
    send_due(session_factory, client, settings, T0)
    with session_factory.begin() as session:  # the module stream loses its rpms ...
        for ref in session.scalars(select(ModuleComponentRef)):
            session.delete(ref)
    later = T0 + timedelta(days=40)
    queue_changes(session_factory, RELEASE, later)
    send_due(session_factory, client, settings, later)
    assert _states(session_factory) == {"sent": 10}
    assert prune(session_factory, T0 - timedelta(days=1)) == 0  # nothing old enough
    assert prune(session_factory, T0 + timedelta(days=30)) == 3  # the three superseded adds
    assert {r.kind for r in _rows(session_factory) if "IncludesRPM" in r.key} == {
        "relationship.remove"
    }
    assert queue_changes(session_factory, RELEASE, later) == 0  # the last-known state held


def test_an_unexpected_error_is_retried_a_bounded_number_of_times(session_factory, server, caplog):
    settings = pdc_settings(server.url, max_attempts=2)
    broken = {"compose_id": "C-1", "release": RELEASE, "variant": "X", "date": "1", "rpms": [7]}
    with session_factory.begin() as session:
        session.add(
            PdcUpdate(
                kind="compose.import",
                key="compose:C-1",
                pending_key="compose:C-1",
                payload=broken,
                next_attempt_at=T0,
            )
        )
    client = PdcClient(settings)
    with caplog.at_level(logging.ERROR, logger="conveyor.pdc.queue"):
        assert send_due(session_factory, client, settings, T0).retried == 1
        later = T0 + timedelta(seconds=10)
        assert send_due(session_factory, client, settings, later).failed == 1
    (row,) = _rows(session_factory)
    assert row.state == "failed" and row.attempts == 2
    assert row.last_error.startswith("AttributeError")
    assert any("unexpected error" in r.getMessage() for r in caplog.records)
    assert server.writes() == []


def test_initialize_does_not_wait_for_backoffs(session_factory, server, world):
    settings = pdc_settings(server.url, backoff_seconds=600.0, backoff_max_seconds=600.0)
    client = PdcClient(settings)
    queue_changes(session_factory, RELEASE, T0)
    server.fail_next(1)
    send_due(session_factory, client, settings, T0)
    assert _rows(session_factory)[0].next_attempt_at == T0 + timedelta(seconds=600)
    later = T0 + timedelta(seconds=1)
    queued, report = initialize(session_factory, client, settings, clock=lambda: later)
    assert queued == 0  # every change was queued already ...
    assert report.sent == 7  # ... and all go now, the backed-off one included
    assert _states(session_factory) == {"sent": 7}


def test_a_new_release_leaves_what_was_pushed_to_the_old_one(session_factory, server, world):
    settings = pdc_settings(server.url)
    queue_changes(session_factory, RELEASE, T0)
    send_due(session_factory, PdcClient(settings), settings, T0)
    assert queue_changes(session_factory, "fedora-30", T0) == 5  # relationships of fedora-30
    pending = [r for r in _rows(session_factory) if r.state == "pending"]
    assert {r.kind for r in pending} == {"relationship.add"}
    assert {r.payload["release"] for r in pending} == {"fedora-30"}


def test_a_compose_whose_rpms_differ_in_pdc_is_imported_again(session_factory, server, world):
    _, compose_id = world
    settings = pdc_settings(server.url)
    client = PdcClient(settings)
    initialize(session_factory, client, settings, clock=lambda: T0)
    server.store.rpms = [r for r in server.store.rpms if r["arch"] != "src"]  # PDC lost one
    assert [c.key for c in drift(session_factory, client, RELEASE)] == [f"compose:{compose_id}"]
    queued, report = initialize(session_factory, client, settings, clock=lambda: T0)
    assert (queued, report.sent) == (1, 1)
    assert sorted(r["arch"] for r in server.store.rpms) == ["noarch", "src"]
    assert drift(session_factory, client, RELEASE) == []


def test_initialize_exits_1_when_pdc_is_down_and_queues_nothing(
    session_factory, server, world, tmp_path
):
    settings_path = _settings_file(tmp_path, session_factory, server)
    server.fail_next(1000)
    result = CliRunner().invoke(main, ["pdc", "initialize", "--settings", settings_path])
    assert result.exit_code == 1
    assert "HTTP 503" in result.output
    assert _rows(session_factory) == []
