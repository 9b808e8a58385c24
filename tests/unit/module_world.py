"""A small world for orchestrator unit tests: local dist-git, FakeKoji, a hand-driven bus.

``World.pump()`` delivers the module announcements the outbox holds, as the
module consumer would receive them; ``finish``/``tagged``/``repo_done`` play
koji's messages. Everything goes through ``consumers.pipeline.process``.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from consumers.pipeline import Deps, Incoming, Result, process
from conveyor.koji_client import RepoInfo
from conveyor.settings import Settings, parse
from models import ComponentBuild, ModuleBuild, OutboxMessage
from models.module_build import submit
from sandbox.modulemd_template import modulemd
from tests.unit.fakes import PROD, FakeKoji, build_message, new_id


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class World:
    root: Path
    koji: FakeKoji
    session_factory: object
    settings: Settings = field(init=False)
    repo_id: int = 100
    module_version: int = 20261122000000

    def __post_init__(self) -> None:
        self.settings = parse(
            {
                "distgit": {"base_url": self.root.as_uri(), "allowed_scm_hosts": ["localhost"]},
                "modules": {"max_concurrent_builds": 50},
            },
            env={},
        )
        self.deps = Deps(self.session_factory, self.settings, self.koji)

    def with_settings(self, **modules: object) -> None:
        raw = {"distgit": {"base_url": self.root.as_uri(), "allowed_scm_hosts": ["localhost"]}}
        self.settings = parse({**raw, "modules": modules}, env={})
        self.deps = Deps(self.session_factory, self.settings, self.koji)

    # -- dist-git ---------------------------------------------------------------

    def component(self, name: str, content: str = "1") -> str:
        """Create or update rpms/<name> on rawhide; returns the new commit."""
        work = self.root / "work" / name
        if not work.exists():
            work.mkdir(parents=True)
            git("init", "-q", "-b", "rawhide", cwd=work)
            git("config", "user.email", "t@example.org", cwd=work)
            git("config", "user.name", "t", cwd=work)
            bare = self.root / "rpms" / f"{name}.git"
            bare.parent.mkdir(exist_ok=True)
            git("init", "-q", "--bare", str(bare), cwd=self.root)
            git("remote", "add", "origin", str(bare), cwd=work)
        (work / f"{name}.spec").write_text(f"# {content}\n")
        git("add", ".", cwd=work)
        git("commit", "-q", "-m", content, cwd=work)
        git("push", "-q", "origin", "rawhide", cwd=work)
        return git("rev-parse", "HEAD", cwd=work)

    # -- requests and the bus -------------------------------------------------------

    def submit(self, name: str, components: dict[str, int], version: int | None = None) -> int:
        for package in components:
            if not (self.root / "rpms" / f"{package}.git").exists():
                self.component(package)
        with self.session_factory.begin() as session:
            found = submit(
                session, name=name, stream="main", version=version or self.module_version,
                scmurl=f"{self.root.as_uri()}/modules/{name}.git?#{'a' * 40}", commit="a" * 40,
                owner="alice", modulemd=modulemd(components), cause="test",
            )  # fmt: skip
            return found.module_build.id

    def pump(self) -> list[Result]:
        """Deliver the unsent module announcements, oldest first, until none is left."""
        results = []
        while True:
            with self.session_factory.begin() as session:
                rows = session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.sent_at.is_(None))
                    .where(OutboxMessage.topic == "conveyor.module.state.change.v1")
                    .order_by(OutboxMessage.id)
                ).all()
                pending = [(r.message_id, r.body) for r in rows]
                for row in rows:
                    row.sent_at = row.created_at
            if not pending:
                return results
            for message_id, body in pending:
                topic = PROD + "conveyor.module.state.change.v1"
                results.append(process(Incoming(message_id, topic, body), self.deps, "module"))

    def send(self, topic: str, body: dict, consumer: str) -> Result:
        return process(Incoming(new_id(), PROD + topic, body), self.deps, consumer)

    def module(self, module_id: int) -> ModuleBuild:
        with self.session_factory() as session:
            module = session.get(ModuleBuild, module_id)
            assert module is not None
            _ = list(module.components)
            return module

    def components(self, module_id: int) -> dict[str, ComponentBuild]:
        return {c.package: c for c in self.module(module_id).components}

    # -- koji's side ------------------------------------------------------------------

    def finish(self, module_id: int, package: str, state: int = 1) -> Result:
        """koji reports the component's build complete (1) or failed (3)."""
        component = self.components(module_id)[package]
        msg = build_message(
            component.koji_task_id, state, 0, build_id=component.koji_task_id or 0,
            name=package, version="1.0", release=f"1.module_f43+{module_id}",
        )  # fmt: skip
        return process(msg, self.deps, "koji")

    def tag_all(self, module_id: int) -> list[Result]:
        """koji confirms every tagging Conveyor asked for (buildsys.tag messages)."""
        results = []
        calls, self.koji.tag_calls[:] = list(self.koji.tag_calls), []
        for tag, nvrs in calls:
            for nvr in nvrs:
                name, version, release = nvr.rsplit("-", 2)
                body = {"tag": tag, "name": name, "version": version, "release": release,
                        "build_id": 1, "user": "conveyor", "owner": "conveyor",
                        "instance": "primary"}  # fmt: skip
                results.append(self.send("buildsys.tag", body, "module"))
        return results

    def repo_done(self, module_id: int) -> Result:
        tag = f"{self.module(module_id).koji_tag}-build"
        self.repo_id += 1
        self.koji.repos[tag] = RepoInfo(self.repo_id, tag, self.repo_id, time.time() + 1, "READY")
        body = {"tag": tag, "tag_id": 1, "repo_id": self.repo_id, "instance": "primary"}
        return self.send("buildsys.repo.done", body, "module")

    def build_batch(self, module_id: int, packages: list[str]) -> None:
        for package in packages:
            self.finish(module_id, package)
        self.tag_all(module_id)
