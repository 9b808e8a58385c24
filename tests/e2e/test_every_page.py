"""Every HTML page of the demo's site, in three browsers: desktop, phone, JavaScript off.

The pages are found on disk, so a new page (a feed's HTML view, the search
page, the operators page) is covered as soon as the renderer writes it: it
must fetch nothing outside the site, raise no JavaScript error, fit a phone's
width, read without JavaScript, link only to files that exist, and have a
JSON twin that parses (any feed it announces must be well-formed XML). Its
screenshots land in the artifacts directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest

from tests.e2e.browser import PHONE, Browser
from tests.e2e.server import StaticSite

pytestmark = pytest.mark.e2e

# Pages the demo's site must have (more may exist; all of them are checked).
EXPECTED = {
    "index.html",
    "packages/index.html",
    "packages/rpms/hello.html",
    "packages/rpms/cowsay.html",
    "packages/rpms/broken-lib.html",
    "modules/index.html",
    "chains/index.html",
    "composes/index.html",
    "streams/index.html",
    "streams/stack/main.html",  # recorded by the demo's push of modules/stack
}

_LINKS = """
return Array.from(document.querySelectorAll("a[href]"), a => [a.getAttribute("href"), a.href]);
"""


def _own_target(site: StaticSite, absolute: str) -> Path | None:
    """The file an own-origin link points at (None for other origins)."""
    parts = urlsplit(absolute)
    if f"{parts.scheme}://{parts.netloc}" != site.origin:
        return None
    path = unquote(parts.path).lstrip("/") or "index.html"
    return site.root / (path + "index.html" if path.endswith("/") else path)


def _check_links(browser: Browser, site: StaticSite, rel: str) -> None:
    for raw, absolute in browser.js(_LINKS):  # type: ignore[union-attr]
        if raw.startswith("#"):
            anchor = raw[1:]
            found = browser.js("return document.getElementById(arguments[0]) !== null;", anchor)
            assert found, f"{rel}: link {raw} points at no element"
            continue
        target = _own_target(site, absolute)
        if target is not None:
            assert target.resolve().is_relative_to(site.root), f"{rel}: {raw} leaves the site"
            assert target.is_file(), f"{rel}: broken link {raw}"


def _check_alternates(browser: Browser, site: StaticSite, rel: str) -> None:
    """The page's JSON twin (exactly one) and any feed it announces exist and parse."""
    kinds = []
    for link in browser.find_all('link[rel="alternate"]'):
        kind = link.get_attribute("type") or ""
        target = _own_target(site, link.get_attribute("href") or "")
        assert target is not None and target.is_file(), f"{rel}: {kind} alternate missing"
        if kind == "application/json":
            json.loads(target.read_text(encoding="utf-8"))
        elif kind.endswith("xml"):
            ElementTree.parse(target)  # well-formed (an Atom feed)
        kinds.append(kind)
    assert kinds.count("application/json") == 1, f"{rel}: a page has exactly one JSON twin"


def test_every_page_on_desktop(desktop: Browser, demo_site: StaticSite) -> None:
    pages = demo_site.html_pages()
    assert set(pages) >= EXPECTED, sorted(EXPECTED - set(pages))
    for kind in ("modules", "chains", "composes"):  # a detail page of each kind
        assert any(p.startswith(f"{kind}/") and p != f"{kind}/index.html" for p in pages), kind
    for rel in pages:
        visit = desktop.open(demo_site, rel)
        assert desktop.text("h1"), f"{rel}: no heading"
        assert desktop.driver.title.endswith("Conveyor"), rel
        desktop.assert_nothing_injected()  # the demo has a hostile pusher's rejection too
        _check_links(desktop, demo_site, rel)
        _check_alternates(desktop, demo_site, rel)
        assert visit.screenshot.stat().st_size > 1000, rel
    # The server's side of the story: nothing the browser asked for was missing.
    missing = [(p, code) for p, code in demo_site.served if code >= 400 and "favicon" not in p]
    assert not missing, missing


def test_every_page_fits_a_phone(phone: Browser, demo_site: StaticSite) -> None:
    overflowing = {}
    for rel in demo_site.html_pages():
        phone.open(demo_site, rel)
        assert phone.js("return window.screen.width;") == PHONE[0]
        found = phone.overflow(PHONE[0])
        if found:
            overflowing[rel] = found
    assert not overflowing, f"pages wider than a {PHONE[0]}px phone: {overflowing}"


def test_every_page_reads_without_javascript(nojs: Browser, demo_site: StaticSite) -> None:
    for rel in demo_site.html_pages():
        nojs.open(demo_site, rel)
        assert nojs.text("h1"), f"{rel}: no heading without JavaScript"
        main = nojs.text("main")
        assert len(main) > 40, f"{rel}: main is (nearly) empty without JavaScript: {main!r}"
    # The driver really runs with JavaScript off: a page's own script does nothing.
    nojs.driver.get("data:text/html,<title>t</title><script>document.title='ran'</script>")
    assert nojs.driver.title == "t"
