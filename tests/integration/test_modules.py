"""Module builds end to end: a pushed modulemd builds batch by batch in the sandbox koji.

Real RabbitMQ, real consumer processes (distgit, koji, module), the cron
reconciler, the sandbox koji hub driven by ``koji.ClientSession``, and a real
dist-git whose hook publishes each push.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest
from sqlalchemy import select

from consumers.module_intake import prepare, record
from models import ModuleBuild
from sandbox.broker import RabbitMQ
from sandbox.modulemd_template import modulemd
from sandbox.system import Sandbox, SandboxOptions

pytestmark = pytest.mark.integration

REF = "stack-1"  # a component branch that maps to no koji target: no rpm builds on push
STACK = {"stack-base": 1, "stack-lib": 2, "stack-tool": 2, "stack-app": 3}


@pytest.fixture
def box(rabbitmq: RabbitMQ, tmp_path: Path) -> Iterator[Sandbox]:
    options = SandboxOptions(koji_delay=0.3, allowed_pushers=("alice",))
    sandbox = Sandbox(tmp_path / "box", options, broker=rabbitmq)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def _modules(box: Sandbox) -> list[ModuleBuild]:
    with box.session_factory() as session:
        found = list(session.scalars(select(ModuleBuild).order_by(ModuleBuild.id)))
        for module in found:
            _ = list(module.components)
        return found


def _wait_module(box: Sandbox, states: tuple[str, ...], timeout: float = 120) -> ModuleBuild:
    def settled() -> bool:
        found = _modules(box)
        return bool(found) and found[-1].state in states

    box.wait_for(settled, timeout=timeout, what=f"a module build in {states}")
    return _modules(box)[-1]


def _tasks(box: Sandbox, method: str) -> list[dict]:
    session = koji.ClientSession(box.settings.koji.hub_url)
    return session.listTasks(opts={"method": method, "decode": True}, queryOpts={"order": "id"})


def test_pushed_module_builds_batch_after_batch_to_ready(box: Sandbox) -> None:
    for package in STACK:
        box.packager.create_package(package, "1.0", branches=(REF,), pusher="alice")
    box.packager.create_module("stack", "main", modulemd(STACK, REF), pusher="alice")
    module = _wait_module(box, ("ready", "failed"))
    assert module.state == "ready", module.state_reason
    assert module.owner == "alice" and module.stream == "main"
    components = {c.package: c for c in module.components}
    assert {c.state for c in components.values()} == {"complete"}
    assert components["stack-app"].nvr.endswith(f".module_f43+{module.id}+{module.context}")
    assert [components[p].batch for p in STACK] == [1, 2, 2, 3]

    # koji's own record: batch N+1 was submitted only after batch N was tagged into the
    # build tag and a newRepo made after that tagging had finished
    builds = {t["request"][0].split("/rpms/")[1].split(".git")[0]: t for t in _tasks(box, "build")
              if t["request"][1] == module.koji_tag}  # fmt: skip
    repos = [t for t in _tasks(box, "newRepo") if t["request"][0] == f"{module.koji_tag}-build"]
    tags = _tasks(box, "tagBuild")
    assert len(repos) == 2  # after batch 1 and after batch 2; none needed after the last
    for batch, repo in ((1, repos[0]), (2, repos[1])):
        done = [p for p in STACK if STACK[p] == batch]
        later = [p for p in STACK if STACK[p] == batch + 1]
        finished_tagging = max(t["completion_ts"] for t in tags if t["id"] < repo["id"])
        assert all(builds[p]["completion_ts"] <= finished_tagging for p in done)
        assert repo["create_ts"] >= finished_tagging
        assert all(builds[p]["create_ts"] >= repo["completion_ts"] for p in later)

    session = koji.ClientSession(box.settings.koji.hub_url)
    tagged = {b["nvr"] for b in session.listTagged(module.koji_tag)}
    assert tagged == {c.nvr for c in components.values()}
    _site_shows(box, module)


def _site_shows(box: Sandbox, module: ModuleBuild) -> None:
    twin = box.workdir / "site" / "api" / "v1" / "module-builds" / f"{module.id}.json"

    def rendered() -> bool:
        return twin.exists() and json.loads(twin.read_text())["module_build"]["state"] == "ready"

    box.wait_for(rendered, timeout=30, what="the module build page")
    html = (box.workdir / "site" / "modules" / f"{module.id}.html").read_text()
    assert module.nsvc in html and "stack-app" in html and "taskinfo?taskID=" in html


def test_failed_component_fails_the_module_and_a_resubmission_resumes(box: Sandbox) -> None:
    parts = {"good-lib": 1, "wobbly": 2, "good-app": 2, "top": 3}
    for package in parts:
        box.packager.create_package(package, "1.0", branches=(REF,), pusher="alice")
    box.packager.commit_file("wobbly", REF, "wobbly.spec",
                             box.packager.spec_path("wobbly").read_text() + "# sandbox: fail\n",
                             "a change that breaks the build")  # fmt: skip
    box.packager.push("wobbly", REF, pusher="alice")
    pushed = box.packager.create_module("wob", "main", modulemd(parts, REF), pusher="alice")
    module = _wait_module(box, ("failed", "ready"))
    assert module.state == "failed"
    assert "component wobbly failed" in module.state_reason
    states = {c.package: c.state for c in module.components}
    assert states["good-lib"] == "complete" and states["wobbly"] == "failed"
    assert states["good-app"] in ("complete", "canceled") and states["top"] == "waiting"
    good_lib_task = {c.package: c for c in module.components}["good-lib"].koji_task_id

    spec = box.packager.spec_path("wobbly").read_text().replace("# sandbox: fail\n", "")
    box.packager.commit_file("wobbly", REF, "wobbly.spec", spec, "fix the build")
    box.packager.push("wobbly", REF, pusher="alice")
    scmurl = f"{box.distgit.url_for('modules', 'wob')}?#{pushed}"
    request = prepare(scmurl, box.settings)
    with box.session_factory.begin() as session:
        submission = record(session, request, "alice", "test:resubmit")
        assert (submission.outcome, submission.module_build.id) == ("resumed", module.id)
    module = _wait_module(box, ("ready", "failed"))
    assert module.state == "ready", module.state_reason
    components = {c.package: c for c in module.components}
    assert components["good-lib"].koji_task_id == good_lib_task  # kept, not rebuilt
    assert all(c.state == "complete" for c in components.values())
