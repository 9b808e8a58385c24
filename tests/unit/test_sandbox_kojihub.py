"""The sandbox koji hub, driven by the real koji.ClientSession over XML-RPC."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import koji
import pytest

from sandbox.kojihub import KojiHub
from sandbox.kojihub.specfile import SpecError, nvr_from_spec, parse_source

REPO_ROOT = Path(__file__).resolve().parents[2]
FINISHED = {koji.TASK_STATES["CLOSED"], koji.TASK_STATES["CANCELED"], koji.TASK_STATES["FAILED"]}
SPEC = """\
%global upstream_version 1.0
Name:           {name}
Version:        %{{upstream_version}}
Release:        {release}%{{?dist}}
Summary:        A test package

%description
Built by the sandbox.
"""

# The keys of the fedora-messaging era bodies (see shared/data/fedora-messages).
BUILD_BODY_KEYS = {
    "build_id",
    "old",
    "new",
    "name",
    "version",
    "release",
    "epoch",
    "owner",
    "task_id",
    "instance",
    "attribute",
    "request",
    "creation_time",
    "completion_time",
    "url",
}
TASK_BODY_KEYS = {"id", "parent", "method", "attribute", "old", "new", "owner", "info"}
TAG_BODY_KEYS = {
    "build_id",
    "name",
    "version",
    "release",
    "tag",
    "tag_id",
    "user",
    "owner",
    "instance",
}


class DistGit:
    """Bare repositories under ``root/<namespace>/<name>.git``, filled with real pushes."""

    def __init__(self, root: Path, scratch: Path) -> None:
        self.root = root
        self.scratch = scratch
        self.env = {
            **os.environ,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "HOME": str(scratch),
            "GIT_AUTHOR_NAME": "Test Packager",
            "GIT_AUTHOR_EMAIL": "packager@example.org",
            "GIT_COMMITTER_NAME": "Test Packager",
            "GIT_COMMITTER_EMAIL": "packager@example.org",
        }

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(
            ["git", "-c", "init.defaultBranch=main", *args],
            cwd=cwd,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def push_spec(self, name: str, spec: str, namespace: str = "rpms") -> str:
        """Commit ``<name>.spec`` in a clone and push it; returns the commit hash."""
        bare = self.root / namespace / f"{name}.git"
        work = self.scratch / f"work-{namespace}-{name}"
        if not bare.exists():
            bare.parent.mkdir(parents=True, exist_ok=True)
            self.git("init", "--bare", "-q", str(bare))
            self.git("clone", "-q", str(bare), str(work))
        (work / f"{name}.spec").write_text(spec)
        self.git("add", f"{name}.spec", cwd=work)
        self.git("commit", "-q", "-m", f"update {name}", cwd=work)
        self.git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work)
        return self.git("rev-parse", "HEAD", cwd=work)

    def source(self, name: str, commit: str, namespace: str = "rpms") -> str:
        return f"git+file://{self.root}/{namespace}/{name}.git#{commit}"


class Bus:
    """Collects published messages; thread-safe."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def __call__(self, topic: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append((topic, body))

    def of(self, topic: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for t, body in self.messages if t == topic]

    def topics(self) -> list[str]:
        with self._lock:
            return [t for t, _ in self.messages]


