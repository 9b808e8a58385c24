"""A private PostgreSQL cluster on loopback, run from Debian's postgresql package.

initdb and the server refuse to run as root, so when we are root every server
command runs as the ``postgres`` user through ``runuser``; the data directory and
the unix socket directory (both inside ``workdir``) belong to that user, so
``workdir`` itself must be traversable by it (pytest's 0700 tmp dirs are not).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

from sandbox.ports import LOOPBACK, free_port, port_is_free

PG_USER = "postgres"
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresError(RuntimeError):
    """The cluster did not start, stop or answer as asked."""


def pg_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/<major>/bin`` (not the /usr/bin wrappers)."""
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise PostgresError("no PostgreSQL under /usr/lib/postgresql/*/bin")
    return found[-1]


class PostgreSQL:
    """One cluster; ``start()`` runs initdb the first time, keeps data across restarts."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir).resolve()
        self.port = port or free_port()
        self.bindir = pg_bindir()
        self.start_seconds: float | None = None
        self._as_root = os.geteuid() == 0

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    @property
    def socketdir(self) -> Path:
        return self.workdir / "run"

    @property
    def logfile(self) -> Path:
        return self.workdir / "postgres.log"

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver) of database ``dbname``."""
        return f"postgresql+psycopg://{PG_USER}@{LOOPBACK}:{self.port}/{dbname}"

    def _run_server_cmd(self, *argv: str, timeout: float = 60) -> str:
        cmd = [str(self.bindir / argv[0]), *argv[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        done = subprocess.run(
            cmd,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
        if done.returncode != 0:
            raise PostgresError(f"{argv[0]} failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done.stdout

    def _own(self, path: Path) -> None:
        if self._as_root:
            shutil.chown(path, PG_USER, PG_USER)

    def _initdb(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for d in (self.datadir, self.socketdir):
            d.mkdir(mode=0o700, exist_ok=True)
            self._own(d)
        if self._as_root:
            probe = subprocess.run(
                ["runuser", "-u", PG_USER, "--", "test", "-w", str(self.socketdir)],
                check=False,
            )
            if probe.returncode != 0:
                raise PostgresError(
                    f"user {PG_USER} cannot reach {self.workdir}: make its parents "
                    "world-traversable (pytest tmp dirs are 0700)"
                )
        self._run_server_cmd(
            "initdb",
            "-D", str(self.datadir),
            "-U", PG_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )  # fmt: skip

    def _write_settings(self) -> None:
        conf = self.datadir / "conveyor-sandbox.conf"
        conf.write_text(
            f"listen_addresses = '{LOOPBACK}'\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{self.socketdir}'\n"
            "max_connections = 200\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
            "log_min_messages = warning\n"
        )
        self._own(conf)
        main = self.datadir / "postgresql.conf"
        include = "include = 'conveyor-sandbox.conf'\n"
        if include not in main.read_text():
            with main.open("a") as fh:
                fh.write("\n" + include)

    def start(self, timeout: float = 60) -> PostgreSQL:
        if self.running:
            return self
        began = time.monotonic()
        if not (self.datadir / "PG_VERSION").exists():
            self._initdb()
        if not port_is_free(self.port):
            raise PostgresError(f"port {self.port} is already taken")
        self._write_settings()
        if not self.logfile.exists():
            self.logfile.touch()
            self._own(self.logfile)
        self._run_server_cmd(
            "pg_ctl", "start", "-w", "-t", str(int(timeout)),
            "-D", str(self.datadir), "-l", str(self.logfile),
            timeout=timeout + 10,
        )  # fmt: skip
        self.start_seconds = time.monotonic() - began
        return self

    @property
    def running(self) -> bool:
        pidfile = self.datadir / "postmaster.pid"
        if not pidfile.exists():
            return False
        try:
            pid = int(pidfile.read_text().split()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return False
        return True

    def stop(self, timeout: float = 60) -> None:
        if self.running:
            self._run_server_cmd(
                "pg_ctl", "stop", "-w", "-m", "fast", "-t", str(int(timeout)),
                "-D", str(self.datadir),
                timeout=timeout + 10,
            )  # fmt: skip

    def restart(self, timeout: float = 60) -> PostgreSQL:
        self.stop(timeout=timeout)
        return self.start(timeout=timeout)

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run one SQL string with psql over TCP; return its unaligned output."""
        done = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h", LOOPBACK, "-p", str(self.port), "-U", PG_USER, "-d", dbname,
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise PostgresError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def create_database(self, name: str) -> str:
        """Create database ``name`` if it does not exist; return its SQLAlchemy URL."""
        if not _DB_NAME.match(name):
            raise ValueError(f"unsafe database name {name!r}")
        try:
            self.psql(f'CREATE DATABASE "{name}"')
        except PostgresError as err:
            if "already exists" not in str(err):
                raise
        return self.url(name)

    def drop_database(self, name: str) -> None:
        if not _DB_NAME.match(name):
            raise ValueError(f"unsafe database name {name!r}")
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __enter__(self) -> PostgreSQL:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
