"""Shared helpers for the pipeline integration tests (real processes, real broker)."""

from __future__ import annotations

import xmlrpc.client
from collections import Counter

from sqlalchemy import select

from models import Build, RejectedMessage
from sandbox.system import Sandbox

TERMINAL = ("complete", "failed", "canceled", "skipped")


def builds(box: Sandbox) -> list[Build]:
    with box.session_factory() as session:
        return list(session.scalars(select(Build).order_by(Build.id)))


def rejected(box: Sandbox) -> list[RejectedMessage]:
    with box.session_factory() as session:
        return list(session.scalars(select(RejectedMessage).order_by(RejectedMessage.id)))


def wait_terminal(box: Sandbox, count: int, timeout: float = 90) -> list[Build]:
    def done() -> bool:
        current = builds(box)
        return len(current) >= count and all(b.state in TERMINAL for b in current)

    box.wait_for(done, timeout=timeout, what=f"{count} builds to finish")
    return builds(box)


def hub_stats(box: Sandbox) -> dict:
    proxy = xmlrpc.client.ServerProxy(box.settings.koji.hub_url, allow_none=True)
    return proxy.sandbox.stats()


def submissions_per_source(box: Sandbox) -> Counter:
    return Counter((c["src"], c["target"]) for c in hub_stats(box)["build_calls"])


def push_body(box: Sandbox, name: str, branch: str, commit: str, pusher: str = "alice") -> dict:
    """A pagure.git.receive body, as the dist-git hook sends it."""
    return {
        "agent": pusher,
        "branch": branch,
        "end_commit": commit,
        "old_commit": "0" * 40,
        "forced": False,
        "repo": {
            "name": name,
            "namespace": "rpms",
            "fullname": f"rpms/{name}",
            "full_url": box.distgit.url_for("rpms", name),
            "parent": None,
        },
    }