def wait_until(predicate: Callable[[], Any], timeout: float = 4.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def wait_task(session: koji.ClientSession, task_id: int) -> dict[str, Any]:
    return wait_until(
        lambda: (info := session.getTaskInfo(task_id)) and info["state"] in FINISHED and info
    )


@pytest.fixture
def distgit(tmp_path: Path) -> DistGit:
    root = tmp_path / "distgit"
    root.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return DistGit(root, scratch)


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def make_hub(distgit: DistGit, bus: Bus) -> Iterator[Callable[..., KojiHub]]:
    hubs: list[KojiHub] = []

    def make(**kwargs: Any) -> KojiHub:
        kwargs.setdefault("delay", 0.1)
        kwargs.setdefault("publish", bus)
        hub = KojiHub(distgit.root, **kwargs)
        hub.start()
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture
def hub(make_hub: Callable[..., KojiHub]) -> KojiHub:
    return make_hub()


@pytest.fixture
def session(hub: KojiHub) -> koji.ClientSession:
    return koji.ClientSession(hub.url)


def test_build_completes_tags_and_publishes_in_order(
    hub: KojiHub, session: koji.ClientSession, distgit: DistGit, bus: Bus
) -> None:
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    src = distgit.source("foo", commit)

    task_id = session.build(src, "rawhide")

    assert session.getTaskInfo(task_id)["state"] in (
        koji.TASK_STATES["FREE"],
        koji.TASK_STATES["OPEN"],
    )
    info = wait_task(session, task_id)
    assert info["state"] == koji.TASK_STATES["CLOSED"]
    assert info["method"] == "build" and info["parent"] is None and info["arch"] == "noarch"
    assert info["create_ts"] <= info["start_ts"] <= info["completion_ts"]
    assert "request" not in info
    build = session.getBuild("foo-1.0-1.fc44")
    assert build["state"] == koji.BUILD_STATES["COMPLETE"]
    assert (build["name"], build["version"], build["release"]) == ("foo", "1.0", "1.fc44")
    assert build["task_id"] == task_id and build["source"] == src
    assert build["owner_name"] == "conveyor" and build["epoch"] is None
    assert session.getBuild(build["id"])["nvr"] == "foo-1.0-1.fc44"
    assert session.getTaskResult(task_id)["build_id"] == build["id"]
    assert [b["nvr"] for b in session.listTagged("f44")] == ["foo-1.0-1.fc44"]
    assert session.listTagged("f44-build") == []

    wait_until(lambda: len(bus.messages) == 6)
    assert bus.topics() == [
        "buildsys.task.state.change",
        "buildsys.task.state.change",
        "buildsys.build.state.change",
        "buildsys.build.state.change",
        "buildsys.tag",
        "buildsys.task.state.change",
    ]
    tasks = bus.of("buildsys.task.state.change")
    assert [(m["old"], m["new"]) for m in tasks] == [
        (None, "FREE"),
        ("FREE", "OPEN"),
        ("OPEN", "CLOSED"),
    ]
    assert all(m.keys() >= TASK_BODY_KEYS and m["id"] == task_id for m in tasks)
    assert tasks[1]["info"]["state"] == koji.TASK_STATES["OPEN"]
    assert tasks[1]["info"]["request"] == [src, "rawhide", {}]
    builds = bus.of("buildsys.build.state.change")
    assert [(m["old"], m["new"]) for m in builds] == [(None, 0), (0, 1)]
    for body in builds:
        assert body.keys() == BUILD_BODY_KEYS
        assert body["build_id"] == build["id"] and body["task_id"] == task_id
        assert body["request"] == [src, "rawhide", {}]
        assert body["instance"] == "primary" and body["attribute"] == "state"
        assert body["url"].startswith(f"http://127.0.0.1:{hub.port}/koji/")
    assert builds[0]["completion_time"] is None
    assert builds[1]["creation_time"].endswith("+00:00") and builds[1]["completion_time"]
    (tag,) = bus.of("buildsys.tag")
    assert tag.keys() == TAG_BODY_KEYS
    assert (tag["tag"], tag["name"], tag["release"]) == ("f44", "foo", "1.fc44")


def test_targets_and_tags_are_preconfigured(session: koji.ClientSession) -> None:
    rawhide = session.getBuildTarget("rawhide")
    assert (rawhide["build_tag_name"], rawhide["dest_tag_name"]) == ("f44-build", "f44")
    assert session.getBuildTarget(rawhide["id"])["name"] == "rawhide"
    names = {t["name"] for t in session.getBuildTargets()}
    assert {f"f{n}-candidate" for n in range(40, 45)} <= names
    assert {"epel8-candidate", "epel9-candidate", "epel10-candidate"} <= names
    f42 = session.getBuildTarget("f42-candidate")
    assert f42["dest_tag_name"] == "f42-updates-candidate"
    assert session.getTag("f42-build")["extra"]["rpm.macro.dist"] == ".fc42"
    assert session.getTag("epel9-build")["extra"]["rpm.macro.dist"] == ".el9"
    assert session.getBuildTarget("nope") is None
    assert session.getTag("nope") is None
    with pytest.raises(koji.GenericError, match="No such tagInfo"):
        session.getTag("nope", strict=True)


def test_dist_follows_the_target(session: koji.ClientSession, distgit: DistGit) -> None:
    commit = distgit.push_spec("bar", SPEC.format(name="bar", release="3"))
    task_id = session.build(distgit.source("bar", commit), "epel9-candidate")
    assert wait_task(session, task_id)["state"] == koji.TASK_STATES["CLOSED"]
    assert session.getBuild("bar-1.0-3.el9")["state"] == koji.BUILD_STATES["COMPLETE"]
    tagged = session.listTagged("epel9-testing-candidate", package="bar")
    assert [b["nvr"] for b in tagged] == ["bar-1.0-3.el9"]


def test_legacy_multicall_with_a_fault(session: koji.ClientSession) -> None:
    session.multicall = True
    session.getAPIVersion()
    session.getTag("f44")
    session.getBuild("missing-1-1", strict=True)
    session.getBuildTarget("rawhide")
    results = session.multiCall()

    assert results[0] == [1]
    assert results[1][0]["name"] == "f44"
    assert results[2]["faultCode"] == koji.GenericError.faultCode
    assert "No such build" in results[2]["faultString"]
    assert results[3][0]["dest_tag_name"] == "f44"
    session.multicall = True
    session.getBuild("missing-1-1", strict=True)
    with pytest.raises(koji.GenericError, match="No such build"):
        session.multiCall(strict=True)


def test_multicall_context_manager(session: koji.ClientSession) -> None:
    with session.multicall() as m:
        tag = m.getTag("f43-build")
        missing = m.getBuild("missing-1-1", strict=True)
        bad = m.getTaskInfo()  # missing argument
    assert tag.result["name"] == "f43-build"
    with pytest.raises(koji.GenericError, match="No such build"):
        _ = missing.result
    with pytest.raises(koji.ParameterError):
        _ = bad.result


def test_keyword_arguments_and_faults(session: koji.ClientSession) -> None:
    assert session.getBuild("missing-1-1") is None
    with pytest.raises(koji.GenericError, match="No such build"):
        session.getBuild("missing-1-1", strict=True)
    with pytest.raises(koji.GenericError, match="No such task"):
        session.getTaskInfo(424242, strict=True)
    with pytest.raises(koji.ParameterError):
        session.getBuild("a-1-1", nonsense=True)
    with pytest.raises(koji.GenericError, match="Invalid method: noSuchMethod"):
        session.noSuchMethod()
    assert "multiCall" in session.system.listMethods()
    assert session.getKojiVersion().startswith("1.")
    # koji sends integers beyond 32 bits as <i8>
    assert session.getTaskInfo(2**40) is None
    assert session.getBuild(2**40) is None


def test_duplicate_nvr_fails_the_second_task(
    session: koji.ClientSession, distgit: DistGit, bus: Bus
) -> None:
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    first = session.build(distgit.source("foo", commit), "rawhide")
    assert wait_task(session, first)["state"] == koji.TASK_STATES["CLOSED"]
    build_id = session.getBuild("foo-1.0-1.fc44")["id"]

    second = session.build(distgit.source("foo", commit), "rawhide")

    assert wait_task(session, second)["state"] == koji.TASK_STATES["FAILED"]
    with pytest.raises(
        koji.BuildError, match=rf"Build already exists \(id={build_id}, state=COMPLETE\)"
    ):
        session.getTaskResult(second)
    assert len(session.listBuilds()) == 1
    assert [m["task_id"] for m in bus.of("buildsys.build.state.change")] == [first, first]


def test_fail_pattern_fails_build_and_task(
    make_hub: Callable[..., KojiHub], distgit: DistGit, bus: Bus
) -> None:
    hub = make_hub(fail_patterns=["broken*"])
    session = koji.ClientSession(hub.url)
    commit = distgit.push_spec("broken-pkg", SPEC.format(name="broken-pkg", release="1"))

    task_id = session.build(distgit.source("broken-pkg", commit), "f43-candidate")

    assert wait_task(session, task_id)["state"] == koji.TASK_STATES["FAILED"]
    build = session.getBuild("broken-pkg-1.0-1.fc43")
    assert build["state"] == koji.BUILD_STATES["FAILED"]
    with pytest.raises(koji.BuildError, match="mock exited with status 1"):
        session.getTaskResult(task_id)
    assert session.listTagged("f43-updates-candidate") == []
    wait_until(lambda: len(bus.messages) == 5)
    assert [(m["old"], m["new"]) for m in bus.of("buildsys.build.state.change")] == [
        (None, 0),
        (0, 3),
    ]
    assert bus.of("buildsys.task.state.change")[-1]["new"] == "FAILED"
    assert bus.of("buildsys.tag") == []

    # a failed NVR may be built again (koji recycles the build) once the pattern is gone
    session.sandbox.setFailPatterns([])
    again = session.build(distgit.source("broken-pkg", commit), "f43-candidate")
    assert wait_task(session, again)["state"] == koji.TASK_STATES["CLOSED"]
    rebuilt = session.getBuild("broken-pkg-1.0-1.fc43")
    assert rebuilt["state"] == koji.BUILD_STATES["COMPLETE"] and rebuilt["task_id"] == again


def test_unknown_target_and_bad_source_are_rejected(
    hub: KojiHub, session: koji.ClientSession, distgit: DistGit
) -> None:
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    with pytest.raises(koji.GenericError, match="No such build target: f99-candidate"):
        session.build(distgit.source("foo", commit), "f99-candidate")
    with pytest.raises(koji.GenericError, match="Invalid source"):
        session.build(f"git+file://{distgit.root}/rpms/../../etc.git#{commit}", "rawhide")
    with pytest.raises(koji.GenericError, match="Invalid source"):
        session.build(f"git+file://{distgit.root}/rpms/foo.git#master", "rawhide")
    assert session.listTasks() == []
    assert hub.stats()["build_calls"] == []


def test_https_source_and_missing_commit_fail_the_task(
    session: koji.ClientSession, distgit: DistGit
) -> None:
    distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    https = session.build("git+https://src.fedoraproject.org/rpms/foo.git#" + "a" * 40, "rawhide")
    missing = session.build(distgit.source("foo", "b" * 40), "rawhide")
    assert wait_task(session, https)["state"] == koji.TASK_STATES["FAILED"]
    with pytest.raises(koji.BuildError, match="only reads git\\+file://"):
        session.getTaskResult(https)
    assert wait_task(session, missing)["state"] == koji.TASK_STATES["FAILED"]
    with pytest.raises(koji.BuildError, match="cannot read the spec"):
        session.getTaskResult(missing)
    assert session.listBuilds() == []


def test_list_tasks_filters(session: koji.ClientSession, distgit: DistGit) -> None:
    good = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    first = session.build(distgit.source("foo", good), "rawhide")
    wait_task(session, first)
    second = session.build(distgit.source("foo", good), "rawhide")  # duplicate: fails
    wait_task(session, second)

    builds = session.listTasks({"method": "build"}, {"order": "id"})
    assert [t["id"] for t in builds] == [first, second]
    assert all(t["request"][1] == "rawhide" for t in builds)
    failed = session.listTasks(
        opts={"method": "build", "state": [koji.TASK_STATES["FAILED"]], "decode": True}
    )
    assert [t["id"] for t in failed] == [second]
    latest = session.listTasks({"parent": None}, queryOpts={"order": "-id", "limit": 1})
    assert [t["id"] for t in latest] == [second]
    assert session.listTasks({"method": "newRepo"}) == []
    assert session.listTasks({"state": [koji.TASK_STATES["OPEN"]]}) == []


def test_cancel_task_cancels_build(
    make_hub: Callable[..., KojiHub], distgit: DistGit, bus: Bus
) -> None:
    hub = make_hub(delay=3.0)
    session = koji.ClientSession(hub.url)
    commit = distgit.push_spec("slow", SPEC.format(name="slow", release="1"))
    task_id = session.build(distgit.source("slow", commit), "rawhide")
    build = wait_until(lambda: session.getBuild("slow-1.0-1.fc44"))
    assert build["state"] == koji.BUILD_STATES["BUILDING"]

    session.cancelTask(task_id)

    assert session.getTaskInfo(task_id)["state"] == koji.TASK_STATES["CANCELED"]
    assert session.getBuild(build["id"])["state"] == koji.BUILD_STATES["CANCELED"]
    with pytest.raises(koji.GenericError, match="canceled"):
        session.getTaskResult(task_id)
    assert bus.of("buildsys.task.state.change")[-1]["new"] == "CANCELED"
    assert bus.of("buildsys.build.state.change")[-1]["new"] == koji.BUILD_STATES["CANCELED"]


def test_drop_fraction_one_publishes_nothing_but_builds(
    make_hub: Callable[..., KojiHub], distgit: DistGit, bus: Bus
) -> None:
    hub = make_hub(drop_fraction=1.0)
    session = koji.ClientSession(hub.url)
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    task_id = session.build(distgit.source("foo", commit), "rawhide")
    assert wait_task(session, task_id)["state"] == koji.TASK_STATES["CLOSED"]
    assert session.listTagged("f44")[0]["nvr"] == "foo-1.0-1.fc44"
    stats = wait_until(lambda: (s := session.sandbox.stats())["dropped"] == 6 and s)
    assert stats["published"] == 0
    assert bus.messages == []


def test_publish_failures_are_logged_and_do_not_stop_builds(
    make_hub: Callable[..., KojiHub], distgit: DistGit
) -> None:
    def broken(topic: str, body: dict[str, Any]) -> None:
        raise ConnectionError("broker down")

    hub = make_hub(publish=broken)
    session = koji.ClientSession(hub.url)
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    first = session.build(distgit.source("foo", commit), "rawhide")
    assert wait_task(session, first)["state"] == koji.TASK_STATES["CLOSED"]
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="2"))
    second = session.build(distgit.source("foo", commit), "rawhide")
    assert wait_task(session, second)["state"] == koji.TASK_STATES["CLOSED"]
    assert wait_until(lambda: hub.stats()["publish_failures"] == 12)


