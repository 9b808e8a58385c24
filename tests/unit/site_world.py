"""A populated database for the site's feed, search, operators and schema tests.

Rows of every kind the site reads, hostile text included: packages (one with
a name unsafe as a path, two sharing a name), builds in every state (one
stale, failures old and new, a reconciler's correction), pushes, rejected
messages (a long body, markup, control characters), the outbox (unsent,
failing, sent), the inbox, module builds with components and traces.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from conveyor.settings import KojiSettings, Settings, SiteSettings
from models import (
    BranchRef,
    Build,
    BuildTransition,
    ComponentBuild,
    ComponentBuildTransition,
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
from models.gating_decision import GatingDecision
from models.module_component_ref import ModuleComponentRef
from models.module_dependency import ModuleDependency
from models.module_stream import ModuleStreamDefinition
from models.rebuild_chain import RebuildChain
from models.test_result import TestResult
from site_generator import render_site

NOW = datetime(2024, 5, 1, 12, 0)  # naive UTC, as stored
XSS = "<script>alert(1)</script>"
HOSTILE = f"{XSS} & \x00\x01\x08\x0b\x1b bad\ufffe \u202eevil"  # markup, controls, bidi
BASE_URL = "https://status.example.org/conveyor/"
SETTINGS = Settings(
    site=SiteSettings(recent_days=7, base_url=BASE_URL, stale_minutes=60),
    koji=KojiSettings(web_url="https://koji.example.org/koji"),
)


# One row per line reads better here than one argument per line.
# fmt: off
def _build(s, package, commit, state, *, at, trace=(), **extra) -> Build:
    extra.setdefault("updated_at", at)
    build = Build(
        package_id=package.id, branch="rawhide", commit=commit, target="rawhide",
        source=f"git+https://src.example.org/{package.path}#{commit}", state=state,
        created_at=at, **extra,
    )
    s.add(build)
    s.flush()
    for i, (old, new, cause, reason) in enumerate(trace):
        s.add(BuildTransition(build_id=build.id, from_state=old, to_state=new, cause=cause,
                              reason=reason, at=at + timedelta(minutes=10 * (i + 1))))
    return build


def _module(s, name, state, *, at, **extra) -> ModuleBuild:
    extra.setdefault("updated_at", at)
    module = ModuleBuild(
        name=name, stream="20", version=20240401000000, context="c0ffee00",
        scmurl=f"git+https://src.example.org/modules/{name}.git?#{'9' * 40}", commit="9" * 40,
        owner=extra.pop("owner", "alice"), modulemd="document: modulemd", state=state,
        submitted_at=at, **extra,
    )
    s.add(module)
    s.flush()
    s.add(ModuleBuildTransition(module_build_id=module.id, from_state=None, to_state="init",
                                cause="api:alice", reason="submitted", at=at))
    return module


def _component(s, module, package, state, **extra) -> ComponentBuild:
    component = ComponentBuild(
        module_build_id=module.id, package=package, ref="rawhide", commit="3" * 40,
        repository=f"https://src.example.org/rpms/{package}", batch=1, state=state, **extra,
    )
    s.add(component)
    s.flush()
    return component


def _builds(s, ids: dict[str, int]) -> None:
    bash, zsh, evil, zero, other, unsafe = (
        Package(namespace=ns, name=n) for ns, n in (
            ("rpms", "bash"), ("rpms", "zsh"), ("rpms", "python-evil"), ("rpms", "0ad"),
            ("containers", "bash"), ("rpms", "../../escape"),
        )
    )
    s.add_all([bash, zsh, evil, zero, other, unsafe])
    s.flush()
    ids["bash"] = bash.id
    day, hour, minute = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
    _build(s, bash, "a" * 40, "complete", at=NOW - day, koji_task_id=11, koji_build_id=21,
           nvr="bash-5.2.26-1.fc41", completed_at=NOW - day + 20 * minute,
           trace=[("queued", "building", "m1", ""), ("building", "complete", "m2", "done")])
    ids["bash_failed"] = _build(
        s, bash, "b" * 40, "failed", at=NOW - 3 * hour, koji_task_id=12,
        nvr="bash-5.2.27-1.fc41", state_reason=f"rpmbuild failed: {HOSTILE}", pusher=XSS,
        completed_at=NOW - 2 * hour - 40 * minute,
        trace=[("queued", "building", "m3", ""),
               ("building", "failed", "reconciler", "found by the reconciler")],
    ).id
    ids["stale"] = _build(s, bash, "c" * 40, "queued", at=NOW - 3 * hour).id
    _build(s, zsh, "d" * 40, "building", at=NOW - 10 * minute, koji_task_id=13,
           trace=[("queued", "building", "m4", "")])
    _build(s, evil, "e" * 40, "canceled", at=NOW - hour, pusher=XSS, state_reason=HOSTILE,
           completed_at=NOW - 50 * minute)
    _build(s, zero, "f" * 40, "failed", at=NOW - 10 * day, koji_task_id=14,
           state_reason="old failure", completed_at=NOW - 10 * day,
           trace=[("queued", "failed", "m5", "koji refused")])
    ids["container"] = _build(s, other, "1" * 40, "complete", at=NOW - 2 * day, koji_task_id=15,
                              nvr="bash-container-1-1", completed_at=NOW - 2 * day).id
    _build(s, unsafe, "2" * 40, "failed", at=NOW - 5 * hour, state_reason="unsafe one",
           completed_at=NOW - 5 * hour)
    s.add_all([
        BranchRef(package_id=bash.id, branch="rawhide", old_commit="a" * 40, new_commit="b" * 40,
                  pusher="alice", pushed_at=NOW - 3 * hour, message_id="p1",
                  decision="build queued for rawhide"),
        BranchRef(package_id=evil.id, branch="rawhide", old_commit=None, new_commit="e" * 40,
                  pusher=XSS, pushed_at=NOW, message_id="p2", decision=HOSTILE),
    ])


def _messages(s) -> None:
    minute = timedelta(minutes=1)
    s.add_all([
        RejectedMessage(message_id="r1", topic="org.fedoraproject.prod.git.receive",
                        body="x" * 2000, headers={}, consumer="distgit", kind="invalid",
                        reason="commit.branch missing", rejected_at=NOW - 60 * minute),
        RejectedMessage(message_id="r2", topic=f"koji.{XSS}", body=f'{{"a": "{HOSTILE}"}}',
                        headers={}, consumer="koji", kind="unexpected", reason=HOSTILE,
                        rejected_at=NOW - 5 * minute),
        RejectedMessage(message_id="r3", topic="koji.task", body="{}", headers={},
                        consumer="koji", kind="exhausted", reason="database down",
                        rejected_at=NOW - timedelta(days=3)),
        OutboxMessage(message_id="o1", topic="t", body={}, created_at=NOW - 30 * minute),
        OutboxMessage(message_id="o2", topic="t", body={}, created_at=NOW - 3 * minute,
                      attempts=2, last_error=f"broker down {XSS}"),
        OutboxMessage(message_id="o3", topic="t", body={}, created_at=NOW - timedelta(days=1),
                      sent_at=NOW - timedelta(days=1)),
        InboxEntry(message_id="i1", topic="t", consumer="koji", outcome="handled",
                   processed_at=NOW - 2 * minute),
        InboxEntry(message_id="i2", topic="t", consumer="koji", outcome="handled",
                   processed_at=NOW - 20 * minute),
        InboxEntry(message_id="i3", topic="t", consumer="distgit", outcome="ignored",
                   processed_at=NOW - 120 * minute),
    ])


def _modules(s, ids: dict[str, int]) -> None:
    hour = timedelta(hours=1)
    ready = _module(s, "nodejs", "ready", at=NOW - 96 * hour, koji_tag="module-a",
                    completed_at=NOW - 96 * hour)
    broken = _module(s, "perl", "failed", at=NOW - 4 * hour, koji_tag="module-b",
                     state_reason=f"component failed: {HOSTILE}", owner=XSS,
                     completed_at=NOW - 3 * hour)
    stuck = _module(s, "ruby", "build", at=NOW - 6 * hour, koji_tag="module-c", batch=1)
    ids.update(ready=ready.id, broken=broken.id, stuck=stuck.id)
    done = _component(s, ready, "libuv", "complete", koji_task_id=31,
                      nvr="libuv-1.48-1.module_c0ffee00")
    s.add(ComponentBuildTransition(component_build_id=done.id, from_state="building",
                                   to_state="complete", cause="reconciler",
                                   reason="found by the reconciler",
                                   at=NOW - timedelta(minutes=7)))
    _component(s, stuck, "ruby", "building", koji_task_id=32)


def _definition(s, name, stream, rpms, *, requires=(), eol=None, source="c1"):
    d = ModuleStreamDefinition(name=name, stream=stream, source_kind="commit", source=source,
                               origin=f"https://src.example.org/modules/{name}", mdversion=2,
                               eol=eol, servicelevels={"rawhide": "2025-06-01", "bug_fixes": None})
    s.add(d)
    s.flush()
    s.add_all([ModuleComponentRef(definition_id=d.id, rpm=rpm, ref=ref) for rpm, ref in rpms])
    s.add_all([ModuleDependency(definition_id=d.id, block=0, kind="buildrequires", module=m,
                                streams=list(streams)) for m, streams in requires])
    return d


def _knowledge(s) -> None:
    """nodejs:20 includes bash (an older definition of it did not); perl:20 and ruby:20
    buildrequire nodejs:20; a hostile stream includes bash too."""
    _definition(s, "nodejs", "20", [("bash", "old-ref"), ("libuv", None)], source="c0")
    _definition(s, "nodejs", "20", [("bash", "f41"), ("libuv", None)],
                eol=date(2025, 6, 1), source="c1")
    _definition(s, "perl", "20", [("perl", None)], requires=[("nodejs", ["20"])])
    _definition(s, "ruby", "20", [("ruby", None)], requires=[("nodejs", []), ("perl", ["-5"])])
    _definition(s, XSS, "1", [("bash", XSS)])


def _chain(s, ids) -> None:
    """Chain 1: three tiers from a push of rpms/bash; perl:20 failed at tier 2."""
    hour = timedelta(hours=1)
    chain = RebuildChain(trigger_kind="push", trigger_namespace="rpms", trigger_name="bash",
                         trigger_branch="rawhide", trigger_commit="b" * 40, requester="alice",
                         state="failed", reason=f"perl:20 failed: {HOSTILE}", current_tier=2,
                         failed_tier=2, module_version=20240501000000, created_at=NOW - 5 * hour,
                         updated_at=NOW - 3 * hour, completed_at=NOW - 3 * hour)
    running = RebuildChain(trigger_kind="module", trigger_module=f"{XSS}:1", requester=XSS,
                           state="running", current_tier=1, module_version=20240501000001,
                           created_at=NOW - hour, updated_at=NOW - hour)
    s.add_all([chain, running])
    s.flush()
    ids.update(chain=chain.id, running_chain=running.id)
    items = [
        ChainItem(chain_id=chain.id, name="nodejs", stream="20", tier=1, state="passed",
                  module_build_id=ids["ready"], owner="alice"),
        ChainItem(chain_id=chain.id, name="perl", stream="20", tier=2, state="failed",
                  module_build_id=ids["broken"], owner=XSS, reason=HOSTILE),
        ChainItem(chain_id=chain.id, name="ruby", stream="20", tier=3, state="waiting"),
        ChainItem(chain_id=running.id, name=XSS, stream="1", tier=1, state="building",
                  module_build_id=ids["stuck"]),
    ]
    s.add_all(items)
    s.flush()
    s.add_all([
        ChainTransition(chain_id=chain.id, from_state=None, to_state="planned", cause="p1",
                        at=NOW - 5 * hour),
        ChainTransition(chain_id=chain.id, item_id=items[1].id, from_state="building",
                        to_state="failed", cause="m9", reason=HOSTILE, at=NOW - 3 * hour),
        ChainTransition(chain_id=chain.id, from_state="running", to_state="failed",
                        cause="m9", reason="perl:20 failed", at=NOW - 3 * hour),
    ])


def _composes(s, ids) -> None:
    """A done compose with bash's build and nodejs, a removed one, a failed one, one generating."""
    hour, day = timedelta(hours=1), timedelta(days=1)
    done = Compose(owner="alice", source_type="module", source="nodejs:20", state="done",
                   time_submitted=NOW - 2 * day, time_started=NOW - 2 * day,
                   time_done=NOW - 2 * day + hour, time_to_expire=NOW + day,
                   result_repo_url="https://odcs.example.org/composes/odcs-1/compose/Temporary",
                   result_repofile="javascript:alert(1)", updated_at=NOW - 2 * day)
    removed = Compose(owner="bob", source_type="tag", source="f41-build", state="removed",
                      time_submitted=NOW - 9 * day, time_done=NOW - 9 * day,
                      time_removed=NOW - 8 * day, time_to_expire=NOW - 8 * day,
                      removed_by="cron", updated_at=NOW - 8 * day)
    failed = Compose(owner=XSS, source_type="build", source=f"bash-5.2.27-1.fc41 {XSS}",
                     state="failed", state_reason=f"pungi failed: {HOSTILE}",
                     time_submitted=NOW - hour, time_to_expire=NOW + day, updated_at=NOW - hour)
    generating = Compose(origin="odcs", external_id="4242", owner="carol", source_type="tag",
                         source="f41-updates", state="generating", time_submitted=NOW - hour,
                         time_started=NOW - hour, updated_at=NOW - hour)
    s.add_all([done, removed, failed, generating])
    s.flush()
    ids.update(compose_done=done.id, compose_removed=removed.id, compose_failed=failed.id,
               compose_generating=generating.id)
    s.add_all([ComposeContent(compose_id=done.id, kind="rpm", artifact="bash-5.2.26-1.fc41",
                              name="bash", arch=arch) for arch in ("x86_64", "aarch64")])
    s.add_all([
        ComposeContent(compose_id=done.id, kind="module",
                       artifact="nodejs:20:20240401000000:c0ffee00", name="nodejs"),
        ComposeContent(compose_id=done.id, kind="rpm", artifact=f"{XSS}-1-1", name=XSS,
                       arch="src"),
        ComposeContent(compose_id=removed.id, kind="rpm", artifact="bash-5.2.26-1.fc41",
                       name="bash", arch="x86_64"),
    ])
    s.add_all([
        ComposeTransition(compose_id=done.id, from_state=None, to_state="wait", cause="api:alice",
                          at=NOW - 2 * day),
        ComposeTransition(compose_id=done.id, from_state="wait", to_state="done", cause="odcs",
                          at=NOW - 2 * day + hour),
        ComposeTransition(compose_id=failed.id, from_state="generating", to_state="failed",
                          cause="pungi", reason=HOSTILE, at=NOW - hour),
    ])


