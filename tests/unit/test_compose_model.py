"""Compose model and service: state table, reuse, renew, expiry, regenerate, delete, constraints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from conveyor.composes.service import (
    ComposeRequest,
    ComposeRequestError,
    composes_containing,
    delete,
    expire_due,
    regenerate,
    renew,
    request_compose,
)
from conveyor.errors import IllegalTransition, Invalid
from conveyor.settings import parse
from models import Compose, ComposeContent, ComposeTransition, ModuleBuild, OutboxMessage
from models.base import utcnow
from models.compose import STATE_CODES, TRANSITIONS, record

MODULEMD = """\
document: modulemd
version: 2
data:
  name: {name}
  stream: "{stream}"
  summary: s
  description: d
  license: {{module: [MIT]}}
  dependencies:
    - buildrequires: {{platform: [f39]}}
      requires: {{platform: [f39]{requires}}}
{eol}"""


def _module(session, name, stream="1", version=1, state="done", requires="", eol=""):
    extra = f", {requires}" if requires else ""
    module = ModuleBuild(
        name=name, stream=stream, version=version, context="c0ffee00", scmurl="git://x",
        commit="a" * 40, owner="alice", state=state, koji_tag=f"module-{name}-{stream}-{version}",
        buildrequires={"platform:f39": "f39-build"},
        modulemd=MODULEMD.format(name=name, stream=stream, requires=extra, eol=eol),
    )  # fmt: skip
    session.add(module)
    session.flush()
    return module


def _req(**kw) -> ComposeRequest:
    base = {"source_type": "build", "source": "bash-5.2-1.fc39", "owner": "alice"}
    return ComposeRequest(**(base | kw))


def test_state_codes_and_table_follow_odcs():
    assert dict(STATE_CODES) == {"wait": 0, "generating": 1, "done": 2, "removed": 3, "failed": 4}
    assert TRANSITIONS["wait"] == {"generating", "failed"}
    assert TRANSITIONS["removed"] == {"wait"}


def test_request_records_wait_trace_and_announcement(session_factory, settings):
    with session_factory.begin() as session:
        compose, reused = request_compose(session, _req(arches=("aarch64", "x86_64")), settings,
                                          cause="test")  # fmt: skip
        assert not reused
        cid = compose.id
    with session_factory() as session:
        compose = session.get(Compose, cid)
        assert (compose.state, compose.state_code, compose.source_type_code) == ("wait", 0, 6)
        assert compose.arches == ["aarch64", "x86_64"]
        lifetime = compose.time_to_expire - compose.time_submitted
        assert abs(lifetime.total_seconds() - 86400) < 5
        trace = session.scalars(select(ComposeTransition)).all()
        assert [(t.from_state, t.to_state) for t in trace] == [(None, "wait")]
        body = session.scalars(select(OutboxMessage)).one().body
        assert body["compose"]["state_name"] == "wait" and body["event"] == "state-changed"


def test_identical_live_compose_is_reused_and_extended(session_factory, settings):
    with session_factory.begin() as session:
        first, _ = request_compose(session, _req(seconds_to_live=60), settings, cause="t")
        first.transition(session, "generating", cause="t")
        before = first.time_to_expire
        again, reused = request_compose(session, _req(seconds_to_live=3600), settings, cause="t")
        assert reused and again.id == first.id
        assert again.time_to_expire > before + timedelta(seconds=3000)
        other, reused = request_compose(session, _req(arches=("ppc64le",)), settings, cause="t")
        assert not reused and other.id != first.id
        assert session.scalar(select(text("count(*)")).select_from(Compose)) == 2


def test_failed_or_removed_compose_is_not_reused(session_factory, settings):
    with session_factory.begin() as session:
        first, _ = request_compose(session, _req(), settings, cause="t")
        first.transition(session, "failed", cause="t", reason="boom")
        again, reused = request_compose(session, _req(), settings, cause="t")
        assert not reused and again.id != first.id


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (_req(source_type="pulp"), "cannot be requested"),
        (_req(source_type="nonsense"), "unknown source_type"),
        (_req(seconds_to_live=10**7), "exceeds the maximum"),
        (_req(source=""), "empty"),
        (_req(source="../../etc"), "invalid value"),
        (_req(arches=("x86_64/..",)), "arches"),
        (_req(source="notannvr"), "name-version-release"),
        (_req(source_type="module", source="nodejs:20"), "no such module build"),
        (_req(flags=("rm_rf",)), "unknown flag"),
    ],
)
def test_bad_requests_raise_with_a_reason(session_factory, settings, request_, reason):
    with session_factory.begin() as session, pytest.raises(ComposeRequestError, match=reason):
        request_compose(session, request_, settings, cause="t")
    assert issubclass(ComposeRequestError, Invalid)


def test_unknown_tag_is_refused_when_koji_is_asked(session_factory, settings):
    with session_factory.begin() as session:
        with pytest.raises(ComposeRequestError, match="no such koji tag"):
            request_compose(session, _req(source_type="tag", source="f39 nope"), settings,
                            cause="t", tag_exists=lambda t: t == "f39")  # fmt: skip
        compose, _ = request_compose(session, _req(source_type="tag", source="f39"), settings,
                                     cause="t", tag_exists=lambda t: t == "f39")  # fmt: skip
        assert compose.source == "f39"


def test_module_source_resolves_nsvc_and_runtime_deps(session_factory, settings):
    with session_factory.begin() as session:
        _module(session, "nodejs", "20", version=1)
        _module(session, "nodejs", "20", version=2, state="failed")  # unusable: skipped
        _module(session, "app", "1", requires="nodejs: [20]")
        compose, _ = request_compose(session, _req(source_type="module", source="app:1"),
                                     settings, cause="t")  # fmt: skip
        assert compose.source == "app:1:1:c0ffee00 nodejs:20:1:c0ffee00"
        alone, _ = request_compose(session, _req(source_type="module", source="app:1",
                                   flags=("no_deps",)), settings, cause="t")  # fmt: skip
        assert alone.source == "app:1:1:c0ffee00"


def test_eol_refused_or_flagged_by_setting(session_factory):
    raw = {"composes": {"releases": {"f39": "2024-11-12"}}}
    refuse = parse(raw, env={})
    flag = parse({"composes": raw["composes"] | {"eol_policy": "flag"}}, env={})
    eol = "  servicelevels: {rawhide: {eol: 2024-06-01}}\n"
    with session_factory.begin() as session:
        _module(session, "short", eol=eol)
        _module(session, "long", eol="  servicelevels: {rawhide: {eol: 2025-06-01}}\n")
        with pytest.raises(ComposeRequestError, match="before release f39"):
            request_compose(session, _req(source_type="module", source="short:1"), refuse,
                            cause="t")  # fmt: skip
        flagged, _ = request_compose(session, _req(source_type="module", source="short:1"),
                                     flag, cause="t")  # fmt: skip
        assert flagged.state == "wait" and "2024-06-01" in flagged.warnings[0]
        fine, _ = request_compose(session, _req(source_type="module", source="long:1"), refuse,
                                  cause="t")  # fmt: skip
        assert fine.warnings == []


def _done(session, compose):
    compose.transition(session, "generating", cause="t")
    compose.koji_event = 42
    compose.transition(session, "done", cause="t")


def test_renew_delete_regenerate_keep_the_same_inputs(session_factory, settings):
    with session_factory.begin() as session:
        compose, _ = request_compose(session, _req(seconds_to_live=60), settings, cause="t")
        _done(session, compose)
        session.execute(text("DELETE FROM site_dirty"))
        renew(session, compose, 7200, settings)
        assert compose.time_to_expire > utcnow() + timedelta(seconds=7000)
        dirty = session.execute(text("SELECT kind, key FROM site_dirty")).all()
        assert dirty == [("compose", compose.id)]  # the site shows the new expiry
        with pytest.raises(ComposeRequestError, match="regenerate"):
            compose.state = "removed"
            renew(session, compose, 60, settings)
        compose.state = "done"
        delete(session, compose, "bob", cause="t")
        assert (compose.state, compose.removed_by) == ("removed", "bob")
        assert compose.time_removed is not None
        with pytest.raises(ComposeRequestError, match="only done or failed"):
            delete(session, compose, "bob", cause="t")
        regenerate(session, compose, settings, cause="t")
        assert (compose.state, compose.koji_event, compose.removed_by) == ("wait", 42, None)
        assert compose.time_done is None and compose.source == "bash-5.2-1.fc39"
        with pytest.raises(ComposeRequestError, match="only removed or failed"):
            regenerate(session, compose, settings, cause="t")
        states = [t.to_state for t in session.scalars(
            select(ComposeTransition).order_by(ComposeTransition.id))]  # fmt: skip
        assert states == ["wait", "generating", "done", "removed", "wait"]


def test_expire_due_removes_only_expired_done_or_failed(session_factory, settings):
    with session_factory.begin() as session:
        done, _ = request_compose(session, _req(), settings, cause="t")
        _done(session, done)
        waiting, _ = request_compose(session, _req(source="zsh-5.9-1.fc39"), settings, cause="t")
        later = utcnow() + timedelta(days=2)
        assert expire_due(session, later) == [done.id]
        assert (done.state, waiting.state) == ("removed", "wait")
        assert expire_due(session, later) == []


def test_illegal_transition_is_refused(session_factory, settings):
    with session_factory.begin() as session:
        compose, _ = request_compose(session, _req(), settings, cause="t")
        with pytest.raises(IllegalTransition):
            compose.transition(session, "done", cause="t")


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"state": "done"}, "done_has_time"),
        ({"state": "removed"}, "removed_has_time"),
        ({"state": "generating"}, "generating_has_start"),
        ({"state": "failed"}, "failed_has_reason"),
        ({"state": "exploded"}, "state_known"),
        ({"source_type": "ftp"}, "source_type_known"),
        ({"origin": "pungi"}, "external_has_id"),
        ({"time_to_expire": None}, "ours_expire"),
    ],
)
def test_check_constraints_hold_in_the_database(session_factory, change, constraint):
    fields = {"owner": "a", "source_type": "tag", "source": "f39", "time_to_expire": utcnow()}
    with session_factory() as session:
        session.add(Compose(**(fields | change)))
        with pytest.raises(IntegrityError, match="CHECK constraint failed"):
            session.flush()


def test_record_external_compose_and_contents_lookup(session_factory):
    with session_factory.begin() as session:
        seen = record(session, Compose(origin="pungi", external_id="Fedora-39-20231101.0",
                      owner="releng", source_type="pungi_compose", source="Fedora-39",
                      state="done", time_done=utcnow()), cause="msg-1")  # fmt: skip
        session.add(ComposeContent(compose_id=seen.id, kind="rpm", artifact="bash-5.2-1.fc39",
                                   name="bash", arch="x86_64"))  # fmt: skip
        session.flush()
        assert [c.id for c in composes_containing(session, "rpm", "bash-5.2-1.fc39")] == [seen.id]
        assert composes_containing(session, "rpm", "zsh-5.9-1.fc39") == []
        twin = replace_compose(seen)
        session.add(twin)
        with pytest.raises(IntegrityError):
            session.flush()


def replace_compose(compose: Compose) -> Compose:
    return Compose(origin=compose.origin, external_id=compose.external_id, owner="x",
                   source_type="tag", source="x")  # fmt: skip


def test_settings_section_reports_every_problem():
    from conveyor.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        parse({"composes": {"backend": "ftp", "eol_policy": "maybe", "releases": {"f39": "soon"},
                            "default_seconds_to_live": 10**9, "bogus": 1}}, env={})  # fmt: skip
    text_ = str(info.value)
    for expected in ("composes.backend", "eol_policy", "releases.f39", "default_seconds_to_live",
                     "composes.bogus"):  # fmt: skip
        assert expected in text_


def test_settings_example_documents_the_compose_defaults():
    from pathlib import Path

    from conveyor.settings import load

    example = Path(__file__).resolve().parents[2] / "config" / "settings.example.yaml"
    assert load(example).composes == parse({}, env={}).composes
    text_ = example.read_text(encoding="utf-8")
    for key in parse({}, env={}).composes.__dataclass_fields__:
        assert f"\n  {key}:" in text_, key


def test_tag_compose_is_reused_only_while_koji_says_its_tags_are_unchanged(
    session_factory, settings
):
    asked: list[tuple[list[str], int]] = []
    moved = {"f39": False}

    def tags_changed(tags: list[str], event: int) -> bool:
        asked.append((tags, event))
        return any(moved[t] for t in tags)

    tag = _req(source_type="tag", source="f39")
    with session_factory.begin() as session:
        first, _ = request_compose(session, tag, settings, cause="t", tags_changed=tags_changed)
        first.transition(session, "generating", cause="t")
        unpinned, reused = request_compose(session, tag, settings, cause="t",
                                           tags_changed=tags_changed)  # fmt: skip
        assert not reused and asked == []  # no koji event yet: nothing to compare
        unpinned.transition(session, "failed", cause="t", reason="not needed")
        first.koji_event = 41
        again, reused = request_compose(session, tag, settings, cause="t",
                                        tags_changed=tags_changed)  # fmt: skip
        assert reused and again.id == first.id and asked == [(["f39"], 41)]
        moved["f39"] = True
        fresh, reused = request_compose(session, tag, settings, cause="t",
                                        tags_changed=tags_changed)  # fmt: skip
        assert not reused and fresh.id != first.id
        _, reused = request_compose(session, tag, settings, cause="t")
        assert not reused  # without koji, a tag compose is never reused


def test_announcement_validates_against_the_message_schema(session_factory, settings):
    from jsonschema import ValidationError

    from conveyor.messages import ComposeStateChangeV1, build_message

    with session_factory.begin() as session:
        compose, _ = request_compose(session, _req(), settings, cause="t")
        body = session.scalars(select(OutboxMessage)).one().body
    message = build_message("conveyor.compose.state.change.v1", body, "id-1")
    assert isinstance(message, ComposeStateChangeV1)
    message.validate()
    assert message.summary == (
        f"compose #{compose.id} (build bash-5.2-1.fc39) moved from None to wait"
    )
    assert (message.usernames, message.url) == (["alice"], f"composes/{compose.id}.html")
    broken = build_message(message.topic, {"compose": {"id": 1}, "event": "x"}, "id-2")
    with pytest.raises(ValidationError):
        broken.validate()
