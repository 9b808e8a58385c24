"""Rebuild chains: tiers advance only on done + passed, hold then ready together, failure,
resume, supersede, duplicates."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consumers.chain_supersede import cancel_chain
from models import Compose, OutboxMessage
from models.chain_item import is_held
from tests.unit.chain_world import (
    build_module,
    build_of,
    builds_of,
    chain,
    context,
    gate,
    items,
    module_repo,
    start,
)
from tests.unit.module_world import World

TIERS = [["app1", "app2"], ["stack"], ["top"]]


@pytest.fixture
def world(tmp_path, koji, session_factory) -> World:
    w = World(tmp_path / "distgit", koji, session_factory)
    w.with_settings(ready_on_done=False)  # the gate decides: the tests play it
    for name in ("app1", "app2", "stack", "top"):
        module_repo(w, name, {f"{name}-pkg": 1})
    return w


def _held(world: World, module_id: int) -> bool:
    with world.session_factory() as session:
        return is_held(session, module_id)


def _run_tier(world: World, chain_id: int, names: list[str]) -> list[int]:
    ids = [build_of(world, chain_id, n) for n in names]
    for module_id in ids:
        assert build_module(world, module_id) == "done"
    for module_id in ids:
        gate(world, module_id)
    return ids


def _announcements(world: World) -> list[dict]:
    with world.session_factory() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic == "conveyor.chain.state.change.v1")
            .order_by(OutboxMessage.id)
        ).all()
        return [r.body for r in rows]


def test_tiers_run_in_order_and_all_move_to_ready_together(world: World) -> None:
    chain_id = start(world, TIERS)
    found = chain(world, chain_id)
    assert found.state == "running" and found.current_tier == 1
    assert {n: i.state for n, i in items(world, chain_id).items()} == {
        "app1": "building", "app2": "building", "stack": "waiting", "top": "waiting",
    }  # fmt: skip
    app1, app2 = (build_of(world, chain_id, n) for n in ("app1", "app2"))
    assert build_module(world, app1) == "done"
    gate(world, app1)
    assert chain(world, chain_id).current_tier == 1  # app2 not done yet
    assert items(world, chain_id)["stack"].module_build_id is None
    assert build_module(world, app2) == "done"
    gate(world, app2, "waiting")
    assert items(world, chain_id)["app2"].state == "done"
    assert chain(world, chain_id).current_tier == 1  # done is not enough: CI must pass
    gate(world, app2)
    assert chain(world, chain_id).current_tier == 2
    assert _held(world, app1) and world.module(app1).state == "done"
    (stack,) = _run_tier(world, chain_id, ["stack"])
    assert chain(world, chain_id).current_tier == 3
    (top,) = _run_tier(world, chain_id, ["top"])
    found = chain(world, chain_id)
    assert found.state == "complete"
    assert {world.module(m).state for m in (app1, app2, stack, top)} == {"ready"}
    assert not _held(world, top)
    assert [b["new"] for b in _announcements(world)] == ["planned", "running", "complete"]
    assert _announcements(world)[-1]["usernames"] == ["pusher"]
    rebuilt = {world.module(m).nsvc for m in (app1, app2, stack, top)}
    with world.session_factory() as session:  # the whole rebuilt tree as one compose
        compose = session.scalars(select(Compose).where(Compose.label == f"chain-{chain_id}")).one()
        assert rebuilt <= set(compose.source.split()) and compose.source_type == "module"


def test_a_chain_build_gets_a_new_version_above_existing_ones(world: World) -> None:
    old = world.submit("app1", {"app1-pkg": 1}, version=99990101000000)
    chain_id = start(world, [["app1"]])
    rebuilt = build_of(world, chain_id, "app1")
    assert rebuilt != old
    assert world.module(rebuilt).version == 99990101000001


def test_failed_build_stops_the_chain_and_a_fix_resumes_it(world: World) -> None:
    chain_id = start(world, TIERS)
    app1 = build_of(world, chain_id, "app1")
    world.pump()
    world.finish(app1, "app1-pkg", state=3)  # koji: the component build failed
    found = chain(world, chain_id)
    assert found.state == "failed" and found.failed_tier == 1
    assert "app1:main" in found.reason and "failed" in found.reason
    app2 = build_of(world, chain_id, "app2")
    assert build_module(world, app2) == "done"
    gate(world, app2)
    assert chain(world, chain_id).state == "failed"  # app2 passed, app1 still broken
    assert items(world, chain_id)["stack"].state == "waiting"
    announced = _announcements(world)[-1]
    assert announced["new"] == "failed" and "pusher" in announced["usernames"]

    fix = world.submit("app1", {"app1-pkg": 1}, version=99990101000000)  # maintainer resubmits
    assert _held(world, fix)  # it will resume the chain: stays done until the chain completes
    assert build_module(world, fix) == "done"
    gate(world, fix)
    found = chain(world, chain_id)
    assert found.state == "running" and found.current_tier == 2
    assert items(world, chain_id)["app1"].module_build_id == fix
    _run_tier(world, chain_id, ["stack"])
    _run_tier(world, chain_id, ["top"])
    assert chain(world, chain_id).state == "complete"
    assert world.module(fix).state == "ready" and world.module(app2).state == "ready"


def test_failed_ci_stops_the_chain_at_that_tier(world: World) -> None:
    chain_id = start(world, TIERS)
    _run_tier(world, chain_id, ["app1", "app2"])
    (stack,) = [build_of(world, chain_id, "stack")]
    assert build_module(world, stack) == "done"
    gate(world, stack, "failed")
    found = chain(world, chain_id)
    assert found.state == "failed" and found.failed_tier == 2
    assert "failed CI" in found.reason
    assert items(world, chain_id)["top"].module_build_id is None
    app1 = build_of(world, chain_id, "app1")
    assert world.module(app1).state == "done"  # never published
    assert _held(world, app1)  # a failed chain still holds what it built: a fix resumes it
    with world.session_factory.begin() as session:
        cancel_chain(context(world, session), chain_id, by="erin")
    assert not _held(world, app1)  # canceled: released to the gate


def test_duplicate_verdicts_change_nothing_twice(world: World) -> None:
    chain_id = start(world, [["app1"], ["stack"]])
    app1 = build_of(world, chain_id, "app1")
    assert build_module(world, app1) == "done"
    gate(world, app1)
    stack = build_of(world, chain_id, "stack")
    before = len(_announcements(world))
    gate(world, app1)  # a duplicate
    gate(world, app1, "failed")  # a late, reordered verdict for a tier already passed
    assert items(world, chain_id)["app1"].state == "passed"
    assert build_of(world, chain_id, "stack") == stack
    assert len(builds_of(world, "stack")) == 1
    assert len(_announcements(world)) == before
    assert chain(world, chain_id).state == "running"


def test_a_new_push_supersedes_and_takes_over_current_builds(world: World) -> None:
    first = start(world, TIERS, commit="a" * 40)
    app1_old = build_of(world, first, "app1")
    assert world.module(app1_old).state == "init"  # init has not resolved the branch yet
    second = start(world, TIERS, commit="b" * 40)
    old = chain(world, first)
    assert old.state == "canceled" and old.superseded_by_id == second
    assert f"#{second}" in old.reason
    assert build_of(world, second, "app1") == app1_old  # taken over, not built twice
    assert len(builds_of(world, "app1")) == 1
    assert {i.state for i in items(world, first).values()} == {"skipped"}
    assert chain(world, second).state == "running"


def test_supersede_cancels_builds_of_the_old_commit(world: World) -> None:
    first = start(world, [["app1"]], commit="a" * 40)
    app1_old = build_of(world, first, "app1")
    world.pump()  # init resolved the components: base at its rawhide head, not "b"*40
    second = start(world, [["app1"]], commit="b" * 40)
    assert world.module(app1_old).state == "failed"
    assert "rebuild chain" in world.module(app1_old).state_reason
    assert build_of(world, second, "app1") != app1_old


def test_a_plan_with_nothing_to_rebuild_completes_at_once(world: World) -> None:
    chain_id = start(world, [])
    assert chain(world, chain_id).state == "complete"


def test_the_reconciler_advances_a_tier_whose_message_was_lost(world: World) -> None:
    from cron.chains import reconcile_chains
    from models.chain_item import ChainItem

    chain_id = start(world, TIERS)
    ids = [build_of(world, chain_id, n) for n in ("app1", "app2")]
    for module_id in ids:
        assert build_module(world, module_id) == "done"
    with world.session_factory.begin() as session:  # verdicts recorded, advance lost
        for item in session.scalars(select(ChainItem).where(ChainItem.module_build_id.in_(ids))):
            item.state = "passed"
    assert chain(world, chain_id).current_tier == 1
    assert reconcile_chains(world.session_factory, world.settings, world.koji) == 1
    assert chain(world, chain_id).current_tier == 2
    assert items(world, chain_id)["stack"].state == "building"
    assert reconcile_chains(world.session_factory, world.settings, world.koji) == 0


def test_the_reconciler_fails_a_chain_whose_build_was_canceled(world: World) -> None:
    from cron.chains import reconcile_chains
    from models.module_build import locked

    chain_id = start(world, TIERS)
    app1 = build_of(world, chain_id, "app1")
    with world.session_factory.begin() as session:  # canceled through the API: no hook
        locked(session, app1).cancel(session, by="dave", cause="api:dave")
    assert reconcile_chains(world.session_factory, world.settings, world.koji) == 1
    found = chain(world, chain_id)
    assert found.state == "failed" and found.failed_tier == 1 and "dave" in found.reason
