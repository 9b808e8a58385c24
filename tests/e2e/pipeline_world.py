"""Rebuild chains, composes and CI results added to the e2e sites' databases before rendering.

The demo scenario builds rpms and modules through the real consumers; it does
not run a chain to a failure, let a compose expire or feed CI results. These
rows give the site those pages, written through the models' own ``record`` and
``transition`` (traces, announcements and dirty marks as the real code makes
them), over the demo's real builds and module builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Build, ComponentBuild, ModuleBuild
from models.base import utcnow
from models.chain_item import ChainItem
from models.compose import Compose, record
from models.compose_content import ComposeContent
from models.gating_decision import store
from models.rebuild_chain import RebuildChain
from models.test_result import TestResult

PASSED_NVR = "hello-2.12-1.fc44"
FAILED_ITEM = "wob:main"
WAITING_ITEM = "app:main"


@dataclass(frozen=True)
class PipelineIds:
    chain: int
    compose_done: int
    compose_removed: int
    compose_failed: int
    contents: tuple[str, ...]  # what the done compose contains (NSVC, NVRs)


def _module(session: Session, name: str) -> ModuleBuild | None:
    query = select(ModuleBuild).where(ModuleBuild.name == name).order_by(ModuleBuild.id)
    return session.scalars(query).first()


def _chain(session: Session, stack: ModuleBuild, wob: ModuleBuild, owner: str) -> int:
    """Three tiers from a push of rpms/stack-base: stack passed, wob failed, app waits."""
    chain = RebuildChain(trigger_kind="push", trigger_namespace="rpms", trigger_name="stack-base",
                         trigger_branch="main", trigger_commit="a" * 40, requester=owner,
                         module_version=stack.version + 1)  # fmt: skip
    session.add(chain)
    session.flush()
    items = [
        ChainItem(chain_id=chain.id, name="stack", stream="main", tier=1, owner=owner),
        ChainItem(chain_id=chain.id, name="wob", stream="main", tier=2, owner=owner),
        ChainItem(chain_id=chain.id, name="app", stream="main", tier=3),
    ]
    session.add_all(items)
    session.flush()
    chain.transition(session, "running", cause="e2e", reason="tier 1 started")
    chain.current_tier = 1
    items[0].module_build_id = stack.id
    for to in ("building", "done", "passed"):
        items[0].transition(session, to, cause="e2e")
    chain.current_tier = 2
    items[1].module_build_id = wob.id
    items[1].transition(session, "building", cause="e2e")
    items[1].transition(session, "failed", cause="e2e", reason="component wobbly failed")
    chain.failed_tier = 2
    chain.transition(session, "failed", cause="e2e", reason=f"{FAILED_ITEM} failed at tier 2")
    return chain.id


def _composes(session: Session, stack: ModuleBuild, owner: str) -> tuple[int, int, int, tuple]:
    expiry = utcnow() + timedelta(days=1)
    nsvc = f"{stack.name}:{stack.stream}:{stack.version}:{stack.context}"
    done = Compose(owner=owner, source_type="module", source=nsvc, time_to_expire=expiry)
    done = record(session, done, cause="e2e")
    done.transition(session, "generating", cause="e2e")
    done.result_repo_url = f"https://odcs.example.org/composes/odcs-{done.id}/compose/Temporary"
    done.transition(session, "done", cause="e2e")
    nvrs = sorted(
        n for n in session.scalars(
            select(ComponentBuild.nvr).where(ComponentBuild.module_build_id == stack.id)
        ) if n
    )  # fmt: skip
    session.add(ComposeContent(compose_id=done.id, kind="module", artifact=nsvc, name=stack.name))
    session.add_all([
        ComposeContent(compose_id=done.id, kind="rpm", artifact=nvr, name=nvr.rsplit("-", 2)[0],
                       arch="x86_64")
        for nvr in [*nvrs, PASSED_NVR]
    ])  # fmt: skip
    removed = record(session, Compose(owner=owner, source_type="tag", source="f44-build",
                                      time_to_expire=utcnow()), cause="e2e")  # fmt: skip
    removed.transition(session, "generating", cause="e2e")
    removed.transition(session, "done", cause="e2e")
    removed.transition(session, "removed", cause="cron", reason="expired")
    failed = record(session, Compose(owner=owner, source_type="build", source="nonexistent-1-1",
                                     time_to_expire=expiry), cause="e2e")  # fmt: skip
    failed.transition(session, "failed", cause="e2e", reason="koji has no build nonexistent-1-1")
    return done.id, removed.id, failed.id, (nsvc, *nvrs, PASSED_NVR)


def _ci(session: Session, stack: ModuleBuild) -> None:
    now = utcnow()
    nsvc = f"{stack.name}:{stack.stream}:{stack.version}:{stack.context}"
    for message_id, kind, artifact in (("e2e-ci-1", "koji_build", PASSED_NVR),
                                       ("e2e-ci-2", "module", nsvc)):  # fmt: skip
        session.add(TestResult(message_id=message_id, source="resultsdb", artifact_type=kind,
                               artifact=artifact, testcase="fedora-ci.tier0.functional",
                               outcome="passed", raw_outcome="PASSED", result_at=now,
                               ref_url="https://ci.example.org/results/1"))  # fmt: skip
    session.flush()
    store(session, outcome="passed", reason="all required tests passed", missing=(),
          nvr=PASSED_NVR)  # fmt: skip
    store(session, outcome="passed", reason="all required tests passed", missing=(),
          module_build_id=stack.id)  # fmt: skip


def add_pipeline_rows(session_factory: sessionmaker[Session]) -> PipelineIds:
    """A failed three-tier chain, composes done (with contents), removed and failed, CI."""
    with session_factory.begin() as session:
        # wob failed once in the scenario (then was resubmitted): the chain's failed item.
        stack, wob = _module(session, "stack"), _module(session, "wob")
        assert stack is not None and wob is not None, "the demo's module scenario changed"
        assert session.scalar(select(Build.id).where(Build.nvr == PASSED_NVR)) is not None
        chain = _chain(session, stack, wob, stack.owner)
        done, removed, failed, contents = _composes(session, stack, stack.owner)
        _ci(session, stack)
    return PipelineIds(chain, done, removed, failed, contents)
