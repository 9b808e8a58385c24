"""The scripted packager's module repositories: real git pushes through the dist-git hook.

No broker is needed: the hook describes the push, then reports that publishing
failed (the broker address is a closed port) and lets the push succeed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sandbox.distgit import DistGit
from sandbox.fmconf import write_fm_conf
from sandbox.packager import Packager
from sandbox.ports import free_port

MODULEMD = """\
document: modulemd
version: 2
data:
  summary: {summary}
  license:
    module: [MIT]
  components:
    rpms:
      foo: {{rationale: the library, ref: rawhide}}
"""


def show(distgit: DistGit, sha: str, path: str) -> str:
    repo = distgit.path_for("modules", "perl")
    return subprocess.run(
        ["git", "--git-dir", str(repo), "show", f"{sha}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_create_and_update_module(tmp_path: Path) -> None:
    conf = write_fm_conf(tmp_path / "fm.toml", f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F")
    distgit = DistGit(tmp_path / "distgit", conf)
    packager = Packager(distgit, tmp_path / "work")

    first = packager.create_module("perl", "rawhide", MODULEMD.format(summary="one"))

    assert distgit.repos() == [("modules", "perl")]
    assert distgit.ls_remote("modules", "perl") == {"HEAD": first, "refs/heads/rawhide": first}
    assert show(distgit, first, "perl.yaml") == MODULEMD.format(summary="one")
    assert "publishing pagure.git.receive failed" in packager.last_push_output  # the hook ran
    assert "cannot describe the push" not in packager.last_push_output

    second = packager.update_module("perl", "rawhide", MODULEMD.format(summary="two"), "alice")
    assert second != first
    assert distgit.ls_remote("modules", "perl")["refs/heads/rawhide"] == second
    assert show(distgit, second, "perl.yaml") == MODULEMD.format(summary="two")
    again = packager.update_module("perl", "rawhide", MODULEMD.format(summary="two"))
    assert again != second  # an unchanged modulemd still makes a commit: a rebuild request

    branch = packager.create_module("perl", "f44", MODULEMD.format(summary="f44"))
    refs = distgit.ls_remote("modules", "perl")
    assert (refs["refs/heads/rawhide"], refs["refs/heads/f44"]) == (again, branch)
    assert packager.namespace == "rpms"  # the packager itself stays in its namespace
    with pytest.raises(ValueError, match="create_module first"):
        packager.update_module("python", "rawhide", MODULEMD.format(summary="x"))