def test_default_publisher_uses_fedora_messaging(
    make_hub: Callable[..., KojiHub], distgit: DistGit
) -> None:
    from fedora_messaging.message import Message
    from fedora_messaging.testing import mock_sends

    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    with mock_sends(*[Message] * 6) as sent:
        hub = make_hub(publish=None)
        session = koji.ClientSession(hub.url)
        task_id = session.build(distgit.source("foo", commit), "rawhide")
        assert wait_task(session, task_id)["state"] == koji.TASK_STATES["CLOSED"]
        wait_until(lambda: hub.stats()["published"] == 6)
    assert [m.topic for m in sent][-2:] == ["buildsys.tag", "buildsys.task.state.change"]
    assert sent[-1].body["new"] == "CLOSED"


def test_stats_and_runtime_settings(
    hub: KojiHub, session: koji.ClientSession, distgit: DistGit
) -> None:
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    before = time.time()
    task_id = session.build(distgit.source("foo", commit), "f44-candidate")
    (call,) = session.sandbox.stats()["build_calls"]
    assert call["task_id"] == task_id and call["target"] == "f44-candidate"
    assert call["src"] == distgit.source("foo", commit) and call["at"] >= before
    session.sandbox.setDelay(0.0)
    with pytest.raises(koji.ParameterError):
        session.sandbox.setDelay(-1)
    assert wait_task(session, task_id)["state"] == koji.TASK_STATES["CLOSED"]


