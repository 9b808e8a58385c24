"""``conveyor deps``: the contract scripts rely on (sorted JSON arrays, exit codes 0 and 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conveyor.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "data" / "modulemd"
F29 = CORPUS / "libmodulemd__modulemd__tests__test_data__f29.yaml"
ODCS = CORPUS / "odcs__repodata__modules.yaml"
TESTMODULE = CORPUS / "mbs__test_common__test_models__data__testmodule.yaml"


@pytest.fixture
def run(tmp_path):
    env = {"CONVEYOR_DATABASE_URL": f"sqlite:///{tmp_path / 'deps.sqlite'}"}

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), env=env)

    assert invoke("db", "upgrade").exit_code == 0
    return invoke


@pytest.fixture
def f29(run):
    result = run("deps", "load", str(F29))
    assert result.exit_code == 0, result.output
    return run


def test_load_reports_and_a_second_load_adds_nothing(run):
    first = run("deps", "load", str(F29))
    assert first.exit_code == 0
    assert first.output == f"{F29}: 48 recorded, 0 unchanged, 7 skipped, 0 invalid\n"
    again = run("deps", "load", str(F29))
    assert again.output == f"{F29}: 0 recorded, 48 unchanged, 7 skipped, 0 invalid\n"


def test_requires_json_is_a_sorted_array(f29):
    result = f29("deps", "requires", "reviewboard:3.0", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output) == ["django:1.6", "platform:f29"]
    direct = f29("deps", "requires", "meson:main", "--direct", "--json")
    assert json.loads(direct.output) == ["ninja:main", "platform:f29"]


def test_buildrequires_transitive_and_direct(f29):
    result = f29("deps", "buildrequires", "eog:main", "--json")
    assert json.loads(result.output) == ["flatpak-runtime:f29", "platform:f29"]
    direct = f29("deps", "buildrequires", "--direct", "eog:main")
    assert direct.output == "flatpak-runtime:f29\n"


def test_dependants_text_and_json(f29):
    text = f29("deps", "dependants", "container-tools:2017.0")
    assert text.exit_code == 0
    assert text.output == "cri-o:2017.0\ncri-o:2018.0\ndocker:2017.0\n"
    listed = json.loads(f29("deps", "dependants", "platform:f29", "--json").output)
    assert listed == sorted(listed) and len(listed) == 48
    direct = json.loads(f29("deps", "dependants", "platform:f29", "--direct", "--json").output)
    assert "eog:main" not in direct and len(direct) == 47


def test_including_accepts_rpms_namespace_and_prints_refs(f29):
    result = f29("deps", "including", "rpms/perl", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output) == [
        "perl-bootstrap:5.24", "perl-bootstrap:5.26", "perl:5.24", "perl:5.26",
    ]  # fmt: skip
    text = f29("deps", "including", "rpms/ninja-build")
    assert text.output == "ninja:main main\n"
    nobody = f29("deps", "including", "rpms/no-such-rpm", "--json")
    assert nobody.exit_code == 0 and nobody.output == "[]\n"


def test_unknown_stream_and_bad_input_exit_one_with_a_message(f29):
    unknown = f29("deps", "requires", "perl:5.3", "--json")
    assert unknown.exit_code == 1 and unknown.stdout == ""
    assert "unknown module stream 'perl:5.3'" in unknown.stderr
    bad = f29("deps", "dependants", "perl")
    assert bad.exit_code == 1 and "'perl' is not NAME:STREAM" in bad.stderr
    namespace = f29("deps", "including", "modules/perl")
    assert namespace.exit_code == 1 and "is not rpms/NAME" in namespace.stderr


def test_invalid_documents_and_unreadable_files_exit_one(run, tmp_path):
    result = run("deps", "load", str(TESTMODULE), str(ODCS), str(tmp_path / "missing.yaml"))
    assert result.exit_code == 1
    assert f"{TESTMODULE}: 1 recorded, 0 unchanged, 0 skipped, 0 invalid" in result.stdout
    assert f"INVALID {ODCS}: document 1: data.artifacts.rpms[0]" in result.stderr
    assert "missing.yaml: unreadable" in result.stderr
    # the valid file was recorded despite the others
    assert run("deps", "requires", "testmodule:master").exit_code == 0


def test_unmigrated_database_says_what_to_run(tmp_path):
    env = {"CONVEYOR_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"}
    result = CliRunner().invoke(main, ["deps", "requires", "a:1"], env=env)
    assert result.exit_code == 1 and "run `conveyor db upgrade` first" in result.stderr


def test_show_and_cycles(f29):
    shown = json.loads(f29("deps", "show", "reviewboard:2.5", "--json").output)
    assert shown["defined"] is True and shown["revisions"] == 1
    assert shown["buildrequires"] == ["django:1.6", "platform:f29"]
    assert shown["components"]["python-django-evolution"] == "0.7"
    assert shown["source"].startswith("file sha256:")
    cycles = f29("deps", "cycles", "--json")
    assert cycles.exit_code == 0 and json.loads(cycles.output) == []
    assert f29("deps", "show", "nope:1").exit_code == 1
