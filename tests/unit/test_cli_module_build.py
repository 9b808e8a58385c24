"""``conveyor module-build`` (submit, cancel, show, list) and ``conveyor api``, through click."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from api.auth import ProxyHeaders
from consumers import module_intake
from conveyor import cli_api, scm
from conveyor.cli import main
from conveyor.modulemd import ModulemdInvalid
from models.component_build import ComponentBuild
from models.module_build import ALL_STATES, TOPIC, ModuleBuild, submit
from models.module_build_transition import ModuleBuildTransition
from models.outbox import OutboxMessage

COMMIT = "a" * 40
SCMURL = f"git+https://src.fedoraproject.org/modules/testmod.git?#{COMMIT}"


@pytest.fixture
def settings_file(tmp_path: Path, session_factory: Any) -> str:
    """Settings naming the unit fixture's database (already holding the schema)."""
    path = tmp_path / "settings.yaml"
    path.write_text(f"database_url: sqlite:///{tmp_path / 'conveyor.sqlite'}\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def prepared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    """``prepare`` without git: records its arguments, returns a request for testmod:main."""
    calls: list[tuple[str, str | None]] = []

    def fake_prepare(scmurl: str, settings: Any, branch: str | None = None) -> Any:
        calls.append((scmurl, branch))
        return module_intake.ModuleRequest(
            scmurl=scmurl,
            name="testmod",
            stream=branch or "main",
            commit=COMMIT,
            version=20240101000000,
            modulemd="document: modulemd\n",
            document=None,  # type: ignore[arg-type]
        )

    monkeypatch.setattr(module_intake, "prepare", fake_prepare)
    return calls


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def seed(session_factory: Any, name: str, state: str = "init", owner: str = "alice") -> int:
    with session_factory.begin() as session:
        build = submit(
            session,
            name=name,
            stream="main",
            version=1,
            scmurl=SCMURL,
            commit=COMMIT,
            owner=owner,
            modulemd="",
            cause="test",
        ).module_build
        if state in ("build", "done"):
            build.transition(session, "wait", cause="test")
            build.koji_tag = build.tag_name()
            build.transition(session, "build", cause="test")
        if state in ("failed", "done"):
            build.transition(session, state, cause="test")
        return build.id


def test_submit_records_the_request_and_prints_id_and_outcome(
    settings_file: str, session_factory: Any, prepared: list
) -> None:
    result = run(
        "module-build",
        "submit",
        SCMURL,
        "--owner",
        "carol",
        "--branch",
        "f39",
        "--settings",
        settings_file,
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 created testmod:f39:20240101000000"
    assert prepared == [(SCMURL, "f39")]
    with session_factory() as session:
        build = session.get(ModuleBuild, 1)
        trace = session.scalars(select(ModuleBuildTransition)).all()
        topics = session.scalars(select(OutboxMessage.topic)).all()
    assert (build.state, build.owner, build.stream) == ("init", "carol", "f39")
    assert [(t.to_state, t.cause) for t in trace] == [("init", "cli:carol")]
    assert topics == [TOPIC]


def test_submit_owner_defaults_to_the_user_running_it(
    settings_file: str, session_factory: Any, prepared: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_api.getpass, "getuser", lambda: "operator")
    assert run("module-build", "submit", SCMURL, "--settings", settings_file).exit_code == 0
    with session_factory() as session:
        assert session.get(ModuleBuild, 1).owner == "operator"


def test_submit_twice_exits_1_and_a_failed_build_resumes(
    settings_file: str, session_factory: Any, prepared: list
) -> None:
    args = ("module-build", "submit", SCMURL, "--owner", "carol", "--settings", settings_file)
    assert run(*args).exit_code == 0
    again = run(*args)
    assert again.exit_code == 1
    assert "already exists as #1 (init)" in again.output
    assert "Traceback" not in again.output
    with session_factory.begin() as session:
        session.get(ModuleBuild, 1).transition(session, "failed", cause="test")
    resumed = run(*args)
    assert resumed.exit_code == 0, resumed.output
    assert resumed.output.strip() == "1 resumed testmod:main:20240101000000"
    with session_factory() as session:
        assert len(session.scalars(select(ModuleBuild)).all()) == 1
        assert session.get(ModuleBuild, 1).state == "init"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ModulemdInvalid(["data.summary: missing", "data.license: missing"]),
            "the modulemd is invalid:\n  - data.summary: missing\n  - data.license: missing",
        ),
        (
            module_intake.ComponentsUnavailable(["component foo: no branch 'x'"]),
            "components cannot be retrieved:\n  - component foo: no branch 'x'",
        ),
        (scm.GitUnavailable("git fetch timed out after 120 s"), "git fetch timed out"),
        (module_intake.ScmNotAllowed("scmurl: host 'evil' is not allowed"), "host 'evil'"),
    ],
)
def test_submit_errors_exit_1_with_the_reason(
    settings_file: str,
    session_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    expected: str,
) -> None:
    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(module_intake, "prepare", failing)
    result = run("module-build", "submit", SCMURL, "--settings", settings_file)
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output
    with session_factory() as session:
        assert session.scalars(select(ModuleBuild)).all() == []


def test_submit_a_malformed_url_fails_before_any_git(settings_file: str) -> None:
    result = run("module-build", "submit", "not a url", "--settings", settings_file)
    assert result.exit_code == 1
    assert "scmurl:" in result.output and "Traceback" not in result.output


def test_cancel_moves_a_build_in_progress_to_failed(
    settings_file: str, session_factory: Any
) -> None:
    build_id = seed(session_factory, "cancelme", state="build")
    result = run(
        "module-build", "cancel", str(build_id), "--by", "dave", "--settings", settings_file
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{build_id} canceled by dave"
    with session_factory() as session:
        build = session.get(ModuleBuild, build_id)
        last = session.scalars(
            select(ModuleBuildTransition).order_by(ModuleBuildTransition.id.desc())
        ).first()
    assert (build.state, build.state_reason) == ("failed", "canceled by dave")
    assert (last.to_state, last.cause) == ("failed", "cli:dave")
    again = run("module-build", "cancel", str(build_id), "--settings", settings_file)
    assert again.exit_code == 1 and "only init, wait or build can be canceled" in again.output
    missing = run("module-build", "cancel", "99", "--settings", settings_file)
    assert missing.exit_code == 1 and "no module build #99" in missing.output
    assert run("module-build", "cancel", "0", "--settings", settings_file).exit_code == 2


def test_show_prints_the_build_and_its_components(settings_file: str, session_factory: Any) -> None:
    build_id = seed(session_factory, "shown", state="build")
    with session_factory.begin() as session:
        session.add(
            ComponentBuild(
                module_build_id=build_id,
                package="foo",
                ref="main",
                commit=COMMIT,
                repository="https://src.fedoraproject.org/rpms/foo.git",
                batch=1,
                state="building",
                koji_task_id=777,
            )
        )
    text = run("module-build", "show", str(build_id), "--settings", settings_file)
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[0] == f"#{build_id} shown:main:1:00000000 build"
    assert "  owner: alice" in text.output
    assert "  batch 1 foo building task 777" in text.output
    as_json = run("module-build", "show", str(build_id), "--json", "--settings", settings_file)
    data = json.loads(as_json.output)
    assert (data["id"], data["state"], data["tasks"]) == (
        build_id,
        "build",
        {"rpms/foo": "777/building"},
    )
    missing = run("module-build", "show", "42", "--settings", settings_file)
    assert missing.exit_code == 1 and "no module build #42" in missing.output


def test_list_filters_by_state_newest_first(settings_file: str, session_factory: Any) -> None:
    ids = {
        name: seed(session_factory, name, state)
        for name, state in [
            ("one", "init"),
            ("two", "failed"),
            ("three", "failed"),
            ("four", "done"),
        ]
    }
    failed = run("module-build", "list", "--state", "failed", "--json", "--settings", settings_file)
    assert [item["id"] for item in json.loads(failed.output)] == [ids["three"], ids["two"]]
    everything = run("module-build", "list", "--settings", settings_file)
    lines = everything.output.splitlines()
    assert len(lines) == 4 and "four:main:1:00000000" in lines[0] and "done" in lines[0]
    assert (
        run("module-build", "list", "--state", "bogus", "--settings", settings_file).exit_code == 2
    )
    assert set(cli_api.STATES) == ALL_STATES


def test_api_serves_the_app_threaded_on_the_configured_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[tuple[str, int, Any, dict]] = []
    monkeypatch.setattr(
        "werkzeug.serving.run_simple",
        lambda host, port, app, **kw: served.append((host, port, app, kw)),
    )
    path = tmp_path / "settings.yaml"
    path.write_text("api: {host: 127.0.0.2, port: 5999}\n", encoding="utf-8")
    plain = run("api", "--settings", str(path))
    assert plain.exit_code == 0, plain.output
    host, port, app, kwargs = served[0]
    assert (host, port, kwargs["threaded"]) == ("127.0.0.2", 5999, True)
    assert "/rida/module-builds/" in {rule.rule for rule in app.url_map.iter_rules()}
    proxied = run("api", "--settings", str(path), "--remote-user-header", "X-Remote-User")
    assert proxied.exit_code == 0 and isinstance(served[1][2], ProxyHeaders)
    lonely = run("api", "--settings", str(path), "--remote-groups-header", "X-Groups")
    assert lonely.exit_code == 2 and "needs --remote-user-header" in lonely.output
    assert len(served) == 2
