"""A scripted packager: clones, edits specs, commits and really pushes to the dist-git."""

from __future__ import annotations

import copy
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from sandbox.distgit import DistGit

SPEC = """Name:           {name}
Version:        {version}
Release:        1%{{?dist}}
Summary:        The {name} package of the Conveyor sandbox
License:        MIT
BuildArch:      noarch

%description
{name} is a package made up by the Conveyor sandbox.

%prep

%build

%install
mkdir -p %{{buildroot}}%{{_datadir}}/{name}
echo {name} > %{{buildroot}}%{{_datadir}}/{name}/README

%files
%{{_datadir}}/{name}/README

%changelog
* Mon Jan 01 2024 {user} <{email}> - {version}-1
- Initial package
"""


class Packager:
    """Works in ``workdir/<namespace>/<name>`` clones; every method returns commit SHAs."""

    def __init__(
        self,
        distgit: DistGit,
        workdir: Path,
        user: str = "Sandbox Packager",
        email: str = "packager@sandbox.example.org",
        namespace: str = "rpms",
    ) -> None:
        self.distgit = distgit
        self.workdir = Path(workdir).resolve()
        self.user = user
        self.email = email
        self.namespace = namespace
        self.last_push_output = ""  # what the hook printed ("remote: ...") on the last push

    def git(self, cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
        cmd = [
            "git",
            "-c", "init.defaultBranch=rawhide",
            "-c", f"user.name={self.user}",
            "-c", f"user.email={self.email}",
            "-c", "commit.gpgsign=false",
            *args,
        ]  # fmt: skip
        base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        base.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
        done = subprocess.run(
            cmd,
            cwd=cwd,
            env={**base, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout + done.stderr if args[0] == "push" else done.stdout

    def clone_dir(self, name: str) -> Path:
        return self.workdir / self.namespace / name

    def spec_path(self, name: str) -> Path:
        return self.clone_dir(name) / f"{name}.spec"

    def _clone(self, name: str) -> Path:
        clone = self.clone_dir(name)
        if not (clone / ".git").exists():
            clone.parent.mkdir(parents=True, exist_ok=True)
            self.git(clone.parent, "clone", "--quiet", self.distgit.url_for(self.namespace, name))
        return clone

    def checkout(self, name: str, branch: str) -> Path:
        clone = self._clone(name)
        self.git(clone, "fetch", "--quiet", "origin")
        remote = self.git(clone, "branch", "-r", "--list", f"origin/{branch}").strip()
        local = self.git(clone, "branch", "--list", branch).strip()
        if local:
            self.git(clone, "checkout", "--quiet", branch)
        elif remote:
            self.git(clone, "checkout", "--quiet", "-b", branch, f"origin/{branch}")
        else:
            self.git(clone, "checkout", "--quiet", "-b", branch)
        return clone

    def head(self, name: str) -> str:
        return self.git(self.clone_dir(name), "rev-parse", "HEAD").strip()

    def create_package(
        self,
        name: str,
        version: str = "1.0",
        branches: Iterable[str] = ("rawhide",),
        pusher: str = "packager",
    ) -> dict[str, str]:
        """Create the repository, commit a spec and ``sources``, push every branch.

        Returns branch -> pushed commit SHA (every branch starts at the same commit).
        """
        self.distgit.create_repo(self.namespace, name)
        clone = self._clone(name)
        branches = list(branches)
        self.git(clone, "checkout", "--quiet", "-B", branches[0])
        self.spec_path(name).write_text(
            SPEC.format(name=name, version=version, user=self.user, email=self.email)
        )
        (clone / "sources").write_text("")
        self.git(clone, "add", f"{name}.spec", "sources")
        self.git(clone, "commit", "--quiet", "-m", f"Initial import of {name}-{version}")
        pushed = {}
        for branch in branches[1:]:
            self.git(clone, "branch", "--force", branch, "HEAD")
        for branch in branches:
            pushed[branch] = self.push(name, branch, pusher=pusher)
        return pushed

    def bump(
        self, name: str, branch: str, version: str | None = None, message: str | None = None
    ) -> str:
        """Set Version (Release back to 1) or bump Release; commit; return the SHA."""
        clone = self.checkout(name, branch)
        spec = self.spec_path(name)
        text = spec.read_text()
        if version is not None:
            text = re.sub(r"(?m)^(Version:\s*).*$", lambda m: m.group(1) + version, text)
            text = re.sub(r"(?m)^(Release:\s*)\d+", lambda m: m.group(1) + "1", text)
            summary = message or f"Update to {version}"
        else:
            release = re.search(r"(?m)^Release:\s*(\d+)", text)
            if release is None:
                raise ValueError(f"{spec} has no numeric Release")
            new = int(release.group(1)) + 1
            text = re.sub(r"(?m)^(Release:\s*)\d+", lambda m: m.group(1) + str(new), text)
            summary = message or f"Bump release to {new}"
        spec.write_text(text)
        self.git(clone, "commit", "--quiet", "-a", "-m", summary)
        return self.head(name)

    def commit_file(
        self,
        name: str,
        branch: str,
        path: str,
        content: str,
        message: str,
        allow_empty: bool = False,
    ) -> str:
        """Write one file (e.g. a modulemd) in the clone and commit it (``allow_empty``:
        commit even when the content did not change, as a rebuild request does)."""
        clone = self.checkout(name, branch)
        target = clone / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        self.git(clone, "add", path)
        empty = ["--allow-empty"] if allow_empty else []
        self.git(clone, "commit", "--quiet", *empty, "-m", message)
        return self.head(name)

    def push(self, name: str, branch: str, pusher: str = "packager", force: bool = False) -> str:
        """``git push origin <branch>`` as ``pusher``; return the pushed SHA."""
        clone = self.clone_dir(name)
        args = ["push", "--quiet", *(["--force"] if force else []), "origin", f"{branch}:{branch}"]
        self.last_push_output = self.git(
            clone, *args, env={"CONVEYOR_PUSHER": pusher, "USER": pusher}
        )
        return self.git(clone, "rev-parse", branch).strip()

    def commit_and_push(
        self, name: str, branch: str, version: str | None = None, pusher: str = "packager"
    ) -> str:
        self.bump(name, branch, version=version)
        return self.push(name, branch, pusher=pusher)

    # -- modules -----------------------------------------------------------------

    def in_namespace(self, namespace: str) -> Packager:
        """The same packager working in another namespace (its own clones there)."""
        other = copy.copy(self)
        other.namespace = namespace
        return other

    def create_module(
        self, name: str, branch: str, modulemd_text: str, pusher: str = "packager"
    ) -> str:
        """Create ``modules/<name>`` (if new), commit ``<name>.yaml`` on ``branch`` and push
        it (the hook publishes the push); returns the pushed commit."""
        self.distgit.create_repo("modules", name)
        return self._push_modulemd(name, branch, modulemd_text, pusher, f"Module {name}")

    def update_module(
        self, name: str, branch: str, modulemd_text: str, pusher: str = "packager"
    ) -> str:
        """Commit a new ``<name>.yaml`` on ``branch`` of an existing module repository and
        push it; an unchanged text still makes a (empty) commit, a rebuild request."""
        if not self.distgit.exists("modules", name):
            raise ValueError(f"no module repository modules/{name}: create_module first")
        return self._push_modulemd(name, branch, modulemd_text, pusher, f"Update module {name}")

    def _push_modulemd(self, name: str, branch: str, text: str, pusher: str, message: str) -> str:
        modules = self.in_namespace("modules")
        modules.commit_file(name, branch, f"{name}.yaml", text, message, allow_empty=True)
        sha = modules.push(name, branch, pusher=pusher)
        self.last_push_output = modules.last_push_output
        return sha
