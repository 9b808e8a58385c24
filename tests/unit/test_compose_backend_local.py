"""The local compose backend against the sandbox koji hub: real RPM files (rpmbuild),
a real repository (createrepo_c), read back with createrepo_c's own reader."""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

import createrepo_c as cr
import koji
import pytest
import yaml

from conveyor.composes import koji_reads
from conveyor.composes.backends import (
    ComposeInputs,
    GenerationFailed,
    ModuleSource,
    backend_for,
)
from conveyor.composes.backends.local import LocalBackend
from conveyor.settings import parse
from models import Compose
from sandbox.kojihub import KojiHub
from tests.dnf import dnf

TAG = "f39-compose-test"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    root = tmp_path_factory.mktemp("kojihub")
    (root / "distgit").mkdir()
    with KojiHub(root / "distgit", topdir=root / "koji", delay=0.0, publish=lambda *a: None) as hub:
        session = koji.ClientSession(hub.url)
        session.createTag(TAG)
        for name, version in (("hello", "1.0"), ("world", "2.1"), ("extra", "0.1")):
            session.packageListAdd(TAG, name, owner="conveyor")
            session.createEmptyBuild(name, version, "1.fc39")
        yield hub


@pytest.fixture
def session(hub) -> koji.ClientSession:
    return koji.ClientSession(hub.url)


@pytest.fixture
def backend(hub, tmp_path) -> LocalBackend:
    settings = parse({
        "koji": {"hub_url": hub.url},
        "composes": {"target_dir": str(tmp_path / "composes"), "koji_topdir": str(hub.topdir),
                     "base_url": "http://127.0.0.1:8000/composes/"},
    }, env={})  # fmt: skip
    found = backend_for(settings)
    assert isinstance(found, LocalBackend)
    return found


def _compose(compose_id: int, source_type: str, source: str) -> Compose:
    return Compose(id=compose_id, owner="t", source_type=source_type, source=source)


def _inputs(compose_id: int, source_type: str, sources: tuple[str, ...], **kw) -> ComposeInputs:
    kw.setdefault("koji_event", None)
    return ComposeInputs(compose_id=compose_id, source_type=source_type, sources=sources, **kw)


def _packages(os_dir: Path) -> set[str]:
    """The repository read back by createrepo_c's reader: name-version-release.arch."""
    metadata = cr.Metadata()
    metadata.locate_and_load_xml(str(os_dir))
    found = (metadata.get(key) for key in metadata.keys())  # noqa: SIM118 - not a dict
    return {f"{p.name}-{p.version}-{p.release}.{p.arch}" for p in found}


def _tag(session, nvr):
    session.tagBuild(TAG, nvr)


def test_hub_builds_real_rpm_files_at_koji_paths(hub, session):
    build = session.getBuild("hello-1.0-1.fc39")
    (rpm,) = session.listBuildRPMs(build["id"])
    path = Path(koji.PathInfo(topdir=str(hub.topdir)).build(build)) / koji.PathInfo().rpm(rpm)
    assert path.is_file()
    fmt = "%{NAME} %{VERSION} %{RELEASE} %{ARCH}"
    query = subprocess.run(["rpm", "-qp", "--qf", fmt, str(path)], capture_output=True, text=True,
                           check=True)  # fmt: skip
    assert query.stdout == "hello 1.0 1.fc39 noarch"
    assert session.listBuildRPMs(build["id"], arches=["src"]) == []


