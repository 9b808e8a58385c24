"""A small world for the PDC sink tests: a local PDC server and Conveyor stores to push."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from conveyor.deps.load import LoadReport, load_text
from conveyor.settings_pdc import PdcSettings
from models import ComponentBuild, Compose, ComposeContent, ModuleBuild

MODULEMD = Path(__file__).resolve().parents[1] / "data" / "modulemd"
TESTMODULE = MODULEMD / "mbs__staged_data__formatted_testmodule.yaml"
RELEASE = "fedora-29"
TOKEN = "s3cret"
T0 = datetime(2026, 11, 22, 12, 0, 0)


def pdc_settings(url: str, **overrides) -> PdcSettings:
    values = {
        "enabled": True,
        "url": url,
        "token": TOKEN,
        "release": RELEASE,
        "timeout": 5.0,
        "max_attempts": 3,
        "backoff_seconds": 10.0,
        "backoff_max_seconds": 60.0,
        **overrides,
    }
    return PdcSettings(**values)


def load_modulemd(session_factory, *paths: Path) -> None:
    """Record real modulemd files through the module knower's loader."""
    with session_factory.begin() as session:
        for path in paths:
            load_text(session, path.read_text(encoding="utf-8"), origin=str(path),
                      report=LoadReport())  # fmt: skip


def add_ready_module(session_factory) -> str:
    """A finished module build of testmodule; returns its uid."""
    with session_factory.begin() as session:
        build = ModuleBuild(
            name="testmodule", stream="master", version=20180205135154, context="c2c572ec",
            scmurl="https://src.example/modules/testmodule?#abc", commit="a" * 40,
            owner="alice", modulemd=TESTMODULE.read_text(encoding="utf-8"), state="ready",
            koji_tag="module-testmodule-master-20180205135154-c2c572ec",
            buildrequires={"platform:f28": "module-f28-build"},
        )  # fmt: skip
        build.components.append(
            ComponentBuild(
                package="tangerine",
                ref="master",
                commit="b" * 40,
                repository="https://src.example/rpms/tangerine",
                batch=2,
                state="complete",
                nvr="tangerine-0.22-3.module_c2c572ec",
                koji_task_id=77,
                koji_build_id=78,
            )
        )
        session.add(build)
    return "testmodule:master:20180205135154:c2c572ec"


def add_done_compose(session_factory, rpms: list[tuple[str, str]]) -> str:
    """A done compose holding ``rpms`` ((NVR, arch) pairs); returns its PDC compose id."""
    with session_factory.begin() as session:
        compose = Compose(
            owner="alice", source_type="module", source="testmodule:master", state="done",
            time_done=T0, time_to_expire=T0 + timedelta(days=1), release=RELEASE,
        )  # fmt: skip
        session.add(compose)
        session.flush()
        for nvr, arch in rpms:
            name = nvr.rsplit("-", 2)[0]
            session.add(ComposeContent(compose_id=compose.id, kind="rpm", artifact=nvr,
                                       name=name, arch=arch))  # fmt: skip
        return f"conveyor-{compose.id}"
