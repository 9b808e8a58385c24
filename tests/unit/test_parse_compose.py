"""Compose parsers: every captured compose message, and malformed bodies of every kind."""

from __future__ import annotations

import copy
import re
from datetime import datetime

import pytest

from consumers.events import ComposeDetails, ComposeStatus
from consumers.parse_compose import (
    parse_compose_message,
    parse_odcs_state_changed,
    parse_pungi_status,
)
from conveyor.errors import Invalid
from tests.unit.fakes import corpus, load_message

FILES = corpus("compose")
RAWHIDE_2018 = (
    "http://kojipkgs.fedoraproject.org/compose/rawhide/Fedora-Rawhide-20180426.n.0/compose"
)
EXPECTED = {
    "059.json": ComposeStatus(
        "pungi", "Fedora-Rawhide-20180426.n.0", "done", "FINISHED_INCOMPLETE",
        "Pungi finished the compose; some optional parts failed", RAWHIDE_2018,
    ),
    "061.json": ComposeStatus(
        "odcs", "378", "generating", "generating", "Compose thread started",
        "https://odcs.stg.fedoraproject.org/composes/odcs-378",
        ComposeDetails(
            source_type=5, owner="jkaluza", source="eln#eln", arches=("x86_64",),
            compose_type="test", time_to_expire=datetime(2020, 4, 24, 5, 21, 58),
        ),
    ),
    "062.json": ComposeStatus(
        "pungi", "Fedora-Rawhide-20170206.n.0", "done", "FINISHED_INCOMPLETE",
        "Pungi finished the compose; some optional parts failed",
        "http://kojipkgs.fedoraproject.org/compose/rawhide/Fedora-Rawhide-20170206.n.0/compose",
    ),
    "063.json": ComposeStatus(
        "pungi", "Fedora-Atomic-25-20170206.0", "generating", "STARTED",
        "Pungi started the compose",
        "http://kojipkgs.fedoraproject.org/compose/twoweek/Fedora-Atomic-25-20170206.0/compose",
    ),
}  # fmt: skip


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_compose_message_parses_or_is_rejected_with_its_reason(path):
    message = load_message(path)
    topic = message["topic"]
    if path.name in EXPECTED:
        assert parse_compose_message(topic, message["body"]) == EXPECTED[path.name]
        return
    with pytest.raises(Invalid) as caught:
        parse_compose_message(topic, message["body"])
    bare = topic.split(".", 3)[3]
    if bare.startswith("pungi."):
        assert str(caught.value) == f"{bare}: a notice about one part of a Pungi compose, " + (
            "not its status"
        )
    else:
        assert bare.startswith("compose."), topic
        assert "retired release scripts" in str(caught.value)


def test_the_corpus_has_every_era_and_both_services():
    statuses = [parse_compose_message(*_tb(p)) for p in FILES if p.name in EXPECTED]
    assert {s.origin for s in statuses} == {"pungi", "odcs"}
    assert {load_message(p)["era"] for p in FILES if p.name in EXPECTED} == {
        "fedmsg",
        "fedora-messaging",
    }
    assert len(FILES) == 37


def _tb(path):
    message = load_message(path)
    return message["topic"], message["body"]


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("STARTED", "generating"),
        ("FINISHED", "done"),
        ("FINISHED_INCOMPLETE", "done"),
        ("DOOMED", "failed"),
        ("TERMINATED", "failed"),
    ],
)
def test_every_pungi_status_maps_to_a_compose_state(status, state):
    event = parse_pungi_status("t", {"compose_id": "Fedora-39-20231010.0", "status": status})
    assert (event.state, event.status, event.location) == (state, status, None)


PUNGI_BAD = [
    ([], "body: expected an object, got list"),
    ({"status": "STARTED"}, "body.compose_id: expected a non-empty string, got None"),
    ({"compose_id": "../etc", "status": "STARTED"}, "body.compose_id: '../etc' is not a valid"),
    ({"compose_id": "F-1", "status": "RUNNING"}, "body.status: 'RUNNING' is not a Pungi status"),
    (
        {"compose_id": "F-1", "status": "FINISHED", "location": "javascript:alert(1)"},
        "body.location: 'javascript:alert(1)' is not an http(s) URL",
    ),
]


@pytest.mark.parametrize(("body", "reason"), PUNGI_BAD)
def test_malformed_pungi_bodies_are_rejected_with_a_reason(body, reason):
    with pytest.raises(Invalid, match="^" + _escape(reason)):
        parse_pungi_status("t", body)


def _escape(text):
    return re.escape(text)


ODCS = load_message(next(p for p in FILES if p.name == "061.json"))["body"]


def _odcs(**changes):
    body = copy.deepcopy(ODCS)
    for key, value in changes.items():
        if value is _DROP:
            body["compose"].pop(key)
        else:
            body["compose"][key] = value
    return body


_DROP = object()
ODCS_BAD = [
    (_odcs(state=7), "body.compose.state: 7 is not an ODCS compose state (0-4)"),
    (_odcs(state="1"), "body.compose.state: expected an integer, got '1'"),
    (_odcs(state_name="done"), "body.compose.state_name: 'done' contradicts state 1"),
    (_odcs(id=_DROP), "body.compose.id: expected an integer, got None"),
    (_odcs(id=0), "body.compose.id: expected a positive compose id, got 0"),
    (_odcs(source_type=9), "body.compose.source_type: 9 is not an ODCS source type"),
    (_odcs(builds="a-1-1 <b>"), "body.compose.builds: '<b>' is not a valid item"),
    (_odcs(arches=5), "body.compose.arches: expected a space-separated string or a list"),
    (_odcs(time_to_expire="tomorrow"), "body.compose.time_to_expire: 'tomorrow' is not an ISO"),
    (_odcs(toplevel_url="file:///etc"), "body.compose.toplevel_url: 'file:///etc' is not an"),
    (_odcs(owner="a b"), "body.compose.owner: 'a b' is not a valid owner"),
    ({"event": "state-changed"}, "body.compose: expected an object, got None"),
]


@pytest.mark.parametrize(("body", "reason"), ODCS_BAD)
def test_malformed_odcs_bodies_are_rejected_with_a_reason(body, reason):
    with pytest.raises(Invalid, match="^" + _escape(reason)):
        parse_odcs_state_changed("t", body)


def test_odcs_lists_and_contents_are_read():
    body = _odcs(
        state=2, state_name="done", source_type=6, source="",
        builds="bash-5.2-1.fc39 zsh-5.9-5.fc39", packages=["bash"], sigkeys="",
        koji_event=123, result_repo="https://odcs.example/composes/odcs-378/compose/Temporary",
    )  # fmt: skip
    event = parse_odcs_state_changed("t", body)
    assert event.state == "done"
    assert event.details is not None
    assert event.details.builds == ("bash-5.2-1.fc39", "zsh-5.9-5.fc39")
    assert event.details.packages == ("bash",)
    assert (event.details.source_type, event.details.koji_event) == (6, 123)
    assert event.details.result_repo.endswith("/Temporary")


def test_an_unknown_topic_is_not_a_compose():
    with pytest.raises(Invalid, match=_escape("bodhi.update.comment: not a compose topic")):
        parse_compose_message("org.fedoraproject.prod.bodhi.update.comment", {})
