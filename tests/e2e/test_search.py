"""The artifact search, as a reader uses it: the box in every page's header, then the results.

search.js fetches search-index.json from the site itself; an exact package
name, NVR or NSVC opens its page, anything else lists matches. Hostile labels
(an NVR or NSVC made of markup) must come out as text.
"""

from __future__ import annotations

import time

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.keys import Keys

from tests.e2e.browser import Browser, Visit
from tests.e2e.server import StaticSite
from tests.e2e.sites import IMG, XSS, DemoSite, HostileSite

pytestmark = pytest.mark.e2e

_SETTLED = """
const status = document.getElementById("search-status");
if (!location.pathname.endsWith("/search.html")) return "left";
if (!status) return "no status";
const text = status.textContent;
return text && !text.startsWith("Loading") && !text.startsWith("Opening") ? "listed" : "";
"""


def search(browser: Browser, site: StaticSite, query: str) -> Visit:
    """Type ``query`` into the header's search box of the current page and press Enter."""

    def type_and_submit() -> None:
        before = browser.driver.current_url
        box = browser.find('form[role="search"] input[type="search"]')
        box.clear()
        box.send_keys(query, Keys.ENTER)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                moved = browser.driver.current_url != before
                loaded = moved and browser.js("return document.readyState") == "complete"
                if loaded and browser.js(_SETTLED):
                    return
            except WebDriverException:
                pass  # a navigation (the jump to an exact match) was under way
            time.sleep(0.05)
        raise AssertionError(f"searching {query!r} never settled on {browser.driver.current_url}")

    return browser.load(site, type_and_submit, settle=0.3)


def results(browser: Browser) -> list[tuple[str, str]]:
    """(label, href) of every result listed."""
    return [(a.text, a.get_attribute("href") or "") for a in browser.find_all("#search-results a")]


def test_exact_nvr_opens_its_build(desktop: Browser, demo_site: StaticSite) -> None:
    desktop.open(demo_site, "index.html")
    visit = search(desktop, demo_site, "hello-2.12-1.fc44")
    assert visit.rel.startswith("packages/rpms/hello.html#build-"), visit.rel
    anchor = visit.rel.split("#", 1)[1]
    trace = desktop.find(f"section#{anchor}")
    assert "hello-2.12-1.fc44" in trace.text and desktop.state_of(trace) == "complete"
    assert any(u.endswith("/search-index.json") for u in visit.requests)


def test_partial_name_lists_matches(desktop: Browser, demo_site: StaticSite) -> None:
    desktop.open(demo_site, "packages/index.html")
    search(desktop, demo_site, "stack-")
    listed = results(desktop)
    labels = [label for label, _ in listed]
    for name in ("stack-app", "stack-base", "stack-lib", "stack-tool"):
        assert name in labels, labels
    assert all(href.startswith(demo_site.origin + "/") for _, href in listed)
    link = next(a for a in desktop.find_all("#search-results a") if a.text == "stack-lib")
    visit = desktop.follow(demo_site, link)
    assert visit.rel == "packages/rpms/stack-lib.html"


def test_module_stream_opens_and_nsvc_is_found(
    desktop: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    # "wob:main" is the label of the stream's entry (search.py indexes module streams
    # since caf1700): an exact label opens the stream page.
    desktop.open(demo_site, "index.html")
    visit = search(desktop, demo_site, "wob:main")
    assert visit.rel == "streams/wob/main.html", visit.rel
    # The start of the stream's NSVCs lists its module builds.
    desktop.open(demo_site, "index.html")
    search(desktop, demo_site, "wob:main:")
    listed = results(desktop)
    wob = demo.module_build_id("wob")
    assert any(href == demo_site.url(f"modules/{wob}.html") for _, href in listed), listed


def test_no_match_says_so(desktop: Browser, demo_site: StaticSite) -> None:
    desktop.open(demo_site, "index.html")
    search(desktop, demo_site, "no-such-thing")
    assert results(desktop) == []
    assert "Nothing matches" in desktop.text("#search-status")


def test_search_without_javascript_points_to_the_indexes(
    nojs: Browser, demo_site: StaticSite
) -> None:
    nojs.open(demo_site, "search.html?q=hello")
    text = nojs.text("main")
    assert "JavaScript" in text
    links = {a.get_attribute("href") for a in nojs.find_all("main a")}
    assert demo_site.url("packages/index.html") in links


def test_hostile_labels_are_listed_as_text(
    desktop: Browser, hostile_site: StaticSite, hostile: HostileSite
) -> None:
    desktop.open(hostile_site, "index.html")
    search(desktop, hostile_site, "script")
    desktop.assert_nothing_injected()
    labels = [label for label, _ in results(desktop)]
    assert f"{XSS}-1-1" in labels, labels  # the hostile NVR
    assert any(label.startswith(f"../../etc:{XSS}:") for label in labels), labels  # the NSVC
    evil = hostile.module_ids["evil"]
    assert hostile_site.url(f"modules/{evil}.html") in [h for _, h in results(desktop)]
    # A hostile query is echoed as text, too.
    search(desktop, hostile_site, IMG)
    desktop.assert_nothing_injected()
    assert IMG in desktop.inner_text("#search-status")
    assert not desktop.find_all("#search-results img, main img")
