"""Rebuild chains end to end: real broker, dist-git hook, koji hub, consumers and cron.

A push to a component that three tiers of modules are made of rebuilds them in
order, each tier only after the previous one is done and passed gating, and the
three rebuilt modules move to ready together when the last tier passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from models import ModuleBuild, ModuleBuildTransition
from models.chain_transition import ChainTransition
from models.rebuild_chain import RebuildChain
from sandbox.broker import RabbitMQ
from sandbox.demo_chain import GATING, build_tiers, chain_scenario, push_component, wait_chain
from sandbox.system import Sandbox, SandboxOptions

pytestmark = pytest.mark.integration


def _box(rabbitmq: RabbitMQ, path: Path, **options) -> Iterator[Sandbox]:
    sandbox = Sandbox(path, SandboxOptions(koji_delay=0.2, allowed_pushers=("alice",),
                                           **options), broker=rabbitmq)  # fmt: skip
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def box(rabbitmq: RabbitMQ, tmp_path: Path) -> Iterator[Sandbox]:
    yield from _box(rabbitmq, tmp_path / "box")  # no gating rules: a done module passes


@pytest.fixture
def ci_box(rabbitmq: RabbitMQ, tmp_path: Path) -> Iterator[Sandbox]:
    yield from _box(rabbitmq, tmp_path / "box", ci_outcomes={}, extra_settings={"gating": GATING})


def _rebuilt(box: Sandbox, chain_id: int, ns: str) -> ModuleBuild:
    from models.chain_item import ChainItem

    with box.session_factory() as session:
        name, stream = ns.split(":")
        item = session.scalars(
            select(ChainItem).where(ChainItem.chain_id == chain_id, ChainItem.name == name)
        ).one()
        module = session.get(ModuleBuild, item.module_build_id)
        assert module is not None and module.stream == stream
        return module


def _ready_transition(box: Sandbox, module_id: int) -> ModuleBuildTransition:
    with box.session_factory() as session:
        return session.scalars(
            select(ModuleBuildTransition).where(
                ModuleBuildTransition.module_build_id == module_id,
                ModuleBuildTransition.to_state == "ready",
            )
        ).one()


def test_a_component_push_rebuilds_three_tiers_in_order_then_all_ready(box: Sandbox) -> None:
    build_tiers(box)
    with box.session_factory() as session:
        before = {m.name: m for m in session.scalars(select(ModuleBuild))}
    commit = push_component(box)
    chain = wait_chain(box, ("complete", "failed", "canceled"))
    assert chain.state == "complete", chain.reason
    assert (chain.trigger_kind, chain.trigger_commit, chain.requester) == ("push", commit, "alice")
    assert [(i.tier, i.ns, i.state) for i in chain.items] == [
        (1, "low:main", "passed"), (2, "mid:main", "passed"), (3, "top:main", "passed"),
    ]  # fmt: skip
    low, mid, top = (_rebuilt(box, chain.id, ns) for ns in ("low:main", "mid:main", "top:main"))
    for name, module in (("low", low), ("mid", mid), ("top", top)):
        assert module.id != before[name].id and module.version > before[name].version
        assert module.state == "ready"
    # in order: a tier's builds were requested only after the previous tier was done
    assert low.completed_at <= mid.submitted_at and mid.completed_at <= top.submitted_at
    # the new chain-base commit is what tier 1 built; tier 2 built against the new low
    with box.session_factory() as session:
        low = session.get(ModuleBuild, low.id)
        assert {c.package: c.commit for c in low.components}["chain-base"] == commit
        mid = session.get(ModuleBuild, mid.id)
        assert mid.buildrequires["low:main"] == low.koji_tag
    # held until the end, then ready together, in the one transaction that completed it
    readies = [_ready_transition(box, m.id) for m in (low, mid, top)]
    assert {r.reason for r in readies} == {f"rebuild chain #{chain.id} complete"}
    assert len({r.cause for r in readies}) == 1
    assert readies[0].at >= top.completed_at


def test_ci_failure_stops_the_chain_and_a_fixed_build_resumes_it(ci_box: Sandbox) -> None:
    chain = chain_scenario(ci_box)  # the demo's scenario, asserted here
    assert chain.state == "complete"
    with ci_box.session_factory() as session:
        steps = session.scalars(
            select(ChainTransition.to_state)
            .where(ChainTransition.chain_id == chain.id, ChainTransition.item_id.is_(None))
            .order_by(ChainTransition.id)
        ).all()
    assert steps == ["planned", "running", "failed", "running", "complete"]
    mid = _rebuilt(ci_box, chain.id, "mid:main")  # the maintainer's fixed build
    assert mid.state == "ready"
    # low passed tier 1 long before: held while the chain failed, ready only with the rest
    for ns in ("low:main", "mid:main", "top:main"):
        ready = _ready_transition(ci_box, _rebuilt(ci_box, chain.id, ns).id)
        assert ready.reason == f"rebuild chain #{chain.id} complete", ns
    with ci_box.session_factory() as session:
        failed_ci = session.scalars(
            select(ModuleBuild).where(ModuleBuild.name == "mid", ModuleBuild.id != mid.id)
            .order_by(ModuleBuild.id.desc())
        ).first()  # fmt: skip
    assert failed_ci is not None and failed_ci.state == "done"  # CI failed: never ready


def test_a_second_push_supersedes_the_running_chain_without_building_twice(box: Sandbox) -> None:
    build_tiers(box)
    first_commit = push_component(box)
    wait_chain(box, ("running",))
    second_commit = push_component(box)  # while the first chain runs
    chain = wait_chain(box, ("complete", "failed"))
    assert chain.state == "complete", chain.reason
    assert chain.trigger_commit == second_commit
    with box.session_factory() as session:
        old = session.scalars(
            select(RebuildChain).where(RebuildChain.trigger_commit == first_commit)
        ).one()
        assert old.state == "canceled" and old.superseded_by_id == chain.id
        low_builds = session.scalars(
            select(ModuleBuild).where(ModuleBuild.name == "low").order_by(ModuleBuild.id)
        ).all()
        built_second = [
            m for m in low_builds
            if {c.package: c.commit for c in m.components}.get("chain-base") == second_commit
        ]  # fmt: skip
    assert len(built_second) == 1  # taken over or built once, never twice
    assert built_second[0].state == "ready"
    assert _rebuilt(box, chain.id, "low:main").id == built_second[0].id
