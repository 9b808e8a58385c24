"""Lost koji messages and replicas on PostgreSQL: the end state is still exactly right."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.broker import RabbitMQ
from sandbox.bus import Bus
from sandbox.postgres import PostgreSQL
from sandbox.system import PREFIX, Sandbox, SandboxOptions
from tests.integration.pipeline_helpers import (
    hub_stats,
    push_body,
    submissions_per_source,
    wait_terminal,
)

pytestmark = pytest.mark.integration


def test_dropped_koji_messages_are_restored_by_the_reconciler(
    rabbitmq: RabbitMQ, tmp_path: Path
) -> None:
    options = SandboxOptions(koji_delay=0.3, drop_fraction=0.2, reconcile_seconds=2)
    box = Sandbox(tmp_path / "box", options, broker=rabbitmq).start()
    try:
        for i in range(10):
            box.packager.create_package(f"lossy{i}", "1.0")
        box.packager.create_package("broken-lossy", "1.0")
        done = wait_terminal(box, 11, timeout=120)
        states = {b.source.split("/")[-1].split(".git")[0]: b.state for b in done}
        assert states.pop("broken-lossy") == "failed"
        assert set(states.values()) == {"complete"}
        assert all(b.nvr for b in done if b.state == "complete")
        assert hub_stats(box)["dropped"] > 0, "the hub must really have dropped messages"
    finally:
        box.stop()


@pytest.mark.postgres
def test_two_replicas_on_postgresql_submit_each_build_once(
    rabbitmq: RabbitMQ, postgres: PostgreSQL, tmp_path: Path
) -> None:
    url = postgres.create_database("replicas")
    options = SandboxOptions(
        database_url=url, koji_delay=0.3, replicas={"distgit": 2, "koji": 2}
    )
    box = Sandbox(tmp_path / "box", options, broker=rabbitmq).start()
    try:
        for name in ("rep0", "rep1", "rep2", "rep3", "rep4"):
            box.packager.create_package(name, "1.0")
        commits = {name: box.packager.head(name) for name in ("rep0", "rep1", "rep2", "rep3")}
        with Bus(box.broker.url) as bus:  # duplicated deliveries, same ids and new ids
            for round_ in range(3):
                for name, commit in commits.items():
                    body = push_body(box, name, "rawhide", commit)
                    bus.publish(f"{PREFIX}.pagure.git.receive", body, message_id=f"{name}-x")
                    bus.publish(f"{PREFIX}.pagure.git.receive", body, message_id=f"{name}-{round_}")
        done = wait_terminal(box, 5, timeout=120)
        assert len(done) == 5
        assert all(b.state == "complete" for b in done)
        assert set(submissions_per_source(box).values()) == {1}
        assert len(submissions_per_source(box)) == 5
    finally:
        box.stop()
