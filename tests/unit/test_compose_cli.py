"""``conveyor compose`` through click: create (and reuse), show, list, renew, delete,
regenerate, and clean errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conveyor.cli import main
from models import Compose


@pytest.fixture
def settings_file(tmp_path: Path, session_factory: Any) -> str:
    path = tmp_path / "settings.yaml"
    path.write_text(f"database_url: sqlite:///{tmp_path / 'conveyor.sqlite'}\n", encoding="utf-8")
    return str(path)


def _run(settings_file: str, *args: str) -> Any:
    return CliRunner().invoke(main, ["compose", args[0], "--settings", settings_file, *args[1:]])


def test_create_show_list_and_reuse(settings_file, session_factory):
    source = "bash-5.2-1.fc39 zsh-5.9-1.fc39"
    done = _run(settings_file, "create", "--source-type", "build", "--source", source,
                "--arches", "x86_64,aarch64", "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert (body["state_name"], body["state"], body["source_type"]) == ("wait", 0, 6)
    assert body["arches"] == "aarch64 x86_64"
    cid = body["id"]
    with session_factory.begin() as session:
        compose = session.get(Compose, cid)
        compose.transition(session, "generating", cause="t")
    again = _run(settings_file, "create", "--source-type", "build", "--source",
                 "zsh-5.9-1.fc39 bash-5.2-1.fc39", "--arches", "aarch64 x86_64")  # fmt: skip
    assert again.output.splitlines()[0] == f"{cid} reused"
    shown = _run(settings_file, "show", str(cid))
    assert f"compose {cid}: generating (build bash-5.2-1.fc39 zsh-5.9-1.fc39)" in shown.output
    listed = _run(settings_file, "list", "--state", "generating", "--json")
    assert [c["id"] for c in json.loads(listed.output)] == [cid]
    assert json.loads(_run(settings_file, "list", "--state", "done", "--json").output) == []


def test_renew_delete_regenerate(settings_file, session_factory):
    cid = int(_run(settings_file, "create", "--source-type", "build", "--source",
                   "bash-5.2-1.fc39").output.split()[0])  # fmt: skip
    refused = _run(settings_file, "delete", str(cid))
    assert refused.exit_code == 1 and "only done or failed" in refused.output
    with session_factory.begin() as session:
        compose = session.get(Compose, cid)
        compose.transition(session, "generating", cause="t")
        compose.transition(session, "done", cause="t")
    renewed = _run(settings_file, "renew", str(cid), "--seconds-to-live", "7200")
    assert renewed.exit_code == 0 and renewed.output.startswith(f"{cid} done expires")
    assert _run(settings_file, "delete", str(cid)).output.startswith(f"{cid} removed")
    assert _run(settings_file, "regenerate", str(cid)).output.startswith(f"{cid} wait")
    with session_factory() as session:
        assert session.get(Compose, cid).state == "wait"


def test_errors_are_reasons_not_tracebacks(settings_file):
    too_long = _run(settings_file, "create", "--source-type", "build", "--source", "a-1-1",
                    "--seconds-to-live", "999999999")  # fmt: skip
    assert too_long.exit_code == 1 and "exceeds the maximum" in too_long.output
    no_module = _run(settings_file, "create", "--source-type", "module", "--source", "x:1")
    assert no_module.exit_code == 1 and "no such module build" in no_module.output
    missing = _run(settings_file, "show", "42")
    assert missing.exit_code == 1 and "no compose 42" in missing.output
    bad_type = _run(settings_file, "create", "--source-type", "pulp", "--source", "x")
    assert bad_type.exit_code == 2


def test_tag_compose_is_checked_against_koji(tmp_path, session_factory):
    import koji

    from sandbox.kojihub import KojiHub

    (tmp_path / "distgit").mkdir()
    with KojiHub(tmp_path / "distgit", publish=lambda *a: None) as hub:
        koji.ClientSession(hub.url).createTag("f39-qa")
        path = tmp_path / "koji-settings.yaml"
        path.write_text(f"database_url: sqlite:///{tmp_path / 'conveyor.sqlite'}\n"
                        f"koji: {{hub_url: '{hub.url}'}}\n", encoding="utf-8")  # fmt: skip
        made = _run(str(path), "create", "--source-type", "tag", "--source", "f39-qa")
        missing = _run(str(path), "create", "--source-type", "tag", "--source", "f39-nope")
    assert made.exit_code == 0 and made.output.split()[1] == "created"
    assert missing.exit_code == 1 and "no such koji tag(s) ['f39-nope']" in missing.output