def test_tag_compose_is_a_real_repository_pinned_to_its_event(backend, session, tmp_path):
    _tag(session, "hello-1.0-1.fc39")
    _tag(session, "world-2.1-1.fc39")
    inputs = _inputs(7, "tag", (TAG,), arches=("x86_64", "aarch64"))
    result = backend.generate(_compose(7, "tag", TAG), inputs)
    os_dir = Path(result.repo_dir) / "x86_64" / "os"
    assert _packages(os_dir) == {"hello-1.0-1.fc39.noarch", "world-2.1-1.fc39.noarch"}
    assert _packages(Path(result.repo_dir) / "aarch64" / "os") == _packages(os_dir)
    assert result.repo_dir == str(tmp_path / "composes" / "odcs-7" / "compose" / "Temporary")
    repofile = Path(result.repo_dir) / "odcs-7.repo"
    assert "baseurl=http://127.0.0.1:8000/composes/odcs-7/compose/Temporary/$basearch/os/" in (
        repofile.read_text()
    )
    assert {(c.artifact, c.name, c.arch) for c in result.contents} == {
        ("hello-1.0-1.fc39", "hello", "noarch"), ("world-2.1-1.fc39", "world", "noarch")
    }  # fmt: skip
    # The tag moves on; a regeneration at the pinned event still sees what it saw.
    session.untagBuild(TAG, "world-2.1-1.fc39")
    _tag(session, "extra-0.1-1.fc39")
    again = backend.generate(_compose(7, "tag", TAG), _inputs(7, "tag", (TAG,),
                             koji_event=result.koji_event))  # fmt: skip
    assert _packages(Path(again.repo_dir) / "x86_64" / "os") == _packages(os_dir)
    fresh = backend.generate(_compose(8, "tag", TAG), _inputs(8, "tag", (TAG,)))
    assert fresh.koji_event > result.koji_event
    assert _packages(Path(fresh.repo_dir) / "x86_64" / "os") == {
        "hello-1.0-1.fc39.noarch", "extra-0.1-1.fc39.noarch"
    }  # fmt: skip


def test_build_compose_with_package_filter_and_removal(backend, tmp_path):
    inputs = _inputs(9, "build", ("hello-1.0-1.fc39", "world-2.1-1.fc39"), packages=("world",))
    result = backend.generate(_compose(9, "build", ""), inputs)
    assert _packages(Path(result.repo_dir) / "x86_64" / "os") == {"world-2.1-1.fc39.noarch"}
    packages = Path(result.repo_dir) / "x86_64" / "os" / "Packages"
    assert [p.name for p in packages.iterdir()] == ["world-2.1-1.fc39.noarch.rpm"]
    backend.remove(_compose(9, "build", ""))
    assert not (tmp_path / "composes" / "odcs-9").exists()
    backend.remove(_compose(9, "build", ""))  # idempotent


def test_missing_build_and_unsigned_rpms_fail_with_a_reason(backend, tmp_path):
    with pytest.raises(GenerationFailed, match="does not exist"):
        backend.generate(_compose(10, "build", ""), _inputs(10, "build", ("nope-1-1",)))
    with pytest.raises(GenerationFailed, match="not signed"):
        signed = _inputs(11, "build", ("hello-1.0-1.fc39",), sigkeys=("deadbeef",))
        backend.generate(_compose(11, "build", ""), signed)
    assert list((tmp_path / "composes").iterdir()) == []  # no half-made compose left


APP_MODULEMD = """\
document: modulemd
version: 2
data:
  summary: An application
  description: The application and its library.
  license:
    module: [MIT]
  dependencies:
    - buildrequires: {platform: [f39]}
      requires: {platform: [f39]}
  profiles:
    default: {rpms: [hello]}
  components:
    rpms:
      hello: {rationale: the app, ref: rawhide}
"""


def test_module_compose_reads_the_module_tags(backend, session):
    session.createTag("module-app-1-1-c0ffee00")
    session.packageListAdd("module-app-1-1-c0ffee00", "hello", owner="conveyor")
    session.tagBuild("module-app-1-1-c0ffee00", "hello-1.0-1.fc39")
    source = ModuleSource("app:1:1:c0ffee00", "module-app-1-1-c0ffee00", APP_MODULEMD)
    inputs = _inputs(12, "module", ("app:1:1:c0ffee00",), modules=(source,))
    result = backend.generate(_compose(12, "module", "app:1:1:c0ffee00"), inputs)
    os_dir = Path(result.repo_dir) / "x86_64" / "os"
    assert _packages(os_dir) == {"hello-1.0-1.fc39.noarch"}
    assert ("module", "app:1:1:c0ffee00") in {(c.kind, c.artifact) for c in result.contents}
    (document,) = _modules_yaml(os_dir)
    assert document["data"]["artifacts"] == {"rpms": ["hello-0:1.0-1.fc39.noarch"]}
    assert (document["data"]["version"], document["data"]["context"]) == (1, "c0ffee00")
    assert document["data"]["arch"] == "x86_64"
    assert sorted(os.listdir(os_dir)) == ["Packages", "repodata"]  # no stray modules.yaml


