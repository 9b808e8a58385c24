"""The PDC sink on a real PostgreSQL, driven by real ``conveyor`` processes.

The F29 module metadata is loaded with ``conveyor deps load``; two ``conveyor pdc
initialize`` processes then race to push it into the sandbox PDC (a real HTTP
server): PDC must end with every relationship exactly once and ``conveyor pdc
audit`` must find no drift.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from conveyor.db import make_session_factory
from conveyor.pdc.desired import desired_state
from conveyor.pdc.sync import queue_changes
from models import PdcUpdate
from models.base import utcnow
from sandbox.pdc_server import PdcServer
from sandbox.postgres import PostgreSQL

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

F29 = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "modulemd"
    / "libmodulemd__modulemd__tests__test_data__f29.yaml"
)
CONVEYOR = str(Path(sys.executable).parent / "conveyor")
TESTMODULE = F29.parent / "mbs__staged_data__formatted_testmodule.yaml"
TOKEN = "integration-token"
RELEASE = "fedora-29"


def conveyor(url: str, settings: Path | None, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CONVEYOR_DATABASE_URL": url}
    env.pop("CONVEYOR_SETTINGS", None)
    extra = ["--settings", str(settings)] if settings else []
    return subprocess.Popen(
        [CONVEYOR, *args, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def finished(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


@pytest.fixture
def pdc_server():
    server = PdcServer(token=TOKEN, page_size=20).start()
    yield server
    server.stop()


def test_two_initializers_race_and_pdc_holds_everything_once(
    postgres: PostgreSQL, pdc_server: PdcServer, tmp_path: Path
) -> None:
    url = postgres.create_database("pdc_sink")
    settings = tmp_path / "settings.yaml"
    pdc = {"enabled": True, "url": pdc_server.url, "token": TOKEN, "release": RELEASE}
    site = {"output_dir": str(tmp_path / "site")}
    settings.write_text(yaml.safe_dump({"pdc": pdc, "site": site}), encoding="utf-8")
    for args in (("db", "upgrade"), ("deps", "load", str(F29))):
        code, out, err = finished(conveyor(url, None, *args))
        assert code == 0, out + err

    factory = make_session_factory(url)
    try:
        with factory() as session:
            desired = desired_state(session, RELEASE)
        assert len(desired.relationships) > 100  # the F29 corpus: a real amount of work

        code, out, _ = finished(conveyor(url, settings, "pdc", "audit"))
        assert code == 2 and len(out.splitlines()) == len(desired.relationships)

        started = time.monotonic()
        racers = [conveyor(url, settings, "pdc", "initialize") for _ in range(2)]
        results = [finished(p) for p in racers]
        seconds = time.monotonic() - started
        assert [code for code, _, _ in results] == [0, 0], results
        print(f"\n{len(desired.relationships)} relationships pushed by two racing "
              f"initializers in {seconds:.1f}s, {len(pdc_server.requests)} requests")  # fmt: skip

        rows = pdc_server.relationship_rows()
        assert Counter(rows).most_common(1)[0][1] == 1  # no relationship twice
        assert {(r.type, r.from_name, r.to_name) for r in desired.relationships} == set(rows)
        components = Counter(
            (c["release"], c["name"], c["type"]) for c in pdc_server.store.components.values()
        )
        assert components.most_common(1)[0][1] == 1

        with factory() as session:
            states = dict(
                session.execute(
                    select(PdcUpdate.state, func.count()).group_by(PdcUpdate.state)
                ).all()
            )
        assert set(states) == {"sent"}
        code, out, err = finished(conveyor(url, settings, "pdc", "audit"))
        assert code == 0, out + err
        # cron's view agrees: everything it would queue was already sent
        assert queue_changes(factory, RELEASE, utcnow()) == 0

        # a new definition is recorded: one run of the real cron process pushes it
        code, out, err = finished(conveyor(url, None, "deps", "load", str(TESTMODULE)))
        assert code == 0, out + err
        code, out, err = finished(conveyor(url, settings, "cron", "--once"))
        assert code == 0, out + err
        assert "pdc: 5 changes queued; 5 sent, 0 to retry, 0 failed" in err
        assert ("ModuleRequires", "testmodule:master", "platform:f28") in (
            pdc_server.relationship_rows()
        )
        code, out, err = finished(conveyor(url, settings, "pdc", "audit"))
        assert code == 0, out + err
    finally:
        factory.kw["bind"].dispose()
