"""Module builds survive lost koji messages and run as replicas on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import koji
import pytest
from sqlalchemy import select

from models import ModuleBuild
from sandbox.broker import RabbitMQ
from sandbox.modulemd_template import modulemd
from sandbox.postgres import PostgreSQL
from sandbox.system import Sandbox, SandboxOptions
from tests.integration.pipeline_helpers import hub_stats, submissions_per_source

pytestmark = pytest.mark.integration

REF = "stack-1"  # maps to no koji target: only the module builds these components


def _push_modules(box: Sandbox, modules: dict[str, dict[str, int]]) -> None:
    for components in modules.values():
        for package in components:
            box.packager.create_package(package, "1.0", branches=(REF,), pusher="alice")
    for name, components in modules.items():
        box.packager.create_module(name, "main", modulemd(components, REF), pusher="alice")


def _settled(box: Sandbox, count: int, timeout: float) -> list[ModuleBuild]:
    def done() -> bool:
        with box.session_factory() as session:
            states = session.scalars(select(ModuleBuild.state)).all()
        return len(states) == count and all(s in ("ready", "failed") for s in states)

    box.wait_for(done, timeout=timeout, what=f"{count} module builds to settle")
    with box.session_factory() as session:
        found = list(session.scalars(select(ModuleBuild).order_by(ModuleBuild.id)))
        for module in found:
            _ = list(module.components)
        return found


def test_lost_koji_messages_are_recovered_by_the_module_reconciler(
    rabbitmq: RabbitMQ, tmp_path: Path
) -> None:
    options = SandboxOptions(koji_delay=0.2, drop_fraction=0.3, reconcile_seconds=2)
    box = Sandbox(tmp_path / "box", options, broker=rabbitmq).start()
    try:
        modules = {
            "lossy": {"lossy-a": 1, "lossy-b": 2, "lossy-c": 2, "lossy-d": 3},
            "leaky": {"leaky-a": 1, "leaky-b": 2, "leaky-c": 3},
        }
        _push_modules(box, modules)
        found = _settled(box, 2, timeout=180)
        assert [m.state for m in found] == ["ready", "ready"], [m.state_reason for m in found]
        stats = hub_stats(box)
        assert stats["dropped"] > 0, "the hub must really have dropped messages"
        session = koji.ClientSession(box.settings.koji.hub_url)
        for module in found:
            tagged = {b["nvr"] for b in session.listTagged(module.koji_tag)}
            assert tagged == {c.nvr for c in module.components}
    finally:
        box.stop()


@pytest.mark.postgres
def test_module_consumer_replicas_on_postgresql_build_each_component_once(
    rabbitmq: RabbitMQ, postgres: PostgreSQL, tmp_path: Path
) -> None:
    url = postgres.create_database("module_replicas")
    options = SandboxOptions(
        database_url=url, koji_delay=0.2, replicas={"distgit": 2, "koji": 2, "module": 2}
    )
    box = Sandbox(tmp_path / "box", options, broker=rabbitmq).start()
    try:
        modules = {
            f"rep{i}": {f"rep{i}-a": 1, f"rep{i}-b": 2, f"rep{i}-c": 2, f"rep{i}-d": 3}
            for i in range(3)
        }
        _push_modules(box, modules)
        found = _settled(box, 3, timeout=180)
        assert [m.state for m in found] == ["ready"] * 3, [m.state_reason for m in found]
        submissions = submissions_per_source(box)
        assert len(submissions) == 12 and set(submissions.values()) == {1}
        proxy = koji.ClientSession(box.settings.koji.hub_url)
        repos = Counter(
            t["request"][0] for t in proxy.listTasks(opts={"method": "newRepo", "decode": True})
        )
        # two repo regenerations per module (after batches 1 and 2), never more
        assert repos == Counter({f"{m.koji_tag}-build": 2 for m in found})
    finally:
        box.stop()