def test_tag_untag_and_repo(session: koji.ClientSession, distgit: DistGit, bus: Bus) -> None:
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    wait_task(session, session.build(distgit.source("foo", commit), "f42-candidate"))
    nvr = "foo-1.0-1.fc42"

    tag_task = session.tagBuild("f42", nvr)
    assert session.getTaskInfo(tag_task)["state"] == koji.TASK_STATES["CLOSED"]
    assert [b["nvr"] for b in session.getLatestBuilds("f42")] == [nvr]
    again = session.tagBuild("f42", nvr)
    with pytest.raises(koji.TagError, match="already tagged"):
        session.getTaskResult(again)
    session.untagBuild("f42", nvr)
    assert session.listTagged("f42") == []
    assert bus.of("buildsys.untag")[0]["tag"] == "f42"

    repo_task = session.newRepo("f42-build")
    assert wait_task(session, repo_task)["state"] == koji.TASK_STATES["CLOSED"]
    repo = session.getRepo("f42-build")
    assert repo["tag_name"] == "f42-build"
    done = wait_until(lambda: bus.of("buildsys.repo.done"))
    assert done[0]["repo_id"] == repo["id"] and done[0]["tag"] == "f42-build"


def test_state_file_survives_a_restart(
    make_hub: Callable[..., KojiHub], distgit: DistGit, tmp_path: Path
) -> None:
    state = tmp_path / "hub.sqlite"
    hub = make_hub(state_path=state)
    session = koji.ClientSession(hub.url)
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="1"))
    first = session.build(distgit.source("foo", commit), "rawhide")
    wait_task(session, first)
    hub.stop()

    hub = make_hub(state_path=state)
    session = koji.ClientSession(hub.url)
    assert session.getBuild("foo-1.0-1.fc44")["task_id"] == first
    assert session.listTagged("f44")[0]["nvr"] == "foo-1.0-1.fc44"
    # a build in flight when the hub stops is finished by the next hub
    session.sandbox.setDelay(5.0)
    commit = distgit.push_spec("foo", SPEC.format(name="foo", release="2"))
    second = session.build(distgit.source("foo", commit), "rawhide")
    assert second > first
    wait_until(lambda: session.getBuild("foo-1.0-2.fc44"))
    hub.stop()

    hub = make_hub(state_path=state)
    session = koji.ClientSession(hub.url)
    assert wait_task(session, second)["state"] == koji.TASK_STATES["CLOSED"]
    assert session.getBuild("foo-1.0-2.fc44")["state"] == koji.BUILD_STATES["COMPLETE"]
    assert [b["nvr"] for b in session.listTagged("f44")] == ["foo-1.0-2.fc44", "foo-1.0-1.fc44"]


