"""The dispatch table agrees with the fedora-messaging TOML bindings, both ways."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

from consumers import dispatch
from consumers.parse_distgit import parse_git_receive, parse_pagure_git_receive
from tests.unit.fakes import CONFIG


def _tomls() -> list[Path]:
    return sorted(CONFIG.glob("*.toml"))


def _consumer_name(conf: dict) -> str:
    module, _, cls = conf["callback"].partition(":")
    return getattr(importlib.import_module(module), cls).name


def _routing_keys(conf: dict) -> list[str]:
    return [key for binding in conf.get("bindings", []) for key in binding["routing_keys"]]


def _load(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def amqp_match(pattern: str, topic: str) -> bool:
    """RabbitMQ topic-exchange matching: ``*`` is one word, ``#`` zero or more."""

    def match(p: list[str], t: list[str]) -> bool:
        if not p:
            return not t
        if p[0] == "#":
            return any(match(p[1:], t[i:]) for i in range(len(t) + 1))
        if not t:
            return False
        return (p[0] == "*" or p[0] == t[0]) and match(p[1:], t[1:])

    return match(pattern.split("."), topic.split("."))


def _samples(key: str) -> list[str]:
    """Concrete topics a routing key accepts: ``*`` one word, ``#`` none, one or two."""
    samples = []
    for hash_words in ("", "valgrind", "valgrind.master"):
        words = []
        for word in key.split("."):
            if word == "*":
                words.append("sample")
            elif word == "#":
                words.extend(hash_words.split(".") if hash_words else [])
            else:
                words.append(word)
        samples.append(".".join(words))
    return sorted(set(samples))


def test_matcher_itself():
    assert amqp_match("a.#", "a")
    assert amqp_match("a.#", "a.b.c")
    assert amqp_match("a.*.c", "a.b.c")
    assert not amqp_match("a.*.c", "a.c")
    assert not amqp_match("a.b", "a.b.c")


def test_there_are_consumer_configs_and_each_names_a_known_consumer():
    names = [_consumer_name(_load(p)) for p in _tomls()]
    assert sorted(names) == sorted(dispatch.CONSUMERS)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("path", _tomls(), ids=lambda p: p.name)
def test_every_bound_routing_key_has_a_route_for_its_consumer(path):
    conf = _load(path)
    name = _consumer_name(conf)
    keys = _routing_keys(conf)
    assert keys, f"{path.name} binds nothing"
    for key in keys:
        for topic in _samples(key):
            route = dispatch.route_for(topic, name)
            assert route is not None, f"{path.name}: {topic} (from {key}) has no {name} route"
            assert route.consumer == name


@pytest.mark.parametrize("route", dispatch.ROUTES, ids=lambda r: f"{r.consumer}:{r.topic}")
def test_every_route_is_bound_by_its_consumers_toml(route):
    confs = [c for c in map(_load, _tomls()) if _consumer_name(c) == route.consumer]
    assert len(confs) == 1
    keys = _routing_keys(confs[0])
    prefix = confs[0].get("topic_prefix", "org.fedoraproject.prod")
    topics = [f"{prefix}.{route.topic}"]
    if route.subtopics:
        topics.append(f"{prefix}.{route.topic}.valgrind.master")
    for topic in topics:
        assert any(amqp_match(k, topic) for k in keys), f"{topic} is not bound by {keys}"


def test_forge_topics_of_other_organisations_have_no_route():
    assert dispatch.route_for("io.pagure.prod.pagure.git.receive") is None
    assert dispatch.route_for("io.pagure.prod.pagure.git.receive", "distgit") is None
    assert dispatch.bare("io.pagure.prod.pagure.git.receive") is None


def test_fedmsg_subtopic_routes_to_distgit():
    route = dispatch.route_for("org.fedoraproject.prod.git.receive.valgrind.master")
    assert route is not None
    assert route.consumer == "distgit"
    assert route.parser is parse_git_receive


@pytest.mark.parametrize("env", ["prod", "stg", "dev"])
def test_environment_prefixes(env):
    route = dispatch.route_for(f"org.fedoraproject.{env}.pagure.git.receive")
    assert route is not None and route.parser is parse_pagure_git_receive
    assert dispatch.bare(f"org.fedoraproject.{env}.git.receive") == "git.receive"


@pytest.mark.parametrize(
    "topic",
    [
        "org.fedoraproject.prod.git.receiver",  # not a subtopic: no dot
        "org.fedoraproject.prod.trac.git.receive",
        "org.fedoraproject.prod.git.lookaside.texlive.new",
        "org.fedoraproject.prod.buildsys.untag",
        "org.fedoraproject.prod.buildsys.build.state.change.extra",  # no subtopics here
        "org.fedoraproject.prod.pagure.pull-request.new",
        "org.centos.prod.buildsys.build.state.change",
        "git.receive",
    ],
)
def test_topics_without_a_route(topic):
    assert dispatch.route_for(topic) is None


def test_consumer_filter():
    topic = "org.fedoraproject.prod.buildsys.task.state.change"
    assert dispatch.route_for(topic, "koji").consumer == "koji"
    assert dispatch.route_for(topic, "distgit") is None
