"""What starts a chain: a push of a pinned component (through the distgit consumer), a
module build that becomes ready outside chains; each once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consumers.pipeline import process
from models.rebuild_chain import RebuildChain
from tests.unit.chain_world import build_module, define, gate, items
from tests.unit.fakes import git_receive
from tests.unit.module_world import World


@pytest.fixture
def world(tmp_path, koji, session_factory) -> World:
    w = World(tmp_path / "distgit", koji, session_factory)
    w.with_settings(ready_on_done=False)
    define(w, "app", ["base", "app-pkg"])
    define(w, "stack", ["stack-pkg"], ["app:main"])
    define(w, "other", ["other-pkg"])
    return w


def _chains(world: World) -> list[RebuildChain]:
    with world.session_factory() as session:
        found = list(session.scalars(select(RebuildChain).order_by(RebuildChain.id)).all())
        for chain in found:
            _ = chain.items
        return found


def _built(world: World, name: str = "app") -> int:
    """A done build of ``name``:main, the state a push rebuilds from."""
    module_id = world.submit(name, {"base": 1, "app-pkg": 1})
    assert build_module(world, module_id) == "done"
    return module_id


def test_a_push_of_a_pinned_component_starts_a_chain_once(world: World) -> None:
    _built(world)
    commit = world.component("base", "2")
    push = git_receive("base", "rawhide", commit, username="bob")
    result = process(push, world.deps, "distgit")
    assert result.outcome == "handled"  # the rpm build itself is still requested
    assert any("rpms/base.git" in source for source, _ in world.koji.submitted)
    (chain,) = _chains(world)
    assert (chain.trigger_kind, chain.trigger, chain.trigger_commit) == (
        "push", "rpms/base@rawhide", commit,
    )  # fmt: skip
    assert chain.requester == "bob" and chain.state == "running"
    assert {n: i.tier for n, i in items(world, chain.id).items()} == {"app": 1, "stack": 2}
    again = git_receive("base", "rawhide", commit, username="bob")  # redelivered, new id
    process(again, world.deps, "distgit")
    assert len(_chains(world)) == 1


def test_a_push_to_a_branch_no_module_pins_starts_nothing(world: World) -> None:
    commit = world.component("base", "3")
    process(git_receive("base", "f43", commit), world.deps, "distgit")
    process(git_receive("unused", "rawhide", commit), world.deps, "distgit")
    assert _chains(world) == []


def test_a_ready_module_outside_chains_rebuilds_its_dependants_once(world: World) -> None:
    module_id = world.submit("app", {"base": 1, "app-pkg": 1})
    assert build_module(world, module_id) == "done"
    with world.session_factory.begin() as session:  # what the gate does on a pass
        from models.module_build import locked

        locked(session, module_id).transition(session, "ready", cause="t", reason="passed")
    gate(world, module_id)
    gate(world, module_id)  # told twice
    (chain,) = _chains(world)
    assert (chain.trigger_kind, chain.trigger_module) == ("module", "app:main")
    assert chain.trigger_module_build_id == module_id
    assert {n: i.tier for n, i in items(world, chain.id).items()} == {"stack": 1}


def test_a_stream_whose_newest_build_failed_is_left_to_its_maintainer(world: World) -> None:
    first = _built(world)
    newer = world.module(first).version + 1
    retry = world.submit("app", {"base": 1, "app-pkg": 1}, version=newer)
    with world.session_factory.begin() as session:
        from models.module_build import locked

        locked(session, retry).transition(session, "failed", cause="t", reason="broken")
    commit = world.component("base", "5")
    process(git_receive("base", "rawhide", commit), world.deps, "distgit")
    assert _chains(world) == []  # a resume of the failed build picks the push up instead


def test_a_push_before_any_build_of_the_stream_starts_nothing(world: World) -> None:
    commit = world.component("base", "6")
    process(git_receive("base", "rawhide", commit), world.deps, "distgit")
    assert _chains(world) == []


def test_builds_of_a_chain_trigger_no_further_chain(world: World) -> None:
    _built(world)
    commit = world.component("base", "4")
    process(git_receive("base", "rawhide", commit), world.deps, "distgit")
    (chain,) = _chains(world)
    app = items(world, chain.id)["app"].module_build_id
    assert build_module(world, app) == "done"
    gate(world, app)
    stack = items(world, chain.id)["stack"].module_build_id
    assert build_module(world, stack) == "done"
    gate(world, stack)
    (chain,) = _chains(world)
    assert chain.state == "complete"
    assert {world.module(app).state, world.module(stack).state} == {"ready"}
