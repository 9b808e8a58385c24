"""The orchestrator's states, batches, reuse, resume and cancel, with FakeKoji."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conveyor.deps.graph import DepGraph
from models import ComponentBuildTransition, ModuleBuildTransition, ModuleStreamDefinition
from tests.unit.module_world import World

THREE_BATCHES = {"libfoo": 1, "foo": 2, "foo-cli": 2, "foo-docs": 3}


@pytest.fixture
def world(tmp_path, koji, session_factory) -> World:
    return World(tmp_path / "distgit", koji, session_factory)


def _states(world: World, module_id: int) -> dict[str, str]:
    return {name: c.state for name, c in world.components(module_id).items()}


def _submitted_packages(world: World) -> list[str]:
    return [src.split("/rpms/")[1].split(".git")[0] for src, _ in world.koji.submitted]


def test_three_batches_build_in_order_to_ready(world: World) -> None:
    module_id = world.submit("foo", THREE_BATCHES)
    world.pump()  # init -> wait -> build, batch 1 submitted
    module = world.module(module_id)
    assert module.state == "build" and module.batch == 1
    assert module.context != "00000000"
    plan = world.koji.ensured[0]
    assert plan.tag == module.koji_tag and plan.build_tag == f"{module.koji_tag}-build"
    assert plan.parents == ("f43-build",)
    assert set(plan.packages) == set(THREE_BATCHES)
    assert _submitted_packages(world) == ["libfoo"]
    assert world.koji.submitted_opts == [{"skip_tag": True}]

    world.build_batch(module_id, ["libfoo"])
    # batch 1 tagged into both tags: only now is the repo regenerated; batch 2 waits for it
    assert world.koji.repo_requests == [f"{module.koji_tag}-build"]
    assert _submitted_packages(world) == ["libfoo"]
    world.repo_done(module_id)
    assert sorted(_submitted_packages(world)[1:]) == ["foo", "foo-cli"]
    world.build_batch(module_id, ["foo", "foo-cli"])
    assert "foo-docs" not in _submitted_packages(world)
    world.repo_done(module_id)
    world.build_batch(module_id, ["foo-docs"])
    world.pump()
    module = world.module(module_id)
    assert module.state == "ready"  # no CI gating configured: done moves on to ready
    assert set(_states(world, module_id).values()) == {"complete"}
    assert all(c.tagged for c in module.components)
    with world.session_factory() as session:
        steps = session.scalars(
            select(ModuleBuildTransition.to_state)
            .where(ModuleBuildTransition.module_build_id == module_id)
            .order_by(ModuleBuildTransition.id)
        ).all()
    assert steps == ["init", "wait", "build", "done", "ready"]


def test_ready_waits_when_the_setting_says_so(world: World) -> None:
    world.with_settings(ready_on_done=False)
    module_id = world.submit("solo", {"solo": 1})
    world.pump()
    world.build_batch(module_id, ["solo"])
    assert world.module(module_id).state == "done"


def test_duplicated_and_reordered_messages_change_nothing_twice(world: World) -> None:
    module_id = world.submit("foo", {"libfoo": 1, "foo": 2})
    world.pump()
    world.finish(module_id, "libfoo")
    again = world.finish(module_id, "libfoo")  # a second copy, new message id
    assert again.outcome == "ignored"
    tag_results = world.tag_all(module_id)
    assert all(r.outcome == "handled" for r in tag_results)
    requests = list(world.koji.repo_requests)
    world.koji.tag_calls.append((f"{world.module(module_id).koji_tag}-build", ["libfoo-1.0-1"]))
    assert all(r.outcome == "ignored" for r in world.tag_all(module_id))  # unknown NVR
    assert world.koji.repo_requests == requests  # the repo was asked for once
    world.repo_done(module_id)
    stale = world.send(
        "buildsys.repo.done",
        {"tag": f"{world.module(module_id).koji_tag}-build", "repo_id": 1, "instance": "primary"},
        "module",
    )
    assert stale.outcome == "ignored"
    assert _submitted_packages(world) == ["libfoo", "foo"]
    # a stale announcement (the module moved on) is a no-op
    body = {"module_build": {"id": module_id, "state": "init"}}
    assert world.send("conveyor.module.state.change.v1", body, "module").outcome == "ignored"


def test_a_failed_component_fails_the_module_and_cancels_its_siblings(world: World) -> None:
    module_id = world.submit("foo", {"a": 1, "b": 1, "c": 1})
    world.pump()
    tasks = {n: c.koji_task_id for n, c in world.components(module_id).items()}
    world.finish(module_id, "a")
    world.finish(module_id, "b", state=3)
    module = world.module(module_id)
    assert module.state == "failed"
    assert "component b failed" in module.state_reason
    assert _states(world, module_id) == {"a": "complete", "b": "failed", "c": "canceled"}
    assert world.koji.canceled == [tasks["c"]]
    world.pump()  # the failed announcement: nothing left to cancel
    assert world.koji.canceled == [tasks["c"]]


def test_resume_rebuilds_only_what_failed_from_the_fixed_branch(world: World) -> None:
    module_id = world.submit("foo", {"a": 1, "b": 1, "top": 2})
    world.pump()
    world.finish(module_id, "a")
    world.finish(module_id, "b", state=3)
    fixed = world.component("b", "fixed")
    resubmitted = world.submit("foo", {"a": 1, "b": 1, "top": 2})
    assert resubmitted == module_id
    world.pump()
    components = world.components(module_id)
    assert components["a"].state == "complete"  # kept
    assert components["b"].state == "building" and components["b"].commit == fixed
    assert _submitted_packages(world) == ["a", "b", "b"]
    world.finish(module_id, "b")
    world.tag_all(module_id)
    world.repo_done(module_id)
    world.build_batch(module_id, ["top"])
    assert world.module(module_id).state == "ready"


def test_an_unchanged_stream_reuses_components_until_the_first_change(world: World) -> None:
    first = world.submit("foo", THREE_BATCHES)
    world.pump()
    world.build_batch(first, ["libfoo"])
    world.repo_done(first)
    world.build_batch(first, ["foo", "foo-cli"])
    world.repo_done(first)
    world.build_batch(first, ["foo-docs"])
    assert world.module(first).state == "ready"
    world.component("foo-cli", "changed")  # batch 2 changes: batch 3 is rebuilt too
    submitted = len(world.koji.submitted)
    second = world.submit("foo", THREE_BATCHES, version=world.module_version + 1)
    world.pump()
    states = _states(world, second)
    assert states["libfoo"] == "reused"
    world.tag_all(second)
    world.repo_done(second)
    states = _states(world, second)
    assert states["foo"] == "reused" and states["foo-cli"] == "building"
    world.build_batch(second, ["foo-cli"])
    world.repo_done(second)
    assert _states(world, second)["foo-docs"] == "building"  # after a change: rebuilt
    world.build_batch(second, ["foo-docs"])
    assert world.module(second).state == "ready"
    assert _submitted_packages(world)[submitted:] == ["foo-cli", "foo-docs"]
    reused = world.components(second)["libfoo"]
    assert reused.reused_from_id == world.components(first)["libfoo"].id
    assert reused.nvr == world.components(first)["libfoo"].nvr


def test_cancel_fails_the_module_and_the_consumer_cancels_koji_tasks(world: World) -> None:
    module_id = world.submit("foo", {"a": 1, "b": 1})
    world.pump()
    with world.session_factory.begin() as session:
        from models.module_build import locked

        locked(session, module_id).cancel(session, by="alice", cause="api:alice")
    world.pump()
    assert world.module(module_id).state_reason == "canceled by alice"
    assert _states(world, module_id) == {"a": "canceled", "b": "canceled"}
    assert len(world.koji.canceled) == 2
    with world.session_factory() as session:
        traces = session.scalars(select(ComponentBuildTransition.to_state)).all()
    assert traces.count("canceled") == 2


def test_throttle_limits_concurrent_component_builds(world: World) -> None:
    world.with_settings(max_concurrent_builds=2)
    module_id = world.submit("wide", {"a": 1, "b": 1, "c": 1, "d": 1})
    world.pump()
    assert len(world.koji.submitted) == 2
    world.finish(module_id, "a")
    assert len(world.koji.submitted) == 3
    world.finish(module_id, "b")
    world.finish(module_id, "c")
    world.finish(module_id, "d")
    assert len(world.koji.submitted) == 4
    world.tag_all(module_id)
    assert world.module(module_id).state == "ready"


@pytest.mark.parametrize(
    ("modulemd_change", "reason"),
    [
        ("platform: [f43]", "init: "),  # unchanged: the missing repository below fails
        ("platform: [f42, f43]", "exactly one stream is supported"),
    ],
)
def test_init_failures_are_precise(world: World, modulemd_change: str, reason: str) -> None:
    module_id = world.submit("foo", {"a": 1})
    with world.session_factory.begin() as session:
        from models import ModuleBuild

        module = session.get(ModuleBuild, module_id)
        module.modulemd = module.modulemd.replace("platform: [f43]", modulemd_change, 1).replace(
            "      a:\n", "      missing-pkg:\n"
        )
    world.pump()
    module = world.module(module_id)
    assert module.state == "failed"
    assert reason in module.state_reason
    if "exactly" not in reason:
        assert "missing-pkg" in module.state_reason


def test_buildrequiring_a_module_inherits_its_tag(world: World) -> None:
    base = world.submit("base", {"libbase": 1})
    world.pump()
    world.build_batch(base, ["libbase"])
    base_tag = world.module(base).koji_tag
    top = world.submit("top", {"app": 1})
    with world.session_factory.begin() as session:
        from models import ModuleBuild

        module = session.get(ModuleBuild, top)
        before = "platform: [f43]\n      requires"
        after = "platform: [f43]\n        base: [main]\n      requires"
        module.modulemd = module.modulemd.replace(before, after)
    world.pump()
    assert world.module(top).state == "build"
    assert world.koji.ensured[-1].parents == ("f43-build", base_tag)


def test_a_module_naming_no_base_module_builds_on_its_buildrequires_base(world: World) -> None:
    runtime = world.submit("runtime", {"libruntime": 1})
    world.pump()
    world.build_batch(runtime, ["libruntime"])
    app = world.submit("app", {"appbin": 1})
    with world.session_factory.begin() as session:
        from models import ModuleBuild

        module = session.get(ModuleBuild, app)
        module.modulemd = module.modulemd.replace(
            "buildrequires:\n        platform: [f43]", "buildrequires:\n        runtime: [main]"
        )
    world.pump()
    module = world.module(app)
    assert module.state == "build", module.state_reason
    assert module.buildrequires == {
        "platform:f43": "f43-build",
        "runtime:main": world.module(runtime).koji_tag,
    }


def test_init_records_the_definition_of_a_build_that_came_without_a_push(world: World) -> None:
    module_id = world.submit("foo", THREE_BATCHES)
    world.pump()
    module = world.module(module_id)
    with world.session_factory() as session:
        graph = DepGraph.load(session)
        definitions = session.scalars(
            select(ModuleStreamDefinition).where(ModuleStreamDefinition.name == "foo")
        ).all()
    assert [(d.source_kind, d.source) for d in definitions] == [("build", module.commit)]
    assert set(graph.components(f"foo:{module.stream}")) == set(THREE_BATCHES)
