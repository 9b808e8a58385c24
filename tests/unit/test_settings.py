"""conveyor.settings: defaults, branch mapping, validation that lists every problem at once."""

from __future__ import annotations

import pytest

from conveyor import settings as settings_mod
from conveyor.errors import ConfigError
from conveyor.settings import DEFAULT_DATABASE_URL, Settings, load, parse
from tests.unit.fakes import CONFIG


def problems_of(raw, env=None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(raw, env={} if env is None else env)
    return info.value.problems


def test_empty_and_none_give_the_defaults():
    for raw in ({}, None):
        s = parse(raw, env={})
        assert s == Settings()
    s = parse({}, env={})
    assert s.database_url == DEFAULT_DATABASE_URL == "sqlite:///conveyor.sqlite"
    assert s.koji.auth == "none"
    assert s.koji.instance == "primary"
    assert s.koji.timeout == 60
    assert s.distgit.base_url == "https://src.fedoraproject.org"
    assert s.distgit.allowed_scm_hosts == ("src.fedoraproject.org",)
    assert s.distgit.build_namespaces == ("rpms", "modules")
    assert s.allowed_pushers == ("*",)
    assert s.retries.max_attempts == 5
    assert s.cron.stuck_build_hours == 24


@pytest.mark.parametrize(
    ("branch", "target"),
    [
        ("rawhide", "rawhide"),
        ("main", "rawhide"),
        ("master", "rawhide"),
        ("f40", "f40-candidate"),
        ("f9", "f9-candidate"),
        ("epel9", "epel9-candidate"),
        ("epel10", "epel10-candidate"),
        ("foo", None),
        ("f40x", None),  # full match, not a prefix match
        ("xf40", None),
        ("epel", None),
        ("el6", None),
        ("", None),
    ],
)
def test_default_branch_targets(settings, branch, target):
    assert settings.target_for(branch) == target


def test_custom_branch_targets_first_match_wins():
    s = parse(
        {
            "branch_targets": [
                {"branch": "f40", "target": "f40-special"},
                {"branch": r"f(\d+)", "target": r"f\1-build"},
            ]
        },
        env={},
    )
    assert s.target_for("f40") == "f40-special"
    assert s.target_for("f39") == "f39-build"
    assert s.target_for("rawhide") is None  # the defaults are replaced, not extended


def test_pushers_and_scm_hosts():
    s = parse({"allowed_pushers": ["alice"]}, env={})
    assert s.pusher_allowed("alice")
    assert not s.pusher_allowed("mallory")
    assert not s.pusher_allowed(None)
    assert parse({}, env={}).pusher_allowed(None)  # "*" allows everyone
    assert s.scm_host_allowed("git+https://src.fedoraproject.org/rpms/bash.git#abc")
    assert not s.scm_host_allowed("https://evil.example.org/rpms/bash.git")


def test_every_problem_is_reported_in_one_error():
    raw = {
        "colour": "blue",  # unknown top-level key
        "koji": {"hub": "http://x", "timeout": "slow", "auth": "ssl"},  # unknown, type, no cert
        "site": {"recent_days": -3},
        "cron": {"reconcile_seconds": True},
        "allowed_pushers": "alice",
        "branch_targets": [{"branch": "f(", "target": "x"}, {"branch": "f40"}],
        "distgit": {"base_url": "https://evil.example.org", "allowed_scm_hosts": ["a", 3]},
    }
    problems = problems_of(raw)
    text = "\n".join(problems)
    expected = [
        "colour: unknown key",
        "koji.hub: unknown key",
        "koji.timeout: expected a number",
        "site.recent_days: must not be negative",
        "cron.reconcile_seconds: expected a number",
        "allowed_pushers: expected a list of strings",
        "branch_targets[0].branch: not a valid regular expression",
        "branch_targets[1]: expected a mapping with exactly 'branch' and 'target'",
        "distgit.allowed_scm_hosts: expected a list of strings",
        "koji.cert: required when koji.auth is ssl",
        "distgit.base_url: host 'evil.example.org' is not in distgit.allowed_scm_hosts",
    ]
    for fragment in expected:
        assert fragment in text, f"missing {fragment!r} in:\n{text}"
    assert len(problems) == len(expected)
    # The message of the exception itself lists them all, one per line.
    with pytest.raises(ConfigError) as info:
        parse(raw, env={})
    assert all(p in str(info.value) for p in problems)


def test_unknown_auth_and_zero_attempts_are_problems():
    problems = problems_of({"koji": {"auth": "kerberos"}, "retries": {"max_attempts": 0}})
    assert any(p.startswith("koji.auth: must be none, gssapi or ssl") for p in problems)
    assert "retries.max_attempts: must be at least 1" in problems


def test_ssl_with_cert_is_fine_and_ints_become_floats():
    raw = {"koji": {"auth": "ssl", "cert": "/etc/pki/c.pem"}, "retries": {"backoff_seconds": 2}}
    s = parse(raw, env={})
    assert s.koji.cert == "/etc/pki/c.pem"
    assert s.retries.backoff_seconds == 2.0
    assert isinstance(s.retries.backoff_seconds, float)


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"retries": {"max_attempts": "five"}}, "retries.max_attempts"),
        ({"distgit": {"base_url": 5}}, "distgit.base_url"),
        ({"koji": {"auth": ["ssl"]}}, "koji.auth"),
    ],
)
def test_wrong_types_of_cross_checked_keys_are_reported_not_crashed(raw, where):
    """A wrong type must end up in ConfigError.problems, never as TypeError/AttributeError."""
    problems = problems_of(raw)
    assert any(p.startswith(where) for p in problems), problems


