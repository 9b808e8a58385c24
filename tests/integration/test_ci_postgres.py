"""CI results and gating on PostgreSQL: replicas racing on one module build, constraints."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consumers.pipeline import Deps, Incoming, process
from conveyor.db import make_session_factory
from conveyor.settings import parse
from models import GatingDecision, ModuleBuild, ModuleBuildTransition, TestResult
from models.migrations import upgrade
from sandbox.ci_simulator import module_result
from sandbox.postgres import PostgreSQL
from tests.unit.fakes import FakeKoji

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _race(*calls) -> list:
    """Run the calls at once, one thread each (as replicas would); their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_replicas_with_the_last_two_results_move_the_module_to_ready_once(
    postgres: PostgreSQL,
) -> None:
    url = postgres.create_database("ci_gating")
    upgrade(url)
    factory = make_session_factory(url)
    rule = {"artifact": "module", "required": ["sandbox-ci.redhat-module.tier0.functional",
                                               "other.tier1.functional"]}  # fmt: skip
    deps = Deps(factory, parse({"gating": {"rules": [rule]}}, env={}), FakeKoji())
    with factory.begin() as session:
        module = ModuleBuild(
            name="eog", stream="main", version=1, context="c0ffee42", scmurl="file:///x",
            commit="a" * 40, owner="alice", modulemd="", state="done", koji_tag="module-eog",
        )  # fmt: skip
        session.add(module)
        session.flush()
        announced = {"id": module.id, "name": "eog", "stream": "main", "version": 1,
                     "context": "c0ffee42"}  # fmt: skip
    topic, first = module_result(announced, "passed")
    second = {**first, "test": {**first["test"], "namespace": "other", "type": "tier1"}}
    duplicate_id = str(uuid.uuid4())
    outcomes = _race(
        lambda: process(Incoming(duplicate_id, topic, first), deps, "ci"),
        lambda: process(Incoming(duplicate_id, topic, first), deps, "ci"),
        lambda: process(Incoming(str(uuid.uuid4()), topic, second), deps, "ci"),
    )
    assert sorted(r.outcome for r in outcomes) == ["handled", "handled", "ignored"]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(TestResult)) == 2
        module = session.get(ModuleBuild, module.id)
        assert module.state == "ready", module.state_reason
        readies = session.scalars(
            select(ModuleBuildTransition).where(ModuleBuildTransition.to_state == "ready")
        ).all()
        assert len(readies) == 1
        decision = session.scalars(select(GatingDecision)).one()
        assert decision.outcome == "passed" and decision.module_build_id == module.id
    with pytest.raises(IntegrityError), factory.begin() as session:
        session.add(GatingDecision(outcome="passed", reason="no subject", missing=[]))
    with pytest.raises(IntegrityError), factory.begin() as session:
        session.add(
            TestResult(message_id="m", source="ci-spec", artifact_type="module", artifact="a",
                       testcase="t", outcome="splendid", raw_outcome="x",
                       result_at=module.completed_at or module.updated_at)
        )  # fmt: skip
    factory.kw["bind"].dispose()
