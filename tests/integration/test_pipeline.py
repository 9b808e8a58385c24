"""A git push becomes a koji build, end to end, with real processes and a real broker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.broker import RabbitMQ
from sandbox.bus import Bus
from sandbox.system import PREFIX, Sandbox, SandboxOptions
from tests.integration.pipeline_helpers import (
    builds,
    push_body,
    rejected,
    submissions_per_source,
    wait_terminal,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def box(rabbitmq: RabbitMQ, tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = Sandbox(tmp_path / "box", SandboxOptions(koji_delay=0.5), broker=rabbitmq)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def test_push_becomes_complete_build_on_status_page(box: Sandbox) -> None:
    announcements = f"announcements_{box.token}"
    with Bus(box.broker.url) as bus:
        bus.channel.queue_declare(announcements, durable=True)
        bus.channel.queue_bind(announcements, "amq.topic", f"{PREFIX}.conveyor.build.#")
    pushed = box.packager.create_package("hello", "2.12", branches=("rawhide", "f43"))
    done = wait_terminal(box, 2)
    by_branch = {b.branch: b for b in done}
    assert by_branch["rawhide"].state == "complete"
    assert by_branch["rawhide"].nvr == "hello-2.12-1.fc44"
    assert by_branch["f43"].nvr == "hello-2.12-1.fc43"
    assert by_branch["f43"].target == "f43-candidate"
    assert by_branch["rawhide"].commit == pushed["rawhide"]
    twin = box.workdir / "site" / "api" / "v1" / "packages" / "rpms" / "hello.json"

    def page_shows_complete() -> bool:
        if not twin.exists():
            return False
        shown = {b["nvr"]: b["state"] for b in json.loads(twin.read_text())["builds"]}
        return shown.get("hello-2.12-1.fc43") == "complete"

    box.wait_for(page_shows_complete, timeout=30, what="the package page to show the build")
    html = (box.workdir / "site" / "packages" / "rpms" / "hello.html").read_text()
    assert "hello-2.12-1.fc43" in html and "hello-2.12-1.fc44" in html
    # queued, building, complete for each build, through the outbox
    box.wait_for(lambda: _depth(box, announcements) >= 6, timeout=30, what="announcements")
    assert _depth(box, announcements) == 6


def _depth(box: Sandbox, queue: str) -> int:
    with Bus(box.broker.url) as bus:
        return bus.channel.queue_declare(queue, passive=True).method.message_count


def test_failing_build_ends_failed_with_kojis_reason(box: Sandbox) -> None:
    box.packager.create_package("broken-lib", "0.1")
    [build] = wait_terminal(box, 1)
    assert build.state == "failed"
    assert build.state_reason, "a failed build must say why"


def test_duplicate_push_messages_start_one_build(box: Sandbox) -> None:
    box.processes.stop("distgit-0")
    box.packager.create_package("dup", "1.0")  # the hook's message waits in the queue
    commit = box.packager.head("dup")
    body = push_body(box, "dup", "rawhide", commit)
    with Bus(box.broker.url) as bus:
        bus.publish(f"{PREFIX}.pagure.git.receive", body, message_id="dup-1")
        bus.publish(f"{PREFIX}.pagure.git.receive", body, message_id="dup-1")
        bus.publish(f"{PREFIX}.pagure.git.receive", body, message_id="dup-2")
    box.start_consumer("distgit")
    [build] = wait_terminal(box, 1)
    assert build.state == "complete"
    assert list(submissions_per_source(box).values()) == [1]


def test_bad_input_is_recorded_and_the_consumer_keeps_running(box: Sandbox) -> None:
    evil = "<script>alert(1)</script>"
    with Bus(box.broker.url) as bus:
        bus.publish(f"{PREFIX}.pagure.git.receive", None, raw=b"{not json")
        bus.publish(f"{PREFIX}.pagure.git.receive", {"repo": "x"})
        bus.publish(f"{PREFIX}.pagure.git.receive", {"repo": {"name": evil}, "branch": "rawhide"})
        bus.publish(f"{PREFIX}.pagure.git.receive", {"repo": {"name": "../../etc"}})
        bus.publish(f"{PREFIX}.buildsys.build.state.change", {"build_id": "seven", "new": 1})
        bus.publish(f"{PREFIX}.buildsys.task.state.change", {"id": 1, "new": "EXPLODED"})
        bus.publish(f"{PREFIX}.pagure.git.receive", {"repo": {"name": "x" * 5_000_000}})
    box.wait_for(lambda: len(rejected(box)) >= 6, timeout=60, what="rejected rows")
    reasons = [r.reason for r in rejected(box)]
    assert any("body.repo: expected an object" in r for r in reasons)
    assert any("build_id" in r for r in reasons)
    assert any("EXPLODED" in r for r in reasons)
    assert box.processes.alive("distgit-0") and box.processes.alive("koji-0")
    box.packager.create_package("after-bad-input", "1.0")
    [build] = wait_terminal(box, 1)
    assert build.state == "complete"
    index = box.workdir / "site" / "index.html"
    box.wait_for(lambda: index.exists() and "after-bad-input" in index.read_text(), timeout=30)
    html = index.read_text()
    assert "<script>alert(1)</script>" not in html
    for path in (box.workdir / "site").resolve().rglob("*"):
        assert path.name != "etc" and ".." not in path.parts


def test_consumer_killed_mid_stream_loses_nothing_submits_nothing_twice(box: Sandbox) -> None:
    names = [f"pkg{i:02d}" for i in range(12)]
    for name in names:
        box.packager.create_package(name, "1.0")
    box.wait_for(lambda: len(builds(box)) >= 3, timeout=60, what="a few builds")
    box.processes.kill("distgit-0")  # SIGKILL, mid-stream
    box.start_consumer("distgit")
    done = wait_terminal(box, len(names), timeout=120)
    assert len(done) == len(names)
    assert all(b.state == "complete" for b in done)
    assert set(submissions_per_source(box).values()) == {1}


def test_rabbitmq_restart_mid_stream_loses_nothing(box: Sandbox) -> None:
    for i in range(5):
        box.packager.create_package(f"before{i}", "1.0")
    box.broker.restart()
    for i in range(5):
        box.packager.create_package(f"after{i}", "1.0")
    done = wait_terminal(box, 10, timeout=150)
    assert len(done) == 10
    assert [(b.source, b.state, b.state_reason) for b in done if b.state != "complete"] == []
    assert set(submissions_per_source(box).values()) == {1}
