"""The local backend: a real yum repository made here from koji's RPM files.

Layout as ODCS's: ``<target_dir>/odcs-<id>/compose/Temporary/<arch>/os/`` with
the RPMs (hard links into koji's topdir, copies across filesystems) and
createrepo_c's repodata (with ``modules.yaml`` for module sources, see
``modules_yaml``), plus ``odcs-<id>.repo``. Every path is built from the
compose id and koji's own names; nothing is run through a shell.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404 - createrepo_c runs with an argument list, never a shell
from pathlib import Path
from typing import Any

import koji

from conveyor.composes import koji_reads
from conveyor.composes.backends.base import ComposeInputs, Content, GenerationFailed, Result
from conveyor.composes.backends.modules_yaml import BuiltModule, add_to_repodata, nevra
from conveyor.koji_client import KojiClient
from conveyor.settings import Settings
from models.compose import Compose

_SAFE_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-~^")
_REPO_FILE = """\
[odcs-{id}]
name=Conveyor compose odcs-{id}
baseurl={baseurl}
type=rpm-md
skip_if_unavailable=False
gpgcheck=0
repo_gpgcheck=0
enabled=1
enabled_metadata=1
"""


def compose_dir(target_dir: Path, compose_id: int) -> Path:
    return target_dir / f"odcs-{int(compose_id)}"


class LocalBackend:
    name = "local"

    def __init__(self, settings: Settings, session: koji.ClientSession | None = None):
        self.settings = settings.composes
        self.target_dir = Path(self.settings.target_dir).resolve()
        self.pathinfo = koji.PathInfo(topdir=self.settings.koji_topdir)
        self._session = session
        self._koji_settings = settings.koji

    @property
    def session(self) -> koji.ClientSession:
        if self._session is None:
            self._session = KojiClient(self._koji_settings).session
        return self._session

    def generate(self, compose: Compose, inputs: ComposeInputs) -> Result:
        event = inputs.koji_event
        if event is None:
            event = koji_reads.last_event(self.session)
        builds, tagged = self._builds(inputs, event)
        rpms = [r for r in koji_reads.build_rpms(self.session, builds) if rpm_wanted(r, inputs)]
        self.target_dir.mkdir(parents=True, exist_ok=True)
        final = compose_dir(self.target_dir, inputs.compose_id)
        staging = final.with_name(final.name + ".partial")
        _remove_tree(staging, self.target_dir)  # a redelivery starts from scratch
        try:
            contents = self._write(staging, inputs, rpms, tagged)
        except GenerationFailed:
            _remove_tree(staging, self.target_dir)  # a failed compose leaves no debris
            raise
        _remove_tree(final, self.target_dir)
        os.replace(staging, final)
        base = f"{self.settings.base_url}{final.name}/compose/Temporary/"
        return Result(
            koji_event=event,
            repo_dir=str(final / "compose" / "Temporary"),
            repo_url=f"{base}$basearch/os/",
            repofile_url=f"{base}{final.name}.repo",
            contents=tuple(_module_contents(inputs)) + tuple(contents),
        )

    def remove(self, compose: Compose) -> None:
        final = compose_dir(self.target_dir, compose.id)
        _remove_tree(final.with_name(final.name + ".partial"), self.target_dir)
        _remove_tree(final, self.target_dir)

    def _builds(
        self, inputs: ComposeInputs, event: int
    ) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        """The builds to compose, and for module sources each koji tag's builds."""
        if inputs.source_type == "build":
            return koji_reads.builds_by_nvr(self.session, list(inputs.sources)), {}
        if inputs.source_type == "tag":
            inherit = "no_inheritance" not in inputs.flags
            tagged = koji_reads.tagged_builds(
                self.session, list(inputs.sources), event, inherit=inherit
            )
            return [b for tag in inputs.sources for b in tagged[tag]], {}
        if inputs.source_type == "module":
            tags = [module.koji_tag for module in inputs.modules]
            tagged = koji_reads.tagged_builds(self.session, tags, event, inherit=False)
            return [b for tag in tags for b in tagged[tag]], tagged
        raise GenerationFailed(f"the local backend cannot make {inputs.source_type} composes")

    def _write(
        self, root: Path, inputs: ComposeInputs, rpms: list[dict], tagged: dict[str, list[dict]]
    ) -> list[Content]:
        temporary = root / "compose" / "Temporary"
        contents: list[Content] = []
        for arch in inputs.arches:
            os_dir = temporary / arch / "os"
            packages = os_dir / "Packages"
            packages.mkdir(parents=True)
            for rpm in rpms:
                if rpm["arch"] in (arch, "noarch"):
                    _link(self._rpm_file(rpm, inputs.sigkeys), packages)
                    contents.append(Content("rpm", rpm["build_nvr"], rpm["name"], rpm["arch"]))
            _createrepo(os_dir)
            add_to_repodata(os_dir, _built_modules(inputs, tagged, rpms, arch), arch)
        baseurl = f"{self.settings.base_url}{root.name.removesuffix('.partial')}"
        repo = _REPO_FILE.format(
            id=inputs.compose_id, baseurl=f"{baseurl}/compose/Temporary/$basearch/os/"
        )
        (temporary / f"odcs-{inputs.compose_id}.repo").write_text(repo, encoding="utf-8")
        return sorted(set(contents), key=lambda c: (c.artifact, c.name, c.arch or ""))

    def _rpm_file(self, rpm: dict, sigkeys: tuple[str, ...]) -> Path:
        """The RPM in koji's topdir; with sigkeys, the first signed copy (ODCS's rule)."""
        build_dir = Path(self.pathinfo.build(rpm["build"]))
        for key in sigkeys:
            signed = build_dir / self.pathinfo.signed(rpm, key.lower())
            if signed.is_file():
                return signed
        if sigkeys:
            raise GenerationFailed(f"{rpm['nvr']}.{rpm['arch']} is not signed with {sigkeys}")
        path = build_dir / self.pathinfo.rpm(rpm)
        if not path.is_file():
            raise GenerationFailed(f"RPM file missing in koji's topdir: {path}")
        return path


