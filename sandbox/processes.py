"""A tiny supervisor for the child processes of the demo and the integration tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType


class ProcessError(RuntimeError):
    """A child did not start, become ready or stop as asked."""


@dataclass
class Process:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    ready_file: Path | None = None
    ready_timeout: float = 30
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    starts: int = 0

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll() if self.popen is not None else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


class Supervisor:
    """Starts children in their own process groups, stdout+stderr to ``<logdir>/<name>.log``."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, Process] = {}

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        ready_file: Path | None = None,
        ready_timeout: float = 30,
        cwd: Path | None = None,
    ) -> Process:
        """Start ``argv``; ``env`` is added to (overrides) this process's environment.

        With ``ready_file``, the file is removed first and ``start`` returns once the
        child has created it (``ProcessError`` if the child dies or times out first).
        """
        if name in self.procs and self.procs[name].alive():
            raise ProcessError(f"{name} is already running (pid {self.procs[name].pid})")
        proc = Process(
            name=name,
            argv=list(argv),
            log_path=self.logdir / f"{name}.log",
            env=dict(env) if env is not None else None,
            cwd=cwd,
            ready_file=ready_file,
            ready_timeout=ready_timeout,
            starts=self.procs[name].starts if name in self.procs else 0,
        )
        self.procs[name] = proc
        self._spawn(proc)
        return proc

    def _spawn(self, proc: Process) -> None:
        if proc.ready_file is not None:
            proc.ready_file.unlink(missing_ok=True)
        with proc.log_path.open("ab") as log:
            log.write(f"--- start {proc.starts + 1}: {proc.argv}\n".encode())
            log.flush()
            proc.popen = subprocess.Popen(
                proc.argv,
                env={**os.environ, **(proc.env or {})},
                cwd=proc.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc.starts += 1
        if proc.ready_file is not None:
            self._wait_ready(proc)

    def _wait_ready(self, proc: Process) -> None:
        assert proc.ready_file is not None
        deadline = time.monotonic() + proc.ready_timeout
        while not proc.ready_file.exists():
            if not proc.alive():
                raise ProcessError(
                    f"{proc.name} exited ({proc.returncode}) before it was ready:\n"
                    + self.log_tail(proc.name)
                )
            if time.monotonic() > deadline:
                self.kill(proc.name)
                raise ProcessError(
                    f"{proc.name} not ready after {proc.ready_timeout}s:\n"
                    + self.log_tail(proc.name)
                )
            time.sleep(0.05)

    def get(self, name: str) -> Process:
        try:
            return self.procs[name]
        except KeyError:
            raise ProcessError(f"no process named {name!r}") from None

    def alive(self, name: str) -> bool:
        return name in self.procs and self.procs[name].alive()

    def _signal_group(self, proc: Process, sig: int) -> None:
        if proc.popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.popen.pid, sig)

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 10) -> int | None:
        """Send ``sig`` to the child's group, wait ``timeout`` s, then SIGKILL it.

        Returns the exit status (negative: killed by that signal).
        """
        proc = self.get(name)
        if proc.popen is None:
            return None
        if proc.alive():
            self._signal_group(proc, sig)
            try:
                proc.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(proc, signal.SIGKILL)
                proc.popen.wait(timeout=10)
        # leftovers of the group (grandchildren) go too
        self._signal_group(proc, signal.SIGKILL)
        return proc.popen.returncode

    def kill(self, name: str) -> int | None:
        """SIGKILL the child's whole group at once (a crash, for tests)."""
        proc = self.get(name)
        if proc.popen is None:
            return None
        self._signal_group(proc, signal.SIGKILL)
        return proc.popen.wait(timeout=10)

    def restart(self, name: str, timeout: float = 10) -> Process:
        proc = self.get(name)
        self.stop(name, timeout=timeout)
        self._spawn(proc)
        return proc

    def stop_all(self, timeout: float = 10) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name, timeout=timeout)

    def log_text(self, name: str) -> str:
        path = self.get(name).log_path
        return path.read_text(errors="replace") if path.exists() else ""

    def log_tail(self, name: str, lines: int = 40) -> str:
        return "\n".join(self.log_text(name).splitlines()[-lines:])

    def wait_for_log(self, name: str, text: str, timeout: float = 30) -> bool:
        """Wait until ``text`` appears in the child's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text(name):
                return True
            time.sleep(0.05)
        return False

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()
