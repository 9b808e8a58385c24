"""The module reconciler catches up with koji when its messages were lost."""

from __future__ import annotations

import time
from datetime import timedelta

from conveyor.koji_client import RepoInfo, TaskStatus
from cron.reconcile_modules import reconcile_modules
from models import ModuleBuild
from models.base import utcnow
from tests.unit.module_world import World


def _world(tmp_path, koji, session_factory) -> World:
    return World(tmp_path / "distgit", koji, session_factory)


def test_lost_task_tag_and_repo_messages_are_recovered(tmp_path, koji, session_factory):
    world = _world(tmp_path, koji, session_factory)
    module_id = world.submit("foo", {"lib": 1, "app": 2})
    world.pump()
    lib = world.components(module_id)["lib"]
    koji.statuses[lib.koji_task_id] = TaskStatus(lib.koji_task_id, "CLOSED", "lib-1.0-1", 7)

    def poll() -> int:
        return reconcile_modules(session_factory, world.settings, koji)

    # one poll: the task closed (complete, tagging asked for), and as the buildsys.tag
    # messages were lost too, koji's tags tell the rest: the repo is asked for
    assert poll() >= 2
    component = world.components(module_id)["lib"]
    assert (component.state, component.nvr) == ("complete", "lib-1.0-1")
    assert koji.tag_calls and koji.status_calls[-1] == [lib.koji_task_id]
    module = world.module(module_id)
    assert all(c.tagged for c in module.batch_components(1))
    assert koji.repo_requests == [module.build_tag]
    assert module.batch == 1  # still waiting for the repo
    tag = module.build_tag
    koji.repos[tag] = RepoInfo(5, tag, 5, time.time() + 1, "READY")
    assert poll() >= 1  # the repo is ready: batch 2 goes
    assert koji.repo_polls[-1] == [tag]  # one multicall for every repo awaited
    module = world.module(module_id)
    assert module.batch == 2 and module.last_repo_id == 5
    assert world.components(module_id)["app"].state == "building"
    assert poll() == 0  # nothing more to learn: nothing changes


def test_a_repo_older_than_the_request_does_not_start_the_next_batch(
    tmp_path, koji, session_factory
):
    world = _world(tmp_path, koji, session_factory)
    module_id = world.submit("foo", {"lib": 1, "app": 2})
    world.pump()
    world.build_batch(module_id, ["lib"])
    tag = world.module(module_id).build_tag
    koji.repos[tag] = RepoInfo(9, tag, 9, time.time() - 3600, "READY")  # kojira's, from before
    reconcile_modules(session_factory, world.settings, koji)
    assert world.module(module_id).batch == 1
    assert world.components(module_id)["app"].state == "waiting"


def test_a_module_stuck_in_init_is_driven_by_the_reconciler(tmp_path, koji, session_factory):
    world = _world(tmp_path, koji, session_factory)
    module_id = world.submit("foo", {"lib": 1})
    with session_factory.begin() as session:  # the init announcement was never delivered
        module = session.get(ModuleBuild, module_id)
        module.updated_at = utcnow() - timedelta(minutes=30)
    reconcile_modules(session_factory, world.settings, koji)
    assert world.module(module_id).state == "wait"
    with session_factory.begin() as session:
        session.get(ModuleBuild, module_id).updated_at = utcnow() - timedelta(minutes=30)
    reconcile_modules(session_factory, world.settings, koji)
    module = world.module(module_id)
    assert module.state == "build"
    assert world.components(module_id)["lib"].state == "building"