def test_a_section_that_is_not_a_mapping():
    problems = problems_of({"koji": "http://koji", "cron": [1, 2]})
    assert any(p.startswith("koji: expected a mapping") for p in problems)
    assert any(p.startswith("cron: expected a mapping") for p in problems)


def test_top_level_not_a_mapping():
    assert problems_of(["a", "b"])[0].startswith("settings: expected a mapping")


def test_branch_target_referring_to_a_missing_group_is_a_config_error():
    """The target template is only used when a push arrives; it must be checked up front."""
    problems = problems_of({"branch_targets": [{"branch": r"f(\d+)", "target": r"f\2-candidate"}]})
    assert any(p.startswith("branch_targets[0]") for p in problems), problems


def test_database_url_from_the_environment_overrides_the_file():
    raw = {"database_url": "sqlite:///from-file.sqlite"}
    assert parse(raw, env={}).database_url == "sqlite:///from-file.sqlite"
    env = {"CONVEYOR_DATABASE_URL": "postgresql://db.example.org/conveyor"}
    assert parse(raw, env=env).database_url == "postgresql://db.example.org/conveyor"
    assert parse({}, env=env).database_url == "postgresql://db.example.org/conveyor"
    assert parse(raw, env={"CONVEYOR_DATABASE_URL": ""}).database_url == "sqlite:///from-file.sqlite"


def test_load_the_example_file():
    s = load(CONFIG / "settings.example.yaml")
    # The example documents the defaults, key by key.
    defaults = parse({}, env={})
    assert s.koji == defaults.koji
    assert s.distgit == defaults.distgit
    assert s.site == defaults.site
    assert s.cron == defaults.cron
    assert s.retries == defaults.retries
    assert s.modules == defaults.modules
    assert s.api == defaults.api
    assert s.allowed_pushers == defaults.allowed_pushers
    assert s.target_for("f40") == "f40-candidate"
    assert s.target_for("epel9") == "epel9-candidate"
    assert s.target_for("main") == "rawhide"
    assert s.target_for("foo") is None


def test_load_without_a_path_uses_conveyor_settings(tmp_path, monkeypatch):
    path = tmp_path / "s.yaml"
    path.write_text("koji:\n  instance: s390\n", encoding="utf-8")
    monkeypatch.setenv("CONVEYOR_SETTINGS", str(path))
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    assert load().koji.instance == "s390"
    monkeypatch.delenv("CONVEYOR_SETTINGS")
    assert load() == Settings()


def test_load_reports_problems_from_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    path = tmp_path / "s.yaml"
    path.write_text("kojii: {}\nretries: {max_attempts: 0}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert "kojii: unknown key" in info.value.problems
    assert "retries.max_attempts: must be at least 1" in info.value.problems


@pytest.mark.parametrize(
    "setup",
    ["missing", "directory", "not_yaml", "binary"],
)
def test_unreadable_or_non_yaml_file_is_a_config_error(tmp_path, setup):
    path = tmp_path / "settings.yaml"
    if setup == "directory":
        path.mkdir()
    elif setup == "not_yaml":
        path.write_text("koji: [unclosed\n  : : :\n", encoding="utf-8")
    elif setup == "binary":
        path.write_bytes(b"\xff\xfe\x00\x81 not text at all \xc3\x28")
    with pytest.raises(ConfigError) as info:
        settings_mod.load(path)
    assert str(path) in str(info.value)


def test_module_and_api_settings_are_checked_all_at_once():
    raw = {
        "modules": {
            "ready_on_done": "yes",
            "platform_tag": "f-build",
            "max_concurrent_builds": 0,
            "stream_branches": "(",
        },
        "api": {"prefix": "rida/", "admins": "root"},
    }
    with pytest.raises(ConfigError) as caught:
        parse(raw, env={})
    problems = caught.value.problems
    assert "modules.ready_on_done: expected true or false, got 'yes'" in problems
    assert "modules.platform_tag: must contain {stream}" in problems
    assert "modules.max_concurrent_builds: must be at least 1" in problems
    assert any(p.startswith("modules.stream_branches: not a valid regular") for p in problems)
    assert "api.prefix: must start with / and not end with one, got 'rida/'" in problems
    assert any(p.startswith("api.admins: expected a list of strings") for p in problems)


def test_stream_branches_decide_which_module_pushes_build():
    settings = parse({"modules": {"stream_branches": r"\d+(\.\d+)*|main"}}, env={})
    assert settings.stream_allowed("5.30") and settings.stream_allowed("main")
    assert not settings.stream_allowed("feature-x")