def _ci(s, ids) -> None:
    """bash's failed build: gating failed, one result failed (hostile URL), one passed; the
    ready module build: passed."""
    minute = timedelta(minutes=1)
    nvr = "bash-5.2.27-1.fc41"
    s.add_all([
        TestResult(message_id="t1", source="resultsdb", artifact_type="koji_build", artifact=nvr,
                   testcase="fedora-ci.koji-build.tier0.functional", outcome="passed",
                   raw_outcome="PASSED", ref_url="https://ci.example.org/1",
                   result_at=NOW - 9 * minute),
        TestResult(message_id="t2", source="resultsdb", artifact_type="koji_build", artifact=nvr,
                   testcase="fedora-ci.koji-build.tier0.functional", outcome="failed",
                   raw_outcome="FAILED", ref_url="javascript:alert(1)",
                   result_at=NOW - 5 * minute),
        TestResult(message_id="t3", source="ci-spec", artifact_type="koji_build", artifact=nvr,
                   testcase=XSS, outcome="passed", raw_outcome="PASSED", ref_url=None,
                   result_at=NOW - 4 * minute),
        TestResult(message_id="t4", source="resultsdb", artifact_type="module",
                   artifact="nodejs:20:20240401000000", testcase="module.tier0",
                   outcome="passed", raw_outcome="PASSED", ref_url="https://ci.example.org/4",
                   result_at=NOW - 50 * minute),
        GatingDecision(nvr=nvr, outcome="failed", reason=f"1 of 2 required tests failed {XSS}",
                       missing=[], decided_at=NOW - 5 * minute),
        GatingDecision(module_build_id=ids["ready"], outcome="passed", reason="all passed",
                       missing=[], decided_at=NOW - 50 * minute),
        GatingDecision(module_build_id=ids["stuck"], outcome="waiting",
                       reason="1 required test has no result", missing=["module.tier0"],
                       decided_at=NOW - 50 * minute),
    ])
# fmt: on


def populate(factory) -> dict[str, int]:
    """Fill the database; return the ids the tests look up."""
    ids: dict[str, int] = {}
    with factory.begin() as s:
        _builds(s, ids)
        _messages(s)
        _modules(s, ids)
        _knowledge(s)
        _chain(s, ids)
        _composes(s, ids)
        _ci(s, ids)
    return ids


def render(factory, out: Path):
    return render_site(factory, SETTINGS, output_dir=out, now=NOW.replace(tzinfo=UTC))


def load(out: Path, rel: str):
    return json.loads((out / rel).read_text(encoding="utf-8"))


def listed_packages(out: Path) -> list[dict]:
    """Every package the packages index lists: the top index's pages' twins, in order."""
    top = json.loads((out / "api/v1/packages.json").read_text(encoding="utf-8"))
    return [
        row
        for page in top["pages"]
        for row in json.loads((out / page["api_href"]).read_text(encoding="utf-8"))["packages"]
    ]
