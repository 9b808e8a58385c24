"""What a packager looks for on the demo scenario's site, read in a real browser.

Each test runs twice (``reader``): with JavaScript and with JavaScript disabled,
since every page must be readable without it. ``Browser.open`` already checks
that the page fetched nothing outside the site, raised no error and opened no
dialog, and saves its screenshot.
"""

from __future__ import annotations

import itertools

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from models import Build, ComponentBuild, ModuleBuild, ModuleBuildTransition, Package
from sandbox.demo import STACK
from tests.e2e.browser import Browser
from tests.e2e.server import StaticSite
from tests.e2e.sites import DemoSite

pytestmark = pytest.mark.e2e


def _build(demo: DemoSite, name: str, nvr: str) -> Build:
    with demo.session_factory() as session:
        build = session.scalars(
            select(Build).join(Build.package).where(Package.name == name, Build.nvr == nvr)
        ).one()
        session.expunge(build)
        return build


def test_overview_shows_what_is_in_flight_and_what_failed(
    reader: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    reader.open(demo_site, "index.html")
    assert reader.text("h1") == "Build overview"
    # The scenario has settled: nothing is queued or building, and the page says so.
    assert "No build is queued or building." in reader.section("In flight").text
    failures = reader.section("Recent failures")
    broken = reader.row_with("rpms/broken-lib", failures)
    assert reader.state_of(broken) == "failed"
    assert _build(demo, "broken-lib", "broken-lib-0.1-1.fc44").state_reason in broken.text
    assert not reader.rows_with("rpms/hello", failures)
    recent = reader.section("Recent builds")
    for nvr in ("hello-2.12-1.fc44", "hello-2.12-1.fc43", "hello-2.12-2.fc44",
                "cowsay-3.7.0-1.fc44"):  # fmt: skip
        assert reader.state_of(reader.row_with(nvr, recent)) == "complete", nvr
    modules = reader.section("Module builds").text
    assert f"All {demo.module_build_count()} module builds" in modules


def test_reader_follows_a_failure_to_its_package_page(
    reader: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    reader.open(demo_site, "index.html")
    row = reader.row_with("rpms/broken-lib", reader.section("Recent failures"))
    visit = reader.follow(demo_site, row.find_element(By.LINK_TEXT, "rpms/broken-lib"))
    assert visit.rel == "packages/rpms/broken-lib.html"
    assert reader.text("h1") == "rpms/broken-lib"
    build = _build(demo, "broken-lib", "broken-lib-0.1-1.fc44")
    assert build.state_reason, "koji's reason must be recorded"
    row = reader.row_with("broken-lib-0.1-1.fc44", reader.section("Builds"))
    assert reader.state_of(row) == "failed"
    assert build.state_reason in row.text
    task = row.find_element(By.PARTIAL_LINK_TEXT, "task ")
    web = demo.settings.koji.web_url.rstrip("/")
    assert task.get_attribute("href") == f"{web}/taskinfo?taskID={build.koji_task_id}"


def test_package_page_shows_complete_builds(reader: Browser, demo_site: StaticSite) -> None:
    reader.open(demo_site, "packages/rpms/hello.html")
    assert reader.text("h1") == "rpms/hello"
    builds = reader.section("Builds")
    for nvr, branch in (("hello-2.12-1.fc44", "rawhide"), ("hello-2.12-1.fc43", "f43"),
                        ("hello-2.12-2.fc44", "rawhide")):  # fmt: skip
        row = reader.row_with(nvr, builds)
        assert reader.state_of(row) == "complete", nvr
        assert branch in row.text and "alice" in row.text
    # Every build has its state trace; the table links to it.
    reader.row_with("hello-2.12-1.fc44", builds).find_element(By.LINK_TEXT, "hello-2.12-1.fc44")
    assert len(reader.find_all("section.trace")) == 3


def test_refused_and_unmapped_pushes_say_why(reader: Browser, demo_site: StaticSite) -> None:
    reader.open(demo_site, "packages/rpms/cowsay.html")
    history = reader.section("Branch history")
    mallory = reader.row_with("mallory", history)
    assert "not built: pusher 'mallory' is not allowed" in mallory.text
    unmapped = reader.row_with("feature-x", history)
    assert "not built: branch 'feature-x' maps to no koji target" in unmapped.text
    # Neither push built anything: cowsay has its one build from bob's push.
    assert [r.text.split()[0] for r in reader.find_all("tbody tr", reader.section("Builds"))] == [
        "cowsay-3.7.0-1.fc44"
    ]


def test_module_list_shows_both_modules_ready(reader: Browser, demo_site: StaticSite) -> None:
    reader.open(demo_site, "modules/index.html")
    listing = reader.section("All module builds")
    for name in ("stack", "wob"):
        row = reader.row_with(f"{name}:main:", listing)
        assert reader.state_of(row) == "ready", name
        assert row.get_attribute("data-state") == "ready"
    stack = reader.row_with("stack:main:", listing)
    assert "4 / 4" in stack.text and "3 / 3" in stack.text  # components done, batches


def test_module_detail_shows_batches_in_order_with_koji_links_and_timeline(
    reader: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    stack_id = demo.module_build_id("stack")
    reader.open(demo_site, "modules/index.html")
    link = reader.row_with("stack:main:", reader.section("All module builds"))
    reader.follow(demo_site, link.find_element(By.PARTIAL_LINK_TEXT, "stack:main:"))
    assert reader.driver.current_url == demo_site.url(f"modules/{stack_id}.html")
    assert reader.text("h1").startswith(f"Module build {stack_id}: stack:main:")
    assert reader.state_of(reader.find("h1")) == "ready"

    with demo.session_factory() as session:
        components = {
            c.package: c
            for c in session.scalars(
                select(ComponentBuild).where(ComponentBuild.module_build_id == stack_id)
            )
        }
        transitions = list(session.scalars(
            select(ModuleBuildTransition)
            .where(ModuleBuildTransition.module_build_id == stack_id)
            .order_by(ModuleBuildTransition.at, ModuleBuildTransition.id)
        ))  # fmt: skip
        session.expunge_all()

    # Three batches, in order, each with its components (the demo's tiers).
    batches = reader.find_all("section.batch")
    headings = [b.find_element(By.CSS_SELECTOR, "h3").text for b in batches]
    assert [h.split(" (")[0] for h in headings] == ["Batch 1", "Batch 2", "Batch 3"], headings
    web = demo.settings.koji.web_url.rstrip("/")
    tasks_by_batch = []
    for number, batch in enumerate(batches, start=1):
        rows = reader.find_all("tbody tr", batch)
        packages = sorted(r.get_attribute("data-package") for r in rows)
        assert packages == sorted(p for p, tier in STACK.items() if tier == number)
        tasks = []
        for row in rows:
            component = components[row.get_attribute("data-package")]
            assert reader.state_of(row) == "complete"
            assert component.nvr and component.nvr in row.text
            task = row.find_element(By.PARTIAL_LINK_TEXT, "task ")
            assert task.text == f"task {component.koji_task_id}"
            assert task.get_attribute("href") == (f"{web}/taskinfo?taskID={component.koji_task_id}")
            tasks.append(component.koji_task_id)
        tasks_by_batch.append(tasks)
    # A batch is built only once the one before it is done: task ids grow batch by batch.
    for earlier, later in itertools.pairwise(tasks_by_batch):
        assert max(earlier) < min(later), tasks_by_batch

    # The state timeline: an inline SVG, drawn, one marker per state change, in order.
    svg = reader.find("svg.timeline")
    assert svg.is_displayed() and svg.size["width"] > 100 and svg.size["height"] > 20
    labels = [
        m.find_element(By.CSS_SELECTOR, "text").text for m in reader.find_all("g.marker", svg)
    ]
    assert labels == [t.to_state for t in transitions] == ["init", "wait", "build", "done",
                                                           "ready"]  # fmt: skip
    listed = reader.find_all("ol.timeline-list li")
    assert len(listed) == len(transitions)
    assert all(t.to_state in li.text for t, li in zip(transitions, listed, strict=True))


def test_failed_then_resumed_module_shows_its_history(
    reader: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    wob_id = demo.module_build_id("wob")
    reader.open(demo_site, f"modules/{wob_id}.html")
    assert reader.state_of(reader.find("h1")) == "ready"
    labels = [
        m.find_element(By.CSS_SELECTOR, "text").text
        for m in reader.find_all("svg.timeline g.marker")
    ]
    assert "failed" in labels and labels[-1] == "ready", labels
    assert labels.index("failed") < len(labels) - 1
    wobbly = reader.find('tr[data-package="wobbly"]')
    assert reader.state_of(wobbly) == "complete"
    with demo.session_factory() as session:
        state = session.scalar(select(ModuleBuild.state).where(ModuleBuild.id == wob_id))
    assert state == "ready"