def _module_contents(inputs: ComposeInputs) -> list[Content]:
    return [Content("module", m.nsvc, m.nsvc.split(":")[0]) for m in inputs.modules]


def _built_modules(
    inputs: ComposeInputs, tagged: dict[str, list[dict]], rpms: list[dict], arch: str
) -> list[BuiltModule]:
    """Each module source with the RPMs of its koji tag that this arch's repository holds."""
    built = []
    for module in inputs.modules:
        build_ids = {build["id"] for build in tagged.get(module.koji_tag, ())}
        nevras = tuple(
            nevra(rpm) for rpm in rpms
            if rpm["build"]["id"] in build_ids and rpm["arch"] in (arch, "noarch")
        )  # fmt: skip
        built.append(BuiltModule(module.nsvc, module.modulemd, nevras))
    return built


def rpm_wanted(rpm: dict, inputs: ComposeInputs) -> bool:
    # koji's names become path parts: anything but plain NEVRA characters is skipped
    parts = [str(rpm[key]) for key in ("name", "version", "release", "arch")]
    if rpm["arch"] == "src" or not all(part and set(part) <= _SAFE_NAME for part in parts):
        return False
    if any(part in (".", "..") for part in parts):
        return False
    if rpm["arch"] != "noarch" and rpm["arch"] not in inputs.arches:
        return False
    return not inputs.packages or rpm["name"] in inputs.packages


def _link(source: Path, directory: Path) -> None:
    """Hard link (cheap, same filesystem as koji's topdir), else copy."""
    target = directory / source.name
    try:
        os.link(source, target)
    except FileExistsError:
        return
    except OSError:
        shutil.copy2(source, target)


def _createrepo(directory: Path) -> None:
    done = subprocess.run(  # nosec B603 B607 - fixed program, argument list, our own path
        ["createrepo_c", "--quiet", "--no-database", str(directory)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise GenerationFailed(f"createrepo_c failed: {done.stderr.strip()[-500:]}")


def _remove_tree(path: Path, target_dir: Path) -> None:
    """Delete a compose directory; refuse anything that is not directly under target_dir."""
    resolved = path.resolve()
    if resolved.parent != target_dir or not resolved.name.startswith("odcs-"):
        raise GenerationFailed(f"refusing to remove {path}: not a compose under {target_dir}")
    if resolved.exists():
        shutil.rmtree(resolved)