def test_cli_writes_ready_file_and_stops_on_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.kojihub",
            "--port",
            "0",
            "--distgit-root",
            str(tmp_path),
            "--delay",
            "0.1",
            "--ready-file",
            str(ready),
            "--state",
            str(tmp_path / "s.sqlite"),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = wait_until(lambda: ready.exists() and ready.read_text().strip(), timeout=4.0)
        assert koji.ClientSession(url).getAPIVersion() == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=4)
    assert proc.returncode == 0, output
    assert not ready.exists()


def test_spec_macros() -> None:
    spec = """\
%global srcname Foo
%define base_release 4
%global pre %{?prerelease:.%{prerelease}}
Name:    python-%{srcname}
Epoch:   2
Version: 1.%{base_release}
Release: %{base_release}%{?pre}%{?snap}%{!?snap:.final}%{dist}
%description
Name: ignored-after-sections
"""
    nvr = nvr_from_spec(spec, ".fc44")
    assert (nvr.name, nvr.version, nvr.release, nvr.epoch) == (
        "python-Foo",
        "1.4",
        "4.final.fc44",
        2,
    )
    auto = nvr_from_spec("Name: a\nVersion: 1\nRelease: %autorelease\n", ".el9", autorelease=7)
    assert auto.release == "7.el9"
    cond = nvr_from_spec("Name: a\nVersion: 1\nRelease: 1%{?fedora:.f%{fedora}}%{?rhel}\n", ".fc41")
    assert cond.release == "1.f41"
    with pytest.raises(SpecError):
        nvr_from_spec("Name: a\nVersion: 1\nRelease: %{undefined_macro}\n", ".fc44")
    with pytest.raises(SpecError):
        nvr_from_spec("Name: a\nVersion: 1-2\nRelease: 1\n", ".fc44")


def test_parse_source_is_strict() -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    ok = parse_source(f"git+https://src.fedoraproject.org/rpms/python-ogr.git#{commit}")
    assert ok is not None and (ok.scheme, ok.namespace, ok.name) == ("https", "rpms", "python-ogr")
    local = parse_source(f"git+file:///srv/git/modules/perl.git#{commit}")
    assert local is not None and (local.namespace, local.name) == ("modules", "perl")
    for bad in (
        f"git+file:///srv/rpms/..#{commit}",
        f"git+file:///srv/rpms/foo.git#{commit[:-1]}",
        f"git+ssh://host/rpms/foo.git#{commit}",
        f"git+file:///srv/rpms/foo;rm -rf.git#{commit}",
        f"git+file:///srv/RPMS/foo.git#{commit}",
        "foo.src.rpm",
    ):
        assert parse_source(bad) is None, bad
