"""The two sites the e2e tests browse: the demo scenario's, and one full of hostile data."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import models
from conveyor.db import make_session_factory
from conveyor.settings import KojiSettings, Settings, SiteSettings
from models import (
    BranchRef,
    Build,
    BuildTransition,
    ComponentBuild,
    InboxEntry,
    ModuleBuild,
    ModuleBuildTransition,
    OutboxMessage,
    Package,
    RejectedMessage,
)
from models.chain_item import ChainItem
from models.chain_transition import ChainTransition
from models.compose import Compose
from models.compose_content import ComposeContent
from models.compose_transition import ComposeTransition
from models.rebuild_chain import RebuildChain
from models.test_result import TestResult
from sandbox.broker import RabbitMQ
from sandbox.demo import module_scenario, scenario
from sandbox.demo_chain import GATING as CHAIN_GATING
from sandbox.demo_chain import chain_scenario
from sandbox.demo_compose import wait_for_composes
from sandbox.ports import free_port
from sandbox.system import Sandbox, SandboxOptions
from site_generator import RenderStats, render_site
from tests.e2e.pipeline_world import PipelineIds, add_pipeline_rows

BUILD_DONE = ("complete", "failed", "canceled", "skipped")
MODULE_DONE = ("ready", "failed")


@dataclass
class DemoSite:
    """The rendered site of ``conveyor demo``'s scenario and the database it came from."""

    output_dir: Path
    session_factory: sessionmaker[Session]
    settings: Settings
    stats: RenderStats
    timings: dict[str, float]
    pipeline: PipelineIds  # a failed chain, composes and CI results added before rendering
    chain_id: int  # the demo's own rebuild chain (three tiers, failed on CI, resumed, complete)

    def module_build_id(self, name: str) -> int:
        """The scenario's own build of module ``name`` (its first): a rebuild chain started
        by the scenario's fix push (of wobbly) builds wob:main once more."""
        with self.session_factory() as session:
            query = select(ModuleBuild.id).where(ModuleBuild.name == name)
            ids = list(session.scalars(query.order_by(ModuleBuild.id)))
        assert ids, f"module {name}: no build"
        return ids[0]

    def module_build_count(self) -> int:
        with self.session_factory() as session:
            return session.scalar(select(func.count()).select_from(ModuleBuild)) or 0


def _outbox_empty(box: Sandbox) -> bool:
    with box.session_factory() as session:
        unsent = select(func.count()).select_from(OutboxMessage)
        return not session.scalar(unsent.where(OutboxMessage.sent_at.is_(None)))


def _settled(box: Sandbox, builds_expected: int) -> bool:
    """Every rpm build and module build finished, and every outgoing message sent."""
    with box.session_factory() as session:
        states = list(session.scalars(select(Build.state)))
        modules = list(session.scalars(select(ModuleBuild.state)))
        outbox = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
    return (
        len(states) >= builds_expected
        and all(s in BUILD_DONE for s in states)
        and len(modules) >= 2
        and all(s in MODULE_DONE for s in modules)
        and outbox == 0
    )


