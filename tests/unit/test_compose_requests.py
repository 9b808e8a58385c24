"""Automatic compose requests: module done, rebuild chain complete, EOL refusal recorded."""

from __future__ import annotations

from consumers.compose_requests import request_chain_compose, request_module_compose
from consumers.context import HandlerContext
from conveyor.settings import parse
from tests.unit.fakes import FakeKoji
from tests.unit.test_compose_model import _module


def _ctx(session, settings) -> HandlerContext:
    return HandlerContext(session, settings, FakeKoji(), "msg-1", "topic")


def test_module_done_requests_module_plus_runtime_deps(session_factory, settings):
    with session_factory.begin() as session:
        _module(session, "nodejs", "20")
        app = _module(session, "app", "1", requires="nodejs: [20]")
        compose = request_module_compose(_ctx(session, settings), app)
        assert compose is not None and compose.state == "wait"
        assert (compose.owner, compose.source_type) == ("conveyor", "module")
        assert compose.source == "app:1:1:c0ffee00 nodejs:20:1:c0ffee00"
        compose.transition(session, "generating", cause="t")
        again = request_module_compose(_ctx(session, settings), app)
        assert again.id == compose.id  # reused (ODCS: done or generating), not a second one


def test_refused_request_is_recorded_as_a_failed_compose(session_factory):
    settings = parse({"composes": {"releases": {"f39": "2024-11-12"}}}, env={})
    with session_factory.begin() as session:
        short = _module(session, "short", eol="  servicelevels: {rawhide: {eol: 2024-01-01}}\n")
        compose = request_module_compose(_ctx(session, settings), short)
        assert compose.state == "failed"
        assert compose.state_reason.startswith("refused: module short:1:1:c0ffee00")
        assert short.state == "done"  # the module's own progress stays


def test_chain_compose_holds_every_module_and_can_be_turned_off(session_factory, settings):
    with session_factory.begin() as session:
        one, two = _module(session, "one"), _module(session, "two")
        compose = request_chain_compose(_ctx(session, settings), [two, one], chain_id=5)
        assert compose.source == "one:1:1:c0ffee00 two:1:1:c0ffee00"
        assert compose.label == "chain-5"
        off = parse({"composes": {"auto_module_composes": False}}, env={})
        assert request_module_compose(_ctx(session, off), one) is None
