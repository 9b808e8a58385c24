"""Real dnf (Debian's ``dnf`` package) pointed at one compose repository, nothing else.

Every call uses a private install root and cache, no system repositories and a fixed
platform, so the answers depend only on the repository under test.
"""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 - dnf runs with an argument list, never a shell
from pathlib import Path


def dnf(os_dir: Path, root: Path, *args: str, platform: str = "platform:f39") -> str:
    """Run ``dnf <args>`` against the repository ``os_dir`` on ``platform``; its stdout."""
    program = shutil.which("dnf")
    if program is None:  # the bootstrap installs it: a missing dnf is a broken machine
        raise RuntimeError("dnf is not installed (scripts/bootstrap.sh installs Debian's dnf)")
    command = [
        program, "--quiet", "--assumeyes", f"--installroot={root}", "--releasever=39",
        f"--setopt=module_platform_id={platform}", "--setopt=reposdir=/dev/null",
        f"--setopt=cachedir={root / 'cache'}", f"--repofrompath=compose,{os_dir.as_uri()}",
        "--repo=compose", "--nogpgcheck", *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # nosec B603
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: dnf exited {done.returncode}: {done.stderr}")
    return done.stdout