def build_demo_site(workdir: Path, broker: RabbitMQ, koji_delay: float = 0.3) -> DemoSite:
    """Run the demo's scenario on a sandbox, let it settle, stop it, render the site.

    The sandbox is stopped before rendering: the site is static, so the browser
    tests need no running process but the web server (and the 2 CI cores stay free).
    """
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name], clock = time.monotonic() - clock, time.monotonic()

    options = SandboxOptions(
        allowed_pushers=("alice", "bob"), koji_delay=koji_delay, api_port=free_port(),
        reconcile_seconds=3, composes=True,
        ci_outcomes={}, extra_settings={"gating": CHAIN_GATING},  # as `conveyor demo` runs
    )  # fmt: skip
    box = Sandbox(workdir / "box", options, broker=broker)
    try:
        box.start()
        lap("sandbox start")
        expected = scenario(box)
        hostile_push(box)
        box.wait_for(lambda: _settled_builds(box, expected), timeout=120, what="the rpm builds")
        lap("rpm scenario")
        module_scenario(box)
        box.wait_for(lambda: _settled(box, expected), timeout=120, what="everything to settle")
        lap("module scenario")
        wait_for_composes(box, modules=2)  # stack's and wob's, made when they reached done
        lap("composes")
        chain = chain_scenario(box)  # three tiers; CI fails the middle one; a fix resumes it
        box.wait_for(lambda: _outbox_empty(box), timeout=60, what="the last messages to leave")
        lap("chain scenario")
    finally:
        box.stop()
    output_dir = Path(box.settings.site.output_dir)
    pipeline = add_pipeline_rows(box.session_factory)
    stats = render_site(box.session_factory, box.settings)
    timings["render"] = stats.seconds
    return DemoSite(
        output_dir, box.session_factory, box.settings, stats, timings, pipeline, chain.id
    )


def hostile_push(box: Sandbox) -> None:
    """Pushes through the real hook by a user whose name is markup, one with a hostile message.

    Package names cannot be hostile in dist-git (they are directories), but the
    pusher travels as data. The consumer refuses such a name at the door: each
    push becomes a rejected message whose reason quotes the name, and the site
    shows that reason.
    """
    p = box.packager
    p.create_package(HOSTILE_PACKAGE, "1.0", pusher=HOSTILE_PUSHER)
    spec = p.spec_path(HOSTILE_PACKAGE).read_text()
    p.commit_file(HOSTILE_PACKAGE, "rawhide", f"{HOSTILE_PACKAGE}.spec", spec + "# x\n",
                  f"{XSS} {RTL}")  # fmt: skip
    p.push(HOSTILE_PACKAGE, "rawhide", pusher=HOSTILE_PUSHER)

    def recorded() -> bool:
        with box.session_factory() as session:
            reasons = session.scalars(select(RejectedMessage.reason))
            return len([r for r in reasons if "onerror=alert(1)" in r]) == 2

    box.wait_for(recorded, timeout=60, what="the hostile pushes to be rejected")


def _settled_builds(box: Sandbox, expected: int) -> bool:
    with box.session_factory() as session:
        states = list(session.scalars(select(Build.state)))
    return len(states) >= expected and all(s in BUILD_DONE for s in states)


# -- hostile data ------------------------------------------------------------------------
XSS = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(2)>"
IFRAME = "<iframe src=javascript:alert(3)></iframe>"
PWN = "<script>document.body.dataset.pwned='1'</script>"
TRAVERSAL = "../../etc/passwd"
RTL = "invoice\u202egnp.exe"  # RIGHT-TO-LEFT OVERRIDE: shows as "invoiceexe.png"
UNICODE = "ünïcödé ✓ 模块 é 🚀 \u200bzero-width"  # combining accent, emoji, ZWSP
HOSTILE = (XSS, IMG, SVG, IFRAME, PWN, TRAVERSAL, RTL, UNICODE)
# Text a reader must see verbatim somewhere on the named page (escaped, never markup).
MIXED = f"{XSS} {IMG} {RTL} {UNICODE}"
HOSTILE_PUSHER = '"><img src=x onerror=alert(1)>'
HOSTILE_PACKAGE = "pushed-by-markup"
HOSTILE_REASON = f"body.agent: {HOSTILE_PUSHER!r} is not a valid agent"
SAFE_NAME = "libsigc++"  # a valid name whose page path has a character URLs treat specially
KOJI_WEB = "https://koji.example.org/koji"  # links only: the browser must never fetch it


@dataclass
class HostileSite:
    output_dir: Path
    parent: Path  # everything the renderer writes must stay in here ...
    session_factory: sessionmaker[Session]
    stats: RenderStats
    module_ids: dict[str, int] = field(default_factory=dict)


