"""``conveyor demo``: the whole system on embedded defaults, driven by real ``git push``es."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import select

from models import BranchRef, Build, ModuleBuild, Package
from sandbox.demo_chain import GATING as CHAIN_GATING
from sandbox.demo_chain import chain_scenario
from sandbox.demo_chain import describe as describe_chain
from sandbox.demo_compose import show_composes
from sandbox.modulemd_template import modulemd
from sandbox.system import Sandbox, SandboxOptions
from site_generator import render_site

DEFAULT_WORKDIR = Path("var/demo")


def scenario(box: Sandbox) -> int:
    """Pushes a packager would make; returns how many builds should result."""
    p = box.packager
    print("pushing: hello (rawhide, f43) as alice")
    p.create_package("hello", "2.12", branches=("rawhide", "f43"), pusher="alice")
    print("pushing: cowsay (rawhide) as bob")
    p.create_package("cowsay", "3.7.0", pusher="bob")
    print("pushing: broken-lib (rawhide) as alice: its build will fail")
    p.create_package("broken-lib", "0.1", pusher="alice")
    print("pushing: hello rawhide update as alice")
    p.bump("hello", "rawhide")
    p.push("hello", "rawhide", pusher="alice")
    print("pushing: cowsay rawhide update as mallory: not an allowed pusher, no build")
    p.bump("cowsay", "rawhide")
    p.push("cowsay", "rawhide", pusher="mallory")
    print("pushing: cowsay branch 'feature-x' as bob: maps to no koji target, no build")
    p.bump("cowsay", "feature-x")
    p.push("cowsay", "feature-x", pusher="bob")
    return 5


# Component branches that map to no koji target: the module builds them, not a push.
MODULE_REF = "stack-1"
STACK = {"stack-base": 1, "stack-lib": 2, "stack-tool": 2, "stack-app": 3}
WOB = {"wob-lib": 1, "wobbly": 2, "wob-app": 3}


def module_scenario(box: Sandbox) -> None:
    p = box.packager
    for package in (*STACK, *WOB):
        p.create_package(package, "1.0", branches=(MODULE_REF,), pusher="alice")
    spec = p.spec_path("wobbly").read_text()
    p.commit_file("wobbly", MODULE_REF, "wobbly.spec", spec + "# sandbox: fail\n", "break it")
    p.push("wobbly", MODULE_REF, pusher="alice")
    print("pushing: module stack:main as alice: 4 components in 3 batches")
    p.create_module("stack", "main", modulemd(STACK, MODULE_REF), pusher="alice")
    print("pushing: module wob:main as alice: its component wobbly will fail")
    wob_commit = p.create_module("wob", "main", modulemd(WOB, MODULE_REF), pusher="alice")
    box.wait_for(lambda: _module_states(box) == {"stack": "ready", "wob": "failed"},
                 timeout=120, what="stack to be ready and wob to fail")  # fmt: skip
    print("fixing wobbly (a push to its branch), then resubmitting wob through the REST API")
    p.commit_file("wobbly", MODULE_REF, "wobbly.spec", spec, "fix the build")
    p.push("wobbly", MODULE_REF, pusher="alice")
    scmurl = f"{box.distgit.url_for('modules', 'wob')}?#{wob_commit}"
    reply = requests.post(
        f"{box.api_url}/module-builds/", json={"scmurl": scmurl},
        headers={"Authorization": f"Bearer {box.api_token}"}, timeout=60,
    )  # fmt: skip
    answer = reply.json()
    shown = {k: answer.get(k) for k in ("id", "outcome", "state", "state_reason")}
    print(f"  POST {box.api_url}/module-builds/ -> {reply.status_code} {shown}")
    box.wait_for(lambda: _module_states(box).get("wob") == "ready", timeout=120,
                 what="wob to be resumed and ready")  # fmt: skip


def _module_states(box: Sandbox) -> dict[str, str]:
    with box.session_factory() as session:
        rows = session.execute(select(ModuleBuild.name, ModuleBuild.state)).all()
    return dict(rows)


def _summary(box: Sandbox) -> list[str]:
    with box.session_factory() as session:
        builds = session.execute(
            select(
                Package.namespace,
                Package.name,
                Build.branch,
                Build.nvr,
                Build.state,
                Build.state_reason,
            )
            .join(Build.package)
            .order_by(Build.id)
        ).all()
        refused = session.execute(
            select(Package.name, BranchRef.branch, BranchRef.pusher, BranchRef.decision)
            .join(BranchRef.package)
            .where(BranchRef.decision.like("not built%"), BranchRef.branch != MODULE_REF)
        ).all()
    lines = [
        f"  {ns}/{name} {branch}: {nvr or '-'} {state} {reason}".rstrip()
        for ns, name, branch, nvr, state, reason in builds
    ]
    lines += [
        f"  {name} {branch} pushed by {pusher}: {decision}"
        for name, branch, pusher, decision in refused
    ]
    with box.session_factory() as session:
        for module in session.scalars(select(ModuleBuild).order_by(ModuleBuild.id)):
            lines.append(f"  module {module.nsvc}: {module.state} ({module.state_reason})")
            for c in module.components:
                lines.append(f"    batch {c.batch} {c.package}: {c.nvr or '-'} {c.state}")
    return lines


def run_demo(workdir: Path | None = None, site_port: int = 8000, wait: bool = True) -> None:
    workdir = (workdir or DEFAULT_WORKDIR).resolve()
    options = SandboxOptions(
        allowed_pushers=("alice", "bob"), koji_delay=2.0, site_port=site_port,
        api_port=site_port + 1, composes=True,
        ci_outcomes={}, extra_settings={"gating": CHAIN_GATING},  # CI passes unless told
    )  # fmt: skip
    print(f"starting RabbitMQ, dist-git, koji hub, consumers, cron and the site in {workdir}")
    box = Sandbox(workdir / time.strftime("run-%Y%m%d-%H%M%S"), options)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        box.start()
        expected = scenario(box)
        box.wait_for(lambda: _all_done(box, expected), timeout=120, what="the demo's builds")
        module_scenario(box)
        show_composes(box, modules=2)  # stack and wob: a compose each, made on done
        chain = chain_scenario(box)  # three tiers rebuilt; CI stops the chain; a fix resumes it
        render_site(box.session_factory, box.settings)
        print("\nwhat happened:")
        print("\n".join(_summary(box)))
        print("\n".join(describe_chain(chain)))
        print(f"\nstatus site: http://127.0.0.1:{site_port}/ (modules/, chains/, composes/)")
        print(f"module build API: {box.api_url}/module-builds/")
        print(f"logs: {box.workdir / 'logs'}; database: {box.settings.database_url}")
        if wait:
            print("Ctrl-C stops everything.")
            stop.wait()
    finally:
        print("stopping...")
        box.stop()


def _all_done(box: Sandbox, expected: int) -> bool:
    with box.session_factory() as session:
        states = list(session.scalars(select(Build.state)))
    return len(states) >= expected and all(
        s in ("complete", "failed", "canceled", "skipped") for s in states
    )
