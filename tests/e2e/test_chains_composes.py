"""What a reader looks for on the chain, compose and CI parts of the demo's site, in a browser.

Each test runs with JavaScript and without (``reader``); ``Browser.open`` checks
that nothing outside the site was fetched and saves the screenshot.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

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
