"""``conveyor demo``: the whole system on embedded defaults, driven by real ``git push``es."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from sqlalchemy import select

from models import BranchRef, Build, Package
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
            .where(BranchRef.decision.like("not built%"))
        ).all()
    lines = [
        f"  {ns}/{name} {branch}: {nvr or '-'} {state} {reason}".rstrip()
        for ns, name, branch, nvr, state, reason in builds
    ]
    lines += [
        f"  {name} {branch} pushed by {pusher}: {decision}"
        for name, branch, pusher, decision in refused
    ]
    return lines


def run_demo(workdir: Path | None = None, site_port: int = 8000, wait: bool = True) -> None:
    workdir = (workdir or DEFAULT_WORKDIR).resolve()
    options = SandboxOptions(allowed_pushers=("alice", "bob"), koji_delay=2.0, site_port=site_port)
    print(f"starting RabbitMQ, dist-git, koji hub, consumers, cron and the site in {workdir}")
    box = Sandbox(workdir / time.strftime("run-%Y%m%d-%H%M%S"), options)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        box.start()
        expected = scenario(box)
        box.wait_for(lambda: _all_done(box, expected), timeout=120, what="the demo's builds")
        render_site(box.session_factory, box.settings)
        print("\nwhat happened:")
        print("\n".join(_summary(box)))
        print(f"\nstatus site: http://127.0.0.1:{site_port}/")
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
