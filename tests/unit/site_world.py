"""A populated database for the site's feed, search, operators and schema tests.

Rows of every kind the site reads, hostile text included: packages (one with
a name unsafe as a path, two sharing a name), builds in every state (one
stale, failures old and new, a reconciler's correction), pushes, rejected
messages (a long body, markup, control characters), the outbox (unsent,
failing, sent), the inbox, module builds with components and traces.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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
# fmt: on


def populate(factory) -> dict[str, int]:
    """Fill the database; return the ids the tests look up."""
    ids: dict[str, int] = {}
    with factory.begin() as s:
        _builds(s, ids)
        _messages(s)
        _modules(s, ids)
    return ids


def render(factory, out: Path):
    return render_site(factory, SETTINGS, output_dir=out, now=NOW.replace(tzinfo=UTC))


def load(out: Path, rel: str):
    return json.loads((out / rel).read_text(encoding="utf-8"))
