"""The odcs settings section: ODCS's allowed_clients shape, every problem reported at once."""

from __future__ import annotations

import pytest

from conveyor.errors import ConfigError
from conveyor.settings import load, parse
from tests.unit.fakes import CONFIG


def test_defaults_and_the_documented_example():
    assert parse({}, env={}).odcs == load(CONFIG / "settings.example.yaml").odcs
    odcs = parse({}, env={}).odcs
    assert (odcs.server_url, odcs.auth_backend, odcs.max_attempts) == ("", "kerberos", 3)
    assert odcs.allowed_clients.as_odcs() == {"users": {}, "groups": {}}


def test_allowed_clients_union_of_user_and_groups():
    settings = parse(
        {"odcs": {"allowed_clients": {
            "groups": {"packagers": {"source_types": ["module", "build"]}},
            "users": {"alice": {"source_types": ["tag"]}},
        }}},
        env={},
    )  # fmt: skip
    clients = settings.odcs.allowed_clients
    assert clients.source_types("alice", frozenset({"packagers"})) == {"tag", "module", "build"}
    assert clients.source_types("bob", frozenset({"packagers"})) == {"module", "build"}
    assert clients.source_types("alice", frozenset()) == {"tag"}
    assert clients.source_types("carol", frozenset({"qa"})) == frozenset()
    hash(settings)  # settings stay hashable (lru_cache keys)


def test_every_problem_is_reported_at_once():
    raw = {
        "odcs": {
            "allowed_clients": {
                "users": {"alice": {"source_types": ["tag", "bogus"]}, "bob": ["tag"]},
                "teams": {},
            },
            "auth_backend": "magic",
            "server_url": "ftp://odcs.example",
            "timeout": 0,
            "max_attempts": 0,
            "sigkeys": "abc",
            "colour": "blue",
        }
    }
    with pytest.raises(ConfigError) as caught:
        parse(raw, env={})
    assert sorted(caught.value.problems) == sorted(
        [
            "odcs.allowed_clients.users.alice.source_types: unknown bogus; known: tag, module, "
            "repo, pulp, raw_config, build, pungi_compose",
            "odcs.allowed_clients.users.bob: expected a mapping with only 'source_types'",
            "odcs.allowed_clients.teams: unknown key (users or groups)",
            "odcs.auth_backend: must be one of noauth, kerberos, openidc, kerberos_or_ssl, ssl, "
            "got 'magic'",
            "odcs.server_url: expected an http(s) URL, got 'ftp://odcs.example'",
            "odcs.timeout: expected a positive number, got 0",
            "odcs.max_attempts: expected an integer of at least 1, got 0",
            "odcs.sigkeys: expected a list of key ids, got 'abc'",
            "odcs.colour: unknown key",
        ]
    )


def test_not_a_mapping():
    with pytest.raises(ConfigError, match="odcs: expected a mapping"):
        parse({"odcs": ["x"]}, env={})
