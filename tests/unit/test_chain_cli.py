"""``conveyor chain`` plan, start, list, show and cancel, through click on a real database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conveyor.cli import main
from tests.unit.chain_world import define
from tests.unit.module_world import World


@pytest.fixture
def world(tmp_path, koji, session_factory) -> World:
    w = World(tmp_path / "distgit", koji, session_factory)
    define(w, "app", ["base", "app-pkg"])
    define(w, "stack", ["stack-pkg"], ["app:main"])
    return w


@pytest.fixture
def run(tmp_path, world):
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        f"database_url: sqlite:///{tmp_path / 'conveyor.sqlite'}\n"
        f"distgit:\n  base_url: {world.root.as_uri()}\n  allowed_scm_hosts: [localhost]\n",
        encoding="utf-8",
    )

    def invoke(*args: str):
        return CliRunner().invoke(main, ["chain", *args, "--settings", str(settings)])

    return invoke


def test_plan_prints_tiers_and_builds_nothing(run, world: World) -> None:
    result = run("plan", "rpms/base", "--branch", "rawhide", "--json", "--dry-run")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tiers"] == [["app:main"], ["stack:main"]]
    text = run("plan", "app:main")
    assert text.output.splitlines() == [
        "rebuild chain for app:main: 1 module streams, 1 tiers", "tier 1: stack:main",
    ]  # fmt: skip
    assert world.koji.submitted == []
    assert json.loads(run("list", "--json").output) == []


def test_a_target_needs_a_branch_or_a_stream(run) -> None:
    assert run("plan", "rpms/base").exit_code == 2
    assert "--branch" in run("plan", "rpms/base").output
    assert run("plan", "nostream").exit_code == 2


def test_start_show_list_and_cancel(run, world: World) -> None:
    started = run("start", "rpms/base", "--branch", "rawhide", "--by", "carol")
    assert started.exit_code == 0, started.output
    chain_id = int(started.output.split()[0])
    assert started.output.split()[1] == "running"
    shown = json.loads(run("show", str(chain_id), "--json").output)
    assert shown["requester"] == "carol" and shown["trigger_kind"] == "manual"
    assert [(i["module"], i["tier"], i["state"]) for i in shown["items"]] == [
        ("app:main", 1, "building"), ("stack:main", 2, "waiting"),
    ]  # fmt: skip
    assert shown["items"][0]["module_build_id"] is not None
    listed = run("list", "--state", "running")
    assert f"{chain_id}" in listed.output and "rpms/base@rawhide" in listed.output
    canceled = run("cancel", str(chain_id), "--by", "carol")
    assert canceled.output.strip() == f"{chain_id} canceled"
    module = world.module(shown["items"][0]["module_build_id"])
    assert module.state == "failed" and "carol" in module.state_reason
    again = run("cancel", str(chain_id))
    assert again.exit_code == 1 and "is canceled" in again.output
    assert run("show", "999").exit_code == 1
