"""Real, small RPM files for the hub's builds, made lazily with Debian's ``rpmbuild``.

Each complete build gets one noarch binary RPM holding one small file, written
where koji keeps it (``koji.PathInfo(topdir).build(...)/noarch/<nvra>.rpm``),
so that ``rpm -qp`` reads it and createrepo_c accepts a repository of them.
An RPM is built the first time someone asks for it (``listBuildRPMs``): about
0.2 s each here, paid only by tests and demos that make composes.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404 - rpmbuild runs with an argument list, never a shell
import tempfile
import threading
from pathlib import Path

from .model import Build

ARCH = "noarch"
_SPEC = """\
Name: {name}
Version: {version}
Release: {release}
{epoch}Summary: {name}, built by the Conveyor sandbox koji hub
License: MIT
BuildArch: noarch

%description
A placeholder package for {nvr}, built by the sandbox koji hub.

%install
mkdir -p %{{buildroot}}/usr/share/conveyor-sandbox
echo {nvr} > %{{buildroot}}/usr/share/conveyor-sandbox/{name}

%files
/usr/share/conveyor-sandbox/{name}
"""
# Fast and hermetic: no debuginfo, no brp scripts, no build-id links.
_DEFINES = (
    "debug_package %{nil}",
    "__os_install_post %{nil}",
    "_build_id_links none",
    "_source_payload w1.gzdio",
    "_binary_payload w1.gzdio",
)
_lock = threading.Lock()


class RpmBuildFailed(RuntimeError):
    """rpmbuild could not make the file."""


def rpm_relpath(build: Build) -> str:
    """koji.PathInfo's layout below topdir: packages/<n>/<v>/<r>/<arch>/<nvra>.rpm."""
    nvra = f"{build.nvr}.{ARCH}"
    return f"packages/{build.name}/{build.version}/{build.release}/{ARCH}/{nvra}.rpm"


def ensure_rpm(topdir: Path, build: Build) -> Path:
    """The build's RPM file under ``topdir``, built now if missing (atomic rename)."""
    target = topdir / rpm_relpath(build)
    if target.exists():
        return target
    with _lock:  # one rpmbuild at a time: the hub runs on a loaded 2-core machine
        if not target.exists():
            _build(target, build)
    return target


def _build(target: Path, build: Build) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kojihub-rpm-") as work:
        spec = Path(work) / f"{build.name}.spec"
        epoch = f"Epoch: {build.epoch}\n" if build.epoch is not None else ""
        spec.write_text(
            _SPEC.format(
                name=build.name, version=build.version, release=build.release, nvr=build.nvr,
                epoch=epoch,
            )
        )  # fmt: skip
        args = ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {work}/top"]
        args += ["--define", f"_rpmdir {work}/out"]
        for define in _DEFINES:
            args += ["--define", define]
        done = subprocess.run(  # nosec B603 - fixed program, argument list
            [*args, str(spec)], capture_output=True, text=True, timeout=120, check=False
        )
        made = Path(work) / "out" / ARCH / target.name
        if done.returncode != 0 or not made.exists():
            raise RpmBuildFailed(f"rpmbuild {build.nvr}: {done.stderr.strip()[-500:]}")
        partial = target.with_name(target.name + ".part")
        shutil.copyfile(made, partial)
        os.replace(partial, target)


def rpm_info(build: Build, path: Path) -> dict:
    """koji's listBuildRPMs row for the build's one RPM."""
    return {
        "id": build.id,  # one RPM per build: the build id is unique among RPMs too
        "build_id": build.id,
        "name": build.name,
        "version": build.version,
        "release": build.release,
        "epoch": build.epoch,
        "arch": ARCH,
        "nvr": build.nvr,
        "draft": False,
        "external_repo_id": 0,
        "external_repo_name": "INTERNAL",
        "buildroot_id": None,
        "buildtime": int(build.completion_ts or build.creation_ts),
        "metadata_only": False,
        "payloadhash": "",
        "size": path.stat().st_size,
        "extra": None,
    }
