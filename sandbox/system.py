"""The whole Conveyor world on one machine: broker, dist-git, koji hub, consumers, cron, site.

The demo and the integration tests start the same ``Sandbox``; every process
is a real one (``fedora-messaging consume``, ``conveyor cron``, the hub).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pika
import yaml

from conveyor.db import make_session_factory
from conveyor.settings import load as load_settings
from models.migrations import upgrade
from sandbox.broker import RabbitMQ
from sandbox.ci_simulator import CISimulator
from sandbox.distgit import DistGit
from sandbox.fmconf import write_fm_conf
from sandbox.packager import Packager
from sandbox.ports import free_port
from sandbox.processes import Supervisor

PREFIX = "org.fedoraproject.sandbox"
BINDINGS = {
    "distgit": [f"{PREFIX}.git.receive", f"{PREFIX}.git.receive.#", f"{PREFIX}.pagure.git.receive"],
    "koji": [f"{PREFIX}.buildsys.task.state.change", f"{PREFIX}.buildsys.build.state.change"],
    "module": [
        f"{PREFIX}.conveyor.module.state.change.v1",
        f"{PREFIX}.buildsys.tag",
        f"{PREFIX}.buildsys.repo.done",
    ],
    "ci": [
        f"{PREFIX}.resultsdb.result.new",
        f"{PREFIX}.taskotron.result.new",
        f"{PREFIX}.ci.#",
        "org.centos.sandbox.ci.#",  # what sandbox.ci_simulator publishes, like CentOS CI
    ],
    "compose": [
        f"{PREFIX}.conveyor.compose.state.change.v1",
        f"{PREFIX}.pungi.compose.status.change",
        f"{PREFIX}.odcs.compose.state-changed",
    ],
}
CALLBACKS = {
    "distgit": "consumers.distgit:DistGitConsumer",
    "koji": "consumers.koji:KojiConsumer",
    "module": "consumers.module:ModuleConsumer",
    "ci": "consumers.ci:CIConsumer",
    "compose": "consumers.compose:ComposeConsumer",
}
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SandboxOptions:
    database_url: str | None = None  # default: SQLite in the workdir
    koji_delay: float = 1.0
    fail_patterns: tuple[str, ...] = ("*broken*",)
    drop_fraction: float = 0.0
    allowed_pushers: tuple[str, ...] = ("*",)
    replicas: dict[str, int] = field(
        default_factory=lambda: {"distgit": 1, "koji": 1, "module": 1, "ci": 1}
    )
    cron: bool = True
    # run the compose consumer; module builds reaching done then get composes (real RPMs
    # made with rpmbuild, ~0.2-0.4 s per build: off unless asked, so other tests stay fast)
    composes: bool = False
    reconcile_seconds: int = 3
    site_port: int | None = None  # serve the site when set
    api_port: int | None = None  # run `conveyor api` (the module build REST API) when set
    extra_settings: dict = field(default_factory=dict)
    # run sandbox.ci_simulator: artifact glob -> outcome (None: never answer); off when None
    ci_outcomes: dict[str, str | None] | None = None
    ci_default: str | None = "passed"


class Sandbox:
    def __init__(
        self, workdir: Path, options: SandboxOptions | None = None, broker: RabbitMQ | None = None
    ):
        self.workdir = Path(workdir).resolve()
        self.options = options or SandboxOptions()
        self.own_broker = broker is None
        self.broker = broker or RabbitMQ(self.workdir / "rabbitmq")
        self.token = uuid.uuid4().hex[:8]
        self.api_token = uuid.uuid4().hex  # the sandbox's stand-in for a front proxy's login
        self.processes = Supervisor(self.workdir / "logs")
        self.hub_port = free_port()
        self.settings_path = self.workdir / "settings.yaml"

    # -- start -------------------------------------------------------------------------
    def start(self) -> Sandbox:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.own_broker:
            self.broker.start()
        self._write_settings()
        self.settings = load_settings(self.settings_path)
        upgrade(self.settings.database_url)
        self.session_factory = make_session_factory(self.settings.database_url)
        publisher_conf = write_fm_conf(self.workdir / "publisher.toml", self.broker.url)
        self.distgit = DistGit(self.workdir / "distgit", publisher_conf)
        self.packager = Packager(self.distgit, self.workdir / "clones")
        self._declare_queues()
        self.ci_simulator: CISimulator | None = None
        if self.options.ci_outcomes is not None:
            self.ci_simulator = CISimulator(
                self.broker.url, self.options.ci_outcomes, self.options.ci_default
            ).start()
        self._start_hub(publisher_conf)
        for consumer, count in self.options.replicas.items():
            for replica in range(count):
                self.start_consumer(consumer, replica)
        if self.options.composes and "compose" not in self.options.replicas:
            self.start_consumer("compose")
        if self.options.cron:
            self.start_cron()
        if self.options.site_port:
            self._start_site_server(self.options.site_port)
        if self.options.api_port:
            argv = [str(Path(sys.executable).parent / "conveyor"), "api"]
            self.processes.start("api", argv, env=self._env())
        return self

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.options.api_port}/rida"

    def queue(self, consumer: str) -> str:
        return f"conveyor_{consumer}_{self.token}"

    def _write_settings(self) -> None:
        base = {
            "database_url": self.options.database_url
            or f"sqlite:///{self.workdir / 'conveyor.sqlite'}",
            "koji": {
                "hub_url": f"http://127.0.0.1:{self.hub_port}/kojihub",
                "web_url": f"http://127.0.0.1:{self.hub_port}/koji",
                "timeout": 10,
            },
            "distgit": {
                "base_url": (self.workdir / "distgit").as_uri(),
                "allowed_scm_hosts": ["localhost"],
            },
            "allowed_pushers": list(self.options.allowed_pushers),
            "site": {"output_dir": str(self.workdir / "site")},
            "api": {
                "port": self.options.api_port or 5005,
                "token": self.api_token,
                "token_user": "packager",
                "allowed_users": ["*"],
            },
            "cron": {
                "outbox_flush_seconds": 2,
                "outbox_grace_seconds": 2,
                "reconcile_seconds": self.options.reconcile_seconds,
                "site_render_seconds": 2,
            },
            "retries": {"max_attempts": 5, "backoff_seconds": 0.5, "backoff_max_seconds": 4},
            # the local compose backend reads the hub's RPM files; dnf reads file:// repos
            "composes": {
                "target_dir": str(self.workdir / "composes"),
                "koji_topdir": str(self.workdir / "koji"),
                "base_url": (self.workdir / "composes").as_uri() + "/",
                "auto_module_composes": self.options.composes or "compose" in self.options.replicas,
            },
        }
        base.update(self.options.extra_settings)
        self.settings_path.write_text(yaml.safe_dump(base, sort_keys=False))

    def _declare_queues(self) -> None:
        """Bind before anything publishes: a topic exchange drops unrouted messages."""
        connection = pika.BlockingConnection(pika.URLParameters(self.broker.url))
        channel = connection.channel()
        for consumer, keys in BINDINGS.items():
            channel.queue_declare(self.queue(consumer), durable=True, arguments={})
            for key in keys:
                channel.queue_bind(self.queue(consumer), "amq.topic", routing_key=key)
        connection.close()

    def _env(self, fm_conf: Path | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env["CONVEYOR_SETTINGS"] = str(self.settings_path)
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        env.pop("CONVEYOR_DATABASE_URL", None)
        if fm_conf is not None:
            env["FEDORA_MESSAGING_CONF"] = str(fm_conf)
        return env

    def _start_hub(self, publisher_conf: Path) -> None:
        argv = [
            sys.executable,
            "-m",
            "sandbox.kojihub",
            "--port",
            str(self.hub_port),
            "--distgit-root",
            str(self.workdir / "distgit"),
            "--delay",
            str(self.options.koji_delay),
            "--drop-messages",
            str(self.options.drop_fraction),
            "--ready-file",
            str(self.workdir / "kojihub.ready"),
            "--topdir",
            str(self.workdir / "koji"),
        ]
        for pattern in self.options.fail_patterns:
            argv += ["--fail-pattern", pattern]
        (self.workdir / "kojihub.ready").unlink(missing_ok=True)
        self.processes.start(
            "kojihub",
            argv,
            env=self._env(publisher_conf),
            ready_file=self.workdir / "kojihub.ready",
        )

    def consumer_conf(self, consumer: str) -> Path:
        return write_fm_conf(
            self.workdir / f"{consumer}.toml",
            self.broker.url,
            queue=self.queue(consumer),
            bindings=BINDINGS[consumer],
            consumer_config={"settings": str(self.settings_path)},
            callback=CALLBACKS[consumer],
        )

    def start_consumer(self, consumer: str, replica: int = 0) -> str:
        name = f"{consumer}-{replica}"
        conf = self.consumer_conf(consumer)
        argv = [
            str(Path(sys.executable).parent / "fedora-messaging"),
            "--conf",
            str(conf),
            "consume",
        ]
        self.processes.start(name, argv, env=self._env(conf))
        return name

    def start_cron(self) -> None:
        conf = write_fm_conf(self.workdir / "cron.toml", self.broker.url)
        argv = [str(Path(sys.executable).parent / "conveyor"), "cron"]
        self.processes.start("cron", argv, env=self._env(conf))

    def _start_site_server(self, port: int) -> None:
        argv = [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(self.workdir / "site"),
        ]
        self.processes.start("site", argv, env=self._env())

    # -- observe -------------------------------------------------------------------------
    def wait_for(
        self, condition: Callable[[], bool], timeout: float = 60, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise TimeoutError(
            f"timed out after {timeout}s waiting for {what}; logs in {self.workdir / 'logs'}"
        )

    # -- stop --------------------------------------------------------------------------
    def stop(self) -> None:
        if getattr(self, "ci_simulator", None) is not None:
            self.ci_simulator.stop()
        self.processes.stop_all()
        try:
            connection = pika.BlockingConnection(pika.URLParameters(self.broker.url))
            channel = connection.channel()
            for consumer in BINDINGS:
                channel.queue_delete(self.queue(consumer))
            connection.close()
        except pika.exceptions.AMQPError:
            pass
        if self.own_broker:
            self.broker.stop()
