"""Fixtures of the browser tests: the demo's site and a hostile site, served; Chromium drivers.

One demo sandbox per session (about half a minute): it runs ``conveyor demo``'s
two scenarios, settles, stops, and its rendered site is served by http.server
on 127.0.0.1. Drivers are started once per session and kind (desktop, phone,
JavaScript disabled). Screenshots go to ``$CONVEYOR_ARTIFACTS/screenshots`` or
``test-artifacts/screenshots`` in the repository, emptied at the start of a run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.broker import RabbitMQ
from tests.e2e.browser import Browser, Browsers, artifacts_dir, fresh_dir
from tests.e2e.server import StaticSite, serve
from tests.e2e.sites import DemoSite, HostileSite, build_demo_site, build_hostile_site

REPO_ROOT = Path(__file__).resolve().parents[2]
_summary: list[str] = []


@pytest.fixture(scope="session")
def e2e_dir() -> Iterator[Path]:
    """The session's scratch directory (kept with CONVEYOR_KEEP_SANDBOX=1)."""
    path = Path(tempfile.mkdtemp(prefix="conveyor-e2e-"))
    path.chmod(0o755)
    yield path
    if os.environ.get("CONVEYOR_KEEP_SANDBOX") == "1":
        _summary.append(f"e2e sandbox kept in {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def rabbitmq(e2e_dir: Path) -> Iterator[RabbitMQ]:
    """Like tests/integration's fixture of the same name: a private broker on loopback."""
    broker = RabbitMQ(e2e_dir / "rabbitmq").start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def demo(rabbitmq: RabbitMQ, e2e_dir: Path) -> DemoSite:
    built = build_demo_site(e2e_dir / "demo", rabbitmq)
    laps = ", ".join(f"{k} {v:.1f}s" for k, v in built.timings.items())
    _summary.append(f"e2e demo site: {built.stats.pages} pages and JSON twins ({laps})")
    return built


@pytest.fixture(scope="session")
def demo_site(demo: DemoSite) -> Iterator[StaticSite]:
    site = serve("demo", demo.output_dir)
    yield site
    site.stop()


@pytest.fixture(scope="session")
def hostile(e2e_dir: Path) -> HostileSite:
    return build_hostile_site(e2e_dir / "hostile")


@pytest.fixture(scope="session")
def hostile_site(hostile: HostileSite) -> Iterator[StaticSite]:
    site = serve("hostile", hostile.output_dir)
    yield site
    site.stop()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    path = fresh_dir(artifacts_dir(REPO_ROOT) / "screenshots")
    _summary.append(f"e2e screenshots: {path}")
    return path


@pytest.fixture(scope="session")
def browsers(screenshots: Path) -> Iterator[Browsers]:
    pool = Browsers(screenshots)
    yield pool
    pool.quit()


@pytest.fixture
def desktop(browsers: Browsers) -> Browser:
    return browsers.get("desktop")


@pytest.fixture
def phone(browsers: Browsers) -> Browser:
    return browsers.get("phone")


@pytest.fixture
def nojs(browsers: Browsers) -> Browser:
    return browsers.get("nojs")


@pytest.fixture(params=["desktop", "nojs"])
def reader(request: pytest.FixtureRequest, browsers: Browsers) -> Browser:
    """The content checks run twice: with JavaScript, and without (the pages need none)."""
    return browsers.get(request.param)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _summary:
        terminalreporter.write_line(line)
    shots = artifacts_dir(REPO_ROOT) / "screenshots"
    if any(line.startswith("e2e screenshots") for line in _summary):
        terminalreporter.write_line(f"  {len(list(shots.glob('*.png')))} PNG files")
