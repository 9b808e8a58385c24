"""``conveyor modulemd validate``: one line per document, exit 1 on any invalid or unreadable."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from conveyor.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "data" / "modulemd"
F29 = CORPUS / "libmodulemd__modulemd__tests__test_data__f29.yaml"
ODCS = CORPUS / "odcs__repodata__modules.yaml"
TESTMODULE = CORPUS / "mbs__test_common__test_models__data__testmodule.yaml"
WRONG_STREAM = CORPUS / "mbs__staged_data__testmodule-wrong-stream.yaml"


def run(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(main, ["modulemd", "validate", *args], input=stdin)


def test_valid_file_exits_zero_with_one_line():
    result = run(str(TESTMODULE))
    assert result.exit_code == 0, result.output
    assert result.output == f"{TESTMODULE}: OK testmodule:master\n"


def test_multi_document_file_prints_every_document():
    result = run(str(F29))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 55
    assert lines[3] == f"{F29}: OK scala:2.10"
    assert lines[-1] == f"{F29}: SKIP stratis (modulemd-defaults)"
    assert sum(" SKIP " in line for line in lines) == 7


def test_invalid_document_exits_one_with_reasons_on_its_line():
    result = run(str(TESTMODULE), str(ODCS))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{TESTMODULE}: OK testmodule:master"
    assert lines[1].startswith(f"{ODCS}: INVALID testmodule:master: data.artifacts.rpms[0]: ")
    assert lines[1].count("(the epoch is mandatory)") == 5
    assert len(lines) == 2


def test_name_and_stream_options_check_against_repository_and_branch():
    ok = run("--name", "testmodule", "--stream", "wrong_stream", str(WRONG_STREAM))
    assert ok.exit_code == 0 and ok.output.endswith("OK testmodule:wrong_stream\n")
    wrong = run("--stream", "master", str(WRONG_STREAM))
    assert wrong.exit_code == 1
    assert wrong.output == (
        f"{WRONG_STREAM}: INVALID document 1: "
        "data.stream: 'wrong_stream' does not match the branch name 'master'\n"
    )


def test_unreadable_files_exit_one_without_traceback(tmp_path):
    missing = tmp_path / "missing.yaml"
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"document: modulemd\n\xff\xfe\n")
    result = run(str(missing), str(tmp_path), str(binary), str(TESTMODULE))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{missing}: UNREADABLE No such file or directory" in result.output
    assert f"{tmp_path}: UNREADABLE Is a directory" in result.output
    assert f"{binary}: UNREADABLE not UTF-8 text (byte 19)" in result.output
    assert f"{TESTMODULE}: OK testmodule:master" in result.output  # the others still run
    assert "Traceback" not in result.output


def test_yaml_syntax_error_is_an_invalid_line(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("document: modulemd\nversion: 2\ndata: {summary: [}\n")
    result = run(str(broken))
    assert result.exit_code == 1
    assert result.output.startswith(f"{broken}: INVALID document 1: line 3, column ")
    assert result.output.count("\n") == 1


def test_standard_input():
    result = run("-", stdin=TESTMODULE.read_bytes())
    assert result.exit_code == 0
    assert result.output == "-: OK testmodule:master\n"


def test_files_are_required():
    result = run()
    assert result.exit_code == 2
    assert "Missing argument" in result.output