def test_dnf_sees_the_module_and_filters_its_rpms_until_it_is_enabled(backend, session, tmp_path):
    session.createTag("module-app-2-1-c0ffee00")
    session.packageListAdd("module-app-2-1-c0ffee00", "hello", owner="conveyor")
    session.tagBuild("module-app-2-1-c0ffee00", "hello-1.0-1.fc39")
    source = ModuleSource("app:2:1:c0ffee00", "module-app-2-1-c0ffee00", APP_MODULEMD)
    compose = _compose(14, "module", source.nsvc)
    result = backend.generate(compose, _inputs(14, "module", (source.nsvc,), modules=(source,)))
    os_dir, root = Path(result.repo_dir) / "x86_64" / "os", tmp_path / "dnf-root"
    listed = dnf(os_dir, root, "module", "list").split()
    assert listed[listed.index("app") : listed.index("app") + 4] == ["app", "2", "default", "An"]
    assert "hello-0:1.0-1.fc39.noarch" in dnf(os_dir, root, "module", "info", "app:2")
    assert dnf(os_dir, root, "repoquery").split() == []  # modular RPMs hidden by default
    dnf(os_dir, root, "module", "enable", "app:2")
    assert dnf(os_dir, root, "repoquery").split() == ["hello-0:1.0-1.fc39.noarch"]


def _modules_yaml(os_dir: Path) -> list[dict]:
    """The ``modules`` record of repomd.xml, read back through createrepo_c's reader."""
    repomd = cr.Repomd(str(os_dir / "repodata" / "repomd.xml"))
    (record,) = [r for r in repomd.records if r.type == "modules"]
    with gzip.open(os_dir / record.location_href, "rt") as stream:
        return list(yaml.safe_load_all(stream))


def test_remove_refuses_anything_outside_target_dir(backend, tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    compose = _compose(13, "tag", TAG)
    (tmp_path / "composes").mkdir(exist_ok=True)
    (tmp_path / "composes" / "odcs-13").symlink_to(outside)
    with pytest.raises(GenerationFailed, match="refusing"):
        backend.remove(compose)
    assert outside.is_dir()


def test_koji_says_whether_tags_changed_since_an_event(session):
    session.createTag("f39-quiet")
    session.createTag("f39-child", parent="f39-quiet")
    session.packageListAdd("f39-quiet", "hello", owner="conveyor")
    event = koji_reads.last_event(session)
    assert not koji_reads.tags_changed_since(session, ["f39-child"], event)
    session.tagBuild("f39-quiet", "hello-1.0-1.fc39")  # the parent moves: the child did too
    assert koji_reads.tags_changed_since(session, ["f39-child"], event)
    assert not koji_reads.tags_changed_since(session, ["f39-child"], koji_reads.last_event(session))
    assert koji_reads.tags_changed_since(session, ["no-such-tag"], event)


def test_koji_names_that_are_not_plain_nevra_never_become_paths():
    from conveyor.composes.backends.local import rpm_wanted

    inputs = _inputs(1, "build", ("x-1-1",))
    plain = {"name": "hello", "version": "1.0", "release": "1.fc39", "arch": "noarch"}
    assert rpm_wanted(plain, inputs)
    for key, bad in (("version", "../../etc"), ("name", ".."), ("release", "1/2"), ("arch", "src")):
        assert not rpm_wanted(plain | {key: bad}, inputs), (key, bad)