def _hostile_rows(session: Session, now: datetime) -> dict[str, int]:
    at = now.replace(tzinfo=None) - timedelta(minutes=30)
    packages = {
        name: Package(namespace=ns, name=name)
        for ns, name in (
            ("rpms", XSS), ("rpms", IMG), ("rpms", TRAVERSAL), ("rpms", UNICODE),
            ("rpms", RTL), ("../..", "passwd"), ("rpms", SAFE_NAME), ("rpms", "evil-notes"),
        )
    }  # fmt: skip
    session.add_all(packages.values())
    session.flush()
    n = 0

    def build(package: Package, state: str, **extra: object) -> Build:
        nonlocal n
        n += 1
        row = Build(
            package_id=package.id, branch=extra.pop("branch", "rawhide"), commit=f"{n:x}" * 40,
            target="rawhide", source=f"git+https://src.example/{TRAVERSAL}#{n}", state=state,
            created_at=at, updated_at=at + timedelta(minutes=n), **extra,
        )  # fmt: skip
        session.add(row)
        session.flush()
        for i, (old, new) in enumerate([(None, "queued"), ("queued", "building"),
                                        ("building", state)]):  # fmt: skip
            session.add(BuildTransition(
                build_id=row.id, from_state=old, to_state=new, cause=f"{XSS}-{i}",
                reason=MIXED, at=at + timedelta(minutes=i),
            ))  # fmt: skip
        return row

    for name in (XSS, IMG, TRAVERSAL, UNICODE, RTL, "passwd"):
        build(packages[name], "failed", state_reason=MIXED, pusher=IMG, koji_task_id=100 + n)
    notes = packages["evil-notes"]
    build(notes, "failed", state_reason=MIXED, reason=PWN, pusher=XSS, koji_task_id=900,
          branch=SVG, nvr=f"{XSS}-1-1")  # fmt: skip
    build(notes, "building", state_reason=IFRAME, pusher=RTL, koji_task_id=901)
    build(packages[SAFE_NAME], "complete", pusher=UNICODE, nvr="libsigc++-3.6.0-1.fc44",
          koji_task_id=902, koji_build_id=77, completed_at=at)  # fmt: skip
    session.add_all([
        BranchRef(package_id=notes.id, branch=SVG, old_commit=None, new_commit="e" * 40,
                  pusher=IMG, pushed_at=at, message_id="m1", decision=f"not built: {MIXED}"),
        BranchRef(package_id=notes.id, branch=TRAVERSAL, old_commit="e" * 40,
                  new_commit="f" * 40, pusher=RTL, pushed_at=at, message_id="m2",
                  decision=IFRAME),
        RejectedMessage(message_id=XSS, topic=IMG, body=PWN, headers={"x": XSS},
                        consumer=SVG, kind="invalid", reason=MIXED, rejected_at=at),
        InboxEntry(message_id="i1", topic=XSS, consumer=IMG, outcome="handled",
                   processed_at=at),
    ])  # fmt: skip

    def module(name: str, stream: str, state: str, owner: str, **extra: object) -> ModuleBuild:
        row = ModuleBuild(
            name=name, stream=stream, version=20240501000000 + len(ids), context="c0ffee00",
            scmurl=f"javascript:alert(4)//{TRAVERSAL}?#{'9' * 40}", commit="9" * 40,
            owner=owner, modulemd=XSS, state=state, submitted_at=at, updated_at=at, **extra,
        )  # fmt: skip
        session.add(row)
        session.flush()
        for i, (old, new) in enumerate([(None, "init"), ("init", "wait"), ("wait", state)]):
            session.add(ModuleBuildTransition(
                module_build_id=row.id, from_state=old, to_state=new, cause=f"api:{owner}",
                reason=MIXED, at=at + timedelta(minutes=i),
            ))  # fmt: skip
        return row

    ids: dict[str, int] = {}
    evil = module("../../etc", XSS, "failed", IMG, state_reason=MIXED, batch=1,
                  koji_tag='module-"><script>&x=1#', completed_at=at)  # fmt: skip
    ids["evil"] = evil.id
    for batch, package in ((1, IMG), (1, TRAVERSAL), (2, UNICODE)):
        session.add(ComponentBuild(
            module_build_id=evil.id, package=package, ref=XSS, commit="1" * 40,
            repository=f"https://src.example/rpms/{TRAVERSAL}", batch=batch, state="failed",
            state_reason=MIXED, koji_task_id=5000 + batch, nvr=f"{SVG}-1-1",
        ))  # fmt: skip
    uni = module(UNICODE, RTL, "build", RTL, batch=1, koji_tag=f"module-{UNICODE}")
    ids["unicode"] = uni.id
    ids.update(_hostile_pipeline(session, at, evil.id))
    session.add(ComponentBuild(
        module_build_id=uni.id, package=SAFE_NAME, ref="main", commit="2" * 40,
        repository="https://src.example/rpms/x", batch=1, state="building", koji_task_id=6001,
    ))  # fmt: skip
    return ids


