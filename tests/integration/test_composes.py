"""Composes end to end: a module builds to done in the sandbox, a compose of it is
requested automatically and made by the real compose consumer process with the local
backend: real RPM files from the sandbox koji hub (rpmbuild), a real repository
(createrepo_c) read back with createrepo_c's reader; delete removes the files and
regenerate makes the repository again from the same koji event.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import createrepo_c as cr
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from conveyor.composes.service import (
    ComposeRequest,
    delete,
    expire_due,
    regenerate,
    request_compose,
)
from conveyor.db import make_session_factory
from conveyor.settings import parse
from models import Compose, ComposeContent, ModuleBuild
from models.base import utcnow
from models.migrations import upgrade
from sandbox.broker import RabbitMQ
from sandbox.demo_compose import compose_report
from sandbox.modulemd_template import modulemd
from sandbox.postgres import PostgreSQL
from sandbox.system import Sandbox, SandboxOptions
from tests.dnf import dnf

pytestmark = pytest.mark.integration

REF = "qa-1"  # a component branch that maps to no koji target: no rpm builds on push
STACK = {"qa-lib": 1, "qa-app": 2}


@pytest.fixture
def box(rabbitmq: RabbitMQ, tmp_path: Path) -> Iterator[Sandbox]:
    options = SandboxOptions(
        koji_delay=0.3,
        allowed_pushers=("alice",),
        replicas={"distgit": 1, "koji": 1, "module": 1, "compose": 1},
    )
    sandbox = Sandbox(tmp_path / "box", options, broker=rabbitmq)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def _compose(box: Sandbox, states: tuple[str, ...], timeout: float = 90) -> Compose:
    def settled() -> Compose | None:
        with box.session_factory() as session:
            found = session.scalars(select(Compose).order_by(Compose.id)).first()
            if found is not None and found.state in states:
                session.expunge(found)
                return found
        return None

    box.wait_for(lambda: settled() is not None, timeout=timeout, what=f"a compose in {states}")
    found = settled()
    assert found is not None
    return found


def _packages(repo_dir: str) -> set[str]:
    metadata = cr.Metadata()
    metadata.locate_and_load_xml(str(Path(repo_dir) / "x86_64" / "os"))
    found = (metadata.get(key) for key in metadata.keys())  # noqa: SIM118 - not a dict
    return {f"{p.name}-{p.version}-{p.release}" for p in found}


def test_module_done_gets_a_real_repository_that_delete_and_regenerate_manage(box: Sandbox):
    for package in STACK:
        box.packager.create_package(package, "1.0", branches=(REF,), pusher="alice")
    box.packager.create_module("qa", "main", modulemd(STACK, REF), pusher="alice")
    box.wait_for(lambda: _module(box) is not None and _module(box).state in ("ready", "failed"),
                 timeout=150, what="the module build to finish")  # fmt: skip
    module = _module(box)
    assert module.state == "ready", module.state_reason
    nvrs = {c.nvr for c in module.components}

    compose = _compose(box, ("done", "failed"))
    assert compose.state == "done", compose.state_reason
    assert (compose.owner, compose.source_type, compose.source) == (
        "conveyor",
        "module",
        module.nsvc,
    )
    assert _packages(compose.result_repo_dir) == nvrs
    repofile = Path(compose.result_repo_dir) / f"odcs-{compose.id}.repo"
    assert f"baseurl={box.settings.composes.base_url}odcs-{compose.id}/" in repofile.read_text()
    with box.session_factory() as session:
        rows = session.scalars(
            select(ComposeContent).where(ComposeContent.compose_id == compose.id)
        )
        contents = {(r.kind, r.artifact) for r in rows}
    assert contents == {("module", module.nsvc)} | {("rpm", nvr) for nvr in nvrs}
    _dnf_installs_only_after_enabling(box, compose, module, nvrs)

    with box.session_factory.begin() as session:
        delete(session, session.get(Compose, compose.id), "alice", cause="test")
    compose_root = Path(box.settings.composes.target_dir) / f"odcs-{compose.id}"
    box.wait_for(lambda: not compose_root.exists(), timeout=60, what="the files deleted")
    assert _compose(box, ("removed",)).removed_by == "alice"

    with box.session_factory.begin() as session:
        regenerate(session, session.get(Compose, compose.id), box.settings, cause="test")
    again = _compose(box, ("done", "failed"))
    assert again.state == "done", again.state_reason
    assert again.koji_event == compose.koji_event
    assert _packages(again.result_repo_dir) == nvrs
    report = "\n".join(compose_report(box, [again]))  # what the demo prints
    assert "dnf --repofrompath=" in report and all(nvr in report for nvr in nvrs)


def _dnf_installs_only_after_enabling(
    box: Sandbox, compose: Compose, module: ModuleBuild, nvrs: set[str]
) -> None:
    """Real dnf reads the compose as a modular repository (modules.yaml in its repodata)."""
    os_dir = Path(compose.result_repo_dir) / "x86_64" / "os"
    root = Path(box.settings.composes.target_dir).parent / "dnf-root"
    (platform,) = [key for key in module.buildrequires if key.startswith("platform:")]
    query = ("repoquery", "--qf", "%{name}-%{version}-%{release}")
    info = dnf(os_dir, root, "module", "info", module.nsvc, platform=platform)
    assert f"Context          : {module.context}" in info
    assert dnf(os_dir, root, *query, platform=platform) == ""
    dnf(os_dir, root, "module", "enable", f"{module.name}:{module.stream}", platform=platform)
    listed = dnf(os_dir, root, *query, platform=platform)
    assert set(listed.split()) == nvrs


def _module(box: Sandbox) -> ModuleBuild | None:
    with box.session_factory() as session:
        found = session.scalars(select(ModuleBuild).order_by(ModuleBuild.id)).first()
        if found is not None:
            _ = list(found.components)
            session.expunge_all()
        return found


@pytest.mark.postgres
def test_compose_service_and_constraints_on_postgresql(postgres: PostgreSQL) -> None:
    url = postgres.create_database("composes")
    upgrade(url)
    factory = make_session_factory(url)
    settings = parse({}, env={})
    request = ComposeRequest("build", "hello-1.0-1.fc39", "alice")
    with factory.begin() as session:
        first, _ = request_compose(session, request, settings, cause="t")
        first.transition(session, "generating", cause="t")
        first.transition(session, "done", cause="t")
        again, reused = request_compose(session, request, settings, cause="t")
        assert reused and again.id == first.id
        assert expire_due(session, utcnow() + timedelta(days=4)) == [first.id]
        regenerate(session, first, settings, cause="t")
        assert first.state == "wait"
    with pytest.raises(IntegrityError, match="ck_composes_done_has_time"), factory.begin() as s:
        s.add(Compose(owner="a", source_type="tag", source="f39", state="done",
                      time_to_expire=utcnow()))  # fmt: skip
    factory.kw["bind"].dispose()
