"""What a reader looks for on the chain, compose and CI parts of the demo's site, in a browser.

Each test runs with JavaScript and without (``reader``); ``Browser.open`` checks
that nothing outside the site was fetched and saves the screenshot.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from models import ComponentBuild
from models.compose_content import ComposeContent
from tests.e2e.browser import Browser
from tests.e2e.pipeline_world import FAILED_ITEM, PASSED_NVR, WAITING_ITEM
from tests.e2e.server import StaticSite
from tests.e2e.sites import DemoSite

pytestmark = pytest.mark.e2e


def test_chain_page_shows_its_tiers_drawn_and_listed(
    reader: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    chain = demo.pipeline.chain
    reader.open(demo_site, "chains/index.html")
    row = reader.row_with(f"Chain {chain}", reader.section("All rebuild chains"))
    assert reader.state_of(row) == "failed" and "rpms/stack-base@main" in row.text
    reader.follow(demo_site, row.find_element(By.LINK_TEXT, f"Chain {chain}"))
    assert reader.driver.current_url == demo_site.url(f"chains/{chain}.html")
    # The diagram: one column per tier, one box per stream with its state as text.
    columns = [t.text for t in reader.find_all("svg.chain-diagram text.tier")]
    assert columns == ["Tier 1", "Tier 2 (current)", "Tier 3"]
    boxes = {
        b.get_attribute("data-state"): b.get_attribute("data-tier")
        for b in reader.find_all("svg.chain-diagram g.item")
    }
    assert boxes == {"passed": "1", "failed": "2", "waiting": "3"}
    states = [t.text for t in reader.find_all("svg.chain-diagram text.item-state")]
    assert sorted(states) == ["failed", "passed", "waiting"]
    # The same as tables, tier by tier.
    failed = reader.row_with(FAILED_ITEM, reader.find("table#tier-2"))
    assert reader.state_of(failed) == "failed" and "component wobbly failed" in failed.text
    waiting = reader.row_with(WAITING_ITEM, reader.find("table#tier-3"))
    assert reader.state_of(waiting) == "waiting"
    stack = reader.row_with("stack:main", reader.find("table#tier-1"))
    reader.follow(demo_site, stack.find_element(By.PARTIAL_LINK_TEXT, "module build #"))
    assert reader.text("h1").startswith(f"Module build {demo.module_build_id('stack')}:")
    assert f"Chain {chain}" in reader.section("Rebuild chains").text


def test_compose_page_lists_its_contents_and_expiry(
    reader: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    ids = demo.pipeline
    reader.open(demo_site, "composes/index.html")
    listing = reader.section("All composes")
    for compose, state in ((ids.compose_done, "done"), (ids.compose_removed, "removed"),
                           (ids.compose_failed, "failed")):  # fmt: skip
        assert reader.state_of(reader.row_with(f"Compose {compose}", listing)) == state
    reader.open(demo_site, f"composes/{ids.compose_done}.html")
    contents = reader.section("Contents")
    for artifact in ids.contents:
        assert reader.rows_with(artifact, contents), artifact
    facts = reader.section("Summary").text
    assert "Expires" in facts and "odcs.example.org" in facts
    row = reader.row_with(PASSED_NVR, contents)
    reader.follow(demo_site, row.find_element(By.LINK_TEXT, "hello"))
    assert reader.text("h1") == "rpms/hello"
    held = reader.section("Composes containing its builds")
    assert reader.state_of(reader.row_with(f"Compose {ids.compose_done}", held)) == "done"
    reader.open(demo_site, f"composes/{ids.compose_failed}.html")
    assert "koji has no build nonexistent-1-1" in reader.section("Summary").text


def test_ci_verdicts_on_package_and_module_pages(
    reader: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    reader.open(demo_site, "packages/rpms/hello.html")
    ci = reader.section("CI results")
    assert PASSED_NVR in ci.text and "all required tests passed" in ci.text
    assert reader.state_of(ci) == "passed"
    result = reader.row_with("fedora-ci.tier0.functional", ci)
    link = result.find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href") == "https://ci.example.org/results/1"
    reader.open(demo_site, f"modules/{demo.module_build_id('stack')}.html")
    gating = reader.section("CI and gating")
    assert reader.state_of(gating) == "passed"
    assert reader.section("Compose membership").text.count("Compose ") >= 1


def test_the_demo_chain_rebuilt_its_three_tiers(
    reader: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    """The real chain of the demo: CI failed mid's rebuild, the fix resumed it, all passed."""
    reader.open(demo_site, f"chains/{demo.chain_id}.html")
    assert "complete" in reader.text("h1")
    boxes = {
        b.get_attribute("data-tier"): b.get_attribute("data-state")
        for b in reader.find_all("svg.chain-diagram g.item")
    }
    assert boxes == {"1": "passed", "2": "passed", "3": "passed"}
    for tier, stream in ((1, "low:main"), (2, "mid:main"), (3, "top:main")):
        row = reader.row_with(stream, reader.find(f"table#tier-{tier}"))
        assert reader.state_of(row) == "passed"
    trace = reader.section("State changes").text
    assert "failed CI" in trace and "complete" in trace  # stopped at tier 2, then resumed


def test_a_demo_module_compose_lists_the_module_rpms(
    reader: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    stack = demo.module_build_id("stack")
    with demo.session_factory() as session:
        query = select(ComponentBuild.nvr).where(ComponentBuild.module_build_id == stack)
        nvrs = sorted(session.scalars(query))
        compose_id = session.scalars(
            select(ComposeContent.compose_id).where(ComposeContent.artifact == nvrs[0])
        ).first()
    assert compose_id is not None and len(nvrs) == 4
    reader.open(demo_site, f"composes/{compose_id}.html")
    assert "done" in reader.text("h1")
    contents = reader.section("Contents").text
    assert all(nvr in contents for nvr in nvrs)