def _hostile_pipeline(session: Session, at: datetime, module_build_id: int) -> dict[str, int]:
    """A chain and a compose whose every text field is hostile."""
    chain = RebuildChain(trigger_kind="module", trigger_module=f"{XSS}:{IMG}", requester=IMG,
                         state="failed", reason=MIXED, current_tier=1, failed_tier=1,
                         module_version=1, created_at=at, updated_at=at)  # fmt: skip
    compose = Compose(owner=SVG, source_type="build", source=f"{XSS} {TRAVERSAL}", state="failed",
                      state_reason=MIXED, time_to_expire=at, result_repo_url="javascript:alert(5)",
                      result_repofile=IMG, time_submitted=at, updated_at=at)  # fmt: skip
    session.add_all([chain, compose])
    session.flush()
    session.add_all([
        ChainItem(chain_id=chain.id, name=XSS, stream=IMG, tier=1, state="failed", reason=MIXED,
                  owner=RTL, module_build_id=module_build_id),
        ChainItem(chain_id=chain.id, name=TRAVERSAL, stream=UNICODE, tier=2, state="waiting"),
        ChainTransition(chain_id=chain.id, from_state="running", to_state="failed", cause=PWN,
                        reason=MIXED, at=at),
        ComposeContent(compose_id=compose.id, kind="rpm", artifact=f"{XSS}-1-1", name=XSS,
                       arch=IMG),
        ComposeContent(compose_id=compose.id, kind="module", artifact=f"{TRAVERSAL}:{XSS}:1:c",
                       name=TRAVERSAL),
        ComposeTransition(compose_id=compose.id, from_state="wait", to_state="failed", cause=PWN,
                          reason=MIXED, at=at),
        TestResult(message_id=XSS, source="resultsdb", artifact_type="koji_build",
                   artifact=f"{XSS}-1-1", testcase=IMG, outcome="failed", raw_outcome=XSS,
                   ref_url="javascript:alert(6)", result_at=at),
    ])  # fmt: skip
    return {"chain": chain.id, "compose": compose.id}


def build_hostile_site(base: Path) -> HostileSite:
    """Hostile rows in a SQLite database of their own, rendered under ``base/out/a/b/site``."""
    base.mkdir(parents=True, exist_ok=True)
    factory = make_session_factory(f"sqlite:///{base / 'hostile.sqlite'}")
    models.Base.metadata.create_all(factory.kw["bind"])
    now = datetime.now(UTC)
    with factory.begin() as session:
        ids = _hostile_rows(session, now)
    settings = Settings(site=SiteSettings(recent_days=7), koji=KojiSettings(web_url=KOJI_WEB))
    parent = base / "out"
    output_dir = parent / "a" / "b" / "site"  # "../../" from a page would land in out/a
    stats = render_site(factory, settings, output_dir=output_dir, now=now)
    return HostileSite(output_dir, parent, factory, stats, ids)
