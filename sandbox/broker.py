"""A private RabbitMQ broker on loopback, run from Debian's rabbitmq-server package.

Every instance has its own node name (``rabbit-<port>@localhost``), its own epmd
(on its own port), its own distribution port, Erlang cookie (``HOME``), data and
log directories, so several brokers (tests and demo) coexist on one machine.
Nothing listens on anything but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

from sandbox.ports import LOOPBACK, free_port, port_is_free, wait_for_port

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
LOOPBACK_ERL = "{127,0,0,1}"


class BrokerError(RuntimeError):
    """The broker did not start or stop as asked."""


class RabbitMQ:
    """One RabbitMQ node; ``start()`` / ``stop()`` / ``restart()`` keep port and data."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir).resolve()
        self.port = port or free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.nodename = f"rabbit-{self.port}@localhost"
        self.proc: subprocess.Popen[bytes] | None = None
        self.epmd_proc: subprocess.Popen[bytes] | None = None
        self.start_seconds: float | None = None

    # -- paths and environment ---------------------------------------------------
    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{LOOPBACK}:{self.port}/%2F"

    @property
    def pid_file(self) -> Path:
        return self.workdir / "rabbit.pid"

    @property
    def log_dir(self) -> Path:
        return self.workdir / "log"

    @property
    def console_log(self) -> Path:
        return self.log_dir / "console.log"

    def _write_configs(self) -> None:
        for sub in ("home", "mnesia", "log", "plugins-expand"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        (self.workdir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {LOOPBACK}:{self.port}\n"
            "loopback_users.guest = true\n"
            "log.console = false\n"
            "log.file.level = info\n"
            "disk_free_limit.absolute = 50MB\n"
        )
        (self.workdir / "advanced.config").write_text(
            f"[{{kernel, [{{inet_dist_use_interface, {LOOPBACK_ERL}}}]}}].\n"
        )
        (self.workdir / "enabled_plugins").write_text("[].\n")
        (self.workdir / "rabbitmq-env.conf").write_text("# private to this sandbox broker\n")

    def env(self) -> dict[str, str]:
        """The environment for rabbitmq-server and rabbitmqctl of this node."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("RABBITMQ_", "ERL_")) and k != "HOME"
        }
        w = self.workdir
        env.update(
            HOME=str(w / "home"),
            RABBITMQ_NODENAME=self.nodename,
            RABBITMQ_NODE_IP_ADDRESS=LOOPBACK,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            ERL_EPMD_ADDRESS=LOOPBACK,
            ERL_EPMD_PORT=str(self.epmd_port),
            RABBITMQ_CONF_ENV_FILE=str(w / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(w / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(w / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(w / "enabled_plugins"),
            RABBITMQ_PLUGINS_EXPAND_DIR=str(w / "plugins-expand"),
            RABBITMQ_MNESIA_BASE=str(w / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.log_dir),
            RABBITMQ_PID_FILE=str(self.pid_file),
            RABBITMQ_CTL_ERL_ARGS=f"-kernel inet_dist_use_interface {LOOPBACK_ERL}",
        )
        return env

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``rabbitmqctl ARGS`` against this node (not checked)."""
        return subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # -- lifecycle -----------------------------------------------------------------
    def start(self, timeout: float = 60) -> RabbitMQ:
        if self.running:
            return self
        began = time.monotonic()
        for attr in ("dist_port", "epmd_port"):
            if not port_is_free(getattr(self, attr)):
                setattr(self, attr, free_port())
        if not port_is_free(self.port):
            raise BrokerError(f"AMQP port {self.port} is already taken")
        self._write_configs()
        self.pid_file.unlink(missing_ok=True)
        self._start_epmd()
        with self.console_log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(RABBIT_BIN / "rabbitmq-server")],
                env=self.env(),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Boot rabbitmqctl's own Erlang VM while the broker boots: it waits for the
        # pid file, then for the rabbit application (saves ~2 s over doing it after).
        wait_cmd = ["wait", str(self.pid_file), "--timeout", str(int(timeout))]
        waiter = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmqctl"), *wait_cmd],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = began + timeout
        try:
            while waiter.poll() is None:
                self._check_alive()
                if time.monotonic() > deadline:
                    self._abort("timed out")
                time.sleep(0.1)
        finally:
            if waiter.poll() is None:
                waiter.kill()
            output = waiter.communicate()[0]
        if waiter.returncode != 0:
            self._abort(f"rabbitmqctl wait failed: {output}")
        if not wait_for_port(self.port, timeout=max(1.0, deadline - time.monotonic())):
            self._abort("AMQP port never opened")
        self.start_seconds = time.monotonic() - began
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            self._kill_epmd()
            raise BrokerError(
                f"rabbitmq-server exited with {self.proc.returncode}; "
                f"see {self.console_log} and {self.log_dir}"
            )

    def _abort(self, why: str) -> None:
        self._kill()
        raise BrokerError(f"RabbitMQ {self.nodename} did not start: {why}; see {self.log_dir}")

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._kill_epmd()

    def _start_epmd(self) -> None:
        """Run this broker's epmd as our own child (not ``-daemon``), so it is reaped.

        Erlang finds it on ``ERL_EPMD_PORT`` and does not start a daemonized one
        (whose zombie would otherwise linger under a PID 1 that does not reap).
        """
        with (self.log_dir / "epmd.log").open("ab") as log:
            self.epmd_proc = subprocess.Popen(
                ["epmd", "-port", str(self.epmd_port), "-address", LOOPBACK],
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_for_port(self.epmd_port, timeout=10):
            self._kill_epmd()
            raise BrokerError(f"epmd did not listen on {LOOPBACK}:{self.epmd_port}")

    def _kill_epmd(self) -> None:
        # Only this broker's own epmd: other brokers keep theirs.
        if self.epmd_proc is not None:
            self.epmd_proc.terminate()
            try:
                self.epmd_proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.epmd_proc.kill()
                self.epmd_proc.wait(timeout=5)
            self.epmd_proc = None

    def stop(self, timeout: float = 60) -> None:
        """``rabbitmqctl shutdown`` (graceful: durable data is flushed), then cleanup."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.ctl("shutdown", timeout=timeout)
                self.proc.wait(timeout=timeout)
        self._kill()
        self.proc = None

    def restart(self, timeout: float = 60) -> RabbitMQ:
        self.stop()
        return self.start(timeout=timeout)

    def __enter__(self) -> RabbitMQ:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
