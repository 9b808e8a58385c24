"""A real local dist-git: bare repositories whose post-receive hook publishes pushes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")

_HOOK = """#!{python}
# Installed by sandbox.distgit: publish pagure.git.receive for this push.
import os
import sys

os.environ["FEDORA_MESSAGING_CONF"] = {fm_conf!r}
os.environ["CONVEYOR_DISTGIT_ROOT"] = {root!r}
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in ({project!r}, os.environ.get("PYTHONPATH", "")) if p
)
sys.path.insert(0, {project!r})
from sandbox.githook import main  # noqa: E402

sys.exit(main())
"""


class DistGit:
    """Bare repositories under ``root/<namespace>/<name>.git``."""

    def __init__(self, root: Path, fm_conf: Path) -> None:
        self.root = Path(root).resolve()
        self.fm_conf = Path(fm_conf).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def base_url(self) -> str:
        return self.root.as_uri()

    def path_for(self, namespace: str, name: str) -> Path:
        for part in (*namespace.split("/"), name):
            if not _PART.match(part):
                raise ValueError(f"bad repository path part {part!r}")
        return self.root / namespace / f"{name}.git"

    def url_for(self, namespace: str, name: str) -> str:
        return self.path_for(namespace, name).as_uri()

    def exists(self, namespace: str, name: str) -> bool:
        return (self.path_for(namespace, name) / "HEAD").exists()

    def create_repo(self, namespace: str, name: str, default_branch: str = "rawhide") -> Path:
        """Create the bare repository (idempotent) and (re)install its hook."""
        path = self.path_for(namespace, name)
        if not self.exists(namespace, name):
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    "git", "-c", f"init.defaultBranch={default_branch}",
                    "init", "--bare", "--quiet", str(path),
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )  # fmt: skip
        self.install_hook(path)
        return path

    def install_hook(self, repo: Path) -> Path:
        hook = repo / "hooks" / "post-receive"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(
            _HOOK.format(
                python=sys.executable,
                fm_conf=str(self.fm_conf),
                root=str(self.root),
                project=str(PROJECT_ROOT),
            )
        )
        os.chmod(hook, 0o700)
        return hook

    def repos(self) -> list[tuple[str, str]]:
        """(namespace, name) of every repository, sorted."""
        found = []
        for head in self.root.glob("**/*.git/HEAD"):
            repo = head.parent
            found.append((repo.parent.relative_to(self.root).as_posix(), repo.name[:-4]))
        return sorted(found)

    def ls_remote(self, namespace: str, name: str) -> dict[str, str]:
        """ref -> sha, as ``git ls-remote`` reports it."""
        out = subprocess.run(
            ["git", "ls-remote", self.url_for(namespace, name)],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        refs = {}
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            refs[ref] = sha
        return refs
