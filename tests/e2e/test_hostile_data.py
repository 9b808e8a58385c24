"""Hostile data in a browser: markup, scripts, ``../`` and unicode render as text, run nothing.

Most hostile rows go straight into a SQLite database of their own (dist-git
cannot hold such package names); one hostile pusher and commit message go
through the demo's real pipeline. Every page is checked in a browser with
JavaScript (a payload that ran would open a dialog, trapped and recorded, or
mark the body) and without (an injected element would still be in the DOM).
"""

from __future__ import annotations

import json
import os

import pytest
from markupsafe import escape
from sqlalchemy import select

from models import RejectedMessage
from site_generator.paths import valid_component
from tests.e2e.browser import Browser, Browsers
from tests.e2e.server import StaticSite
from tests.e2e.sites import (
    HOSTILE_PACKAGE,
    HOSTILE_REASON,
    IMG,
    MIXED,
    RTL,
    SAFE_NAME,
    SVG,
    TRAVERSAL,
    UNICODE,
    XSS,
    DemoSite,
    HostileSite,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("kind", ["desktop", "nojs"])
def test_no_hostile_page_runs_or_injects_anything(
    kind: str, browsers: Browsers, hostile_site: StaticSite
) -> None:
    browser = browsers.get(kind)
    pages = hostile_site.html_pages()
    assert len(pages) >= 6, pages
    for rel in pages:
        browser.open(hostile_site, rel)
        browser.assert_nothing_injected()


def test_overview_shows_hostile_text_verbatim(desktop: Browser, hostile_site: StaticSite) -> None:
    desktop.open(hostile_site, "index.html")
    text = desktop.inner_text("main")
    for value in (XSS, IMG, TRAVERSAL, RTL, UNICODE, SVG):
        assert value in text, f"{value!r} is not shown as text"
    failures = desktop.section("Recent failures")
    assert desktop.state_of(desktop.row_with(f"rpms/{XSS}", failures)) == "failed"
    # Unsafe names have no page, so they are plain text, never links.
    for link in desktop.find_all("a"):
        href = link.get_attribute("href") or ""
        assert "passwd" not in href and "%3C" not in href.upper() and "<" not in href, href
    in_flight = desktop.section("In flight")
    assert desktop.state_of(desktop.row_with("rpms/evil-notes", in_flight)) == "building"


def test_package_list_links_only_safe_names(desktop: Browser, hostile_site: StaticSite) -> None:
    # The top index links its index pages; together they list every package.
    desktop.open(hostile_site, "packages/index.html")
    pages = [a.get_attribute("href") for a in desktop.find_all("main table a")]
    assert pages and all("/package-index/" in href for href in pages), pages
    text, linked, safe = "", [], None
    for href in pages:
        rel = href.split(hostile_site.origin + "/", 1)[1]
        desktop.open(hostile_site, rel)
        text += desktop.inner_text("main")
        links = desktop.find_all("main table a")
        linked += [a.text for a in links]
        if any((a.get_attribute("href") or "").endswith(f"{SAFE_NAME}.html") for a in links):
            safe = rel
    for name in (XSS, IMG, TRAVERSAL, UNICODE, RTL, "../../passwd"):
        assert name in text, name
    assert sorted(linked) == [f"rpms/{name}" for name in sorted(("evil-notes", SAFE_NAME))]
    # A name with URL-special characters still leads to its page.
    assert safe is not None
    desktop.open(hostile_site, safe)
    visit = desktop.follow(hostile_site, desktop.find(f'main a[href$="{SAFE_NAME}.html"]'))
    assert visit.rel == f"packages/rpms/{SAFE_NAME}.html"
    assert desktop.text("h1") == f"rpms/{SAFE_NAME}"
    row = desktop.row_with("libsigc++-3.6.0-1.fc44", desktop.section("Builds"))
    assert desktop.state_of(row) == "complete"
    assert UNICODE in desktop.inner_text("main")  # the pusher


def test_package_page_shows_hostile_fields_as_text(
    desktop: Browser, hostile_site: StaticSite
) -> None:
    desktop.open(hostile_site, "packages/rpms/evil-notes.html")
    builds = desktop.section("Builds")
    failed = desktop.row_with(f"{XSS}-1-1", builds)  # the NVR
    assert desktop.state_of(failed) == "failed"
    row_text = desktop.js("return arguments[0].innerText;", failed)
    for value in (SVG, XSS, IMG, RTL, UNICODE):  # branch, pusher, reason
        assert value in row_text, value
    history = desktop.inner_text("main")
    assert f"not built: {MIXED}" in history and TRAVERSAL in history
    desktop.assert_nothing_injected()


def test_module_page_shows_hostile_fields_as_text(
    desktop: Browser, hostile_site: StaticSite, hostile: HostileSite
) -> None:
    evil = hostile.module_ids["evil"]
    desktop.open(hostile_site, f"modules/{evil}.html")
    assert desktop.inner_text("h1").startswith(f"Module build {evil}: ../../etc:{XSS}:")
    main = desktop.inner_text("main")
    for value in (IMG, TRAVERSAL, XSS, RTL, UNICODE, "javascript:alert(4)"):
        assert value in main, value
    packages = [r.get_attribute("data-package") for r in desktop.find_all("tr[data-package]")]
    assert sorted(packages) == sorted([IMG, TRAVERSAL, UNICODE])
    tag = desktop.find("main dl a")
    assert tag.text == 'module-"><script>&x=1#'
    assert not set('"<> ') & set(tag.get_attribute("href") or ""), tag.get_attribute("href")
    # The timeline's SVG <title>s carry the reasons as text too.
    titles = desktop.js(
        "return Array.from(document.querySelectorAll('svg.timeline g title'), t => t.textContent);"
    )
    assert titles and all(MIXED in t for t in titles)  # type: ignore[union-attr]


def test_json_twin_keeps_hostile_values_and_renders_as_text(
    desktop: Browser, hostile_site: StaticSite, hostile: HostileSite
) -> None:
    rel = f"api/v1/module-builds/{hostile.module_ids['evil']}.json"
    desktop.open(hostile_site, rel)
    desktop.assert_nothing_injected()
    shown = desktop.js("return (document.querySelector('pre') || document.body).innerText;")
    twin = json.loads(str(shown))
    assert twin["module_build"]["owner"] == IMG
    assert twin["module_build"]["name"] == "../../etc"
    assert twin["module_build"]["stream"] == XSS


def test_hostile_push_through_the_pipeline_is_shown_escaped(
    desktop: Browser, demo_site: StaticSite, demo: DemoSite
) -> None:
    """The consumer refuses the pusher's name; the site shows the reason, quoting it as text."""
    with demo.session_factory() as session:
        reasons = list(session.scalars(select(RejectedMessage.reason)))
    assert reasons.count(HOSTILE_REASON) == 2, reasons
    # Pages that quote it, found on disk (escaped as the templates escape), then read.
    quoted = str(escape(HOSTILE_REASON))
    showing = [
        rel
        for rel in demo_site.html_pages()
        if quoted in (demo_site.root / rel).read_text(encoding="utf-8")
    ]
    assert showing, "no page shows why the hostile pushes were rejected"
    for rel in showing:
        desktop.open(demo_site, rel)
        desktop.assert_nothing_injected()
        assert HOSTILE_REASON in desktop.inner_text("main"), rel
    assert not (demo_site.root / "packages" / "rpms" / f"{HOSTILE_PACKAGE}.html").exists()


def test_render_writes_nothing_outside_the_output_directory(hostile: HostileSite) -> None:
    out = hostile.output_dir
    version = out.resolve()
    assert out.is_symlink() and version.parent == out.parent
    assert version.name.startswith(".site.v-")
    base = hostile.parent.parent
    assert {p.name.split("-")[0] for p in base.iterdir()} == {"hostile.sqlite", "out"}
    chain = {hostile.parent / "a", hostile.parent / "a" / "b"}
    beside = {out, version, out.parent / ".site.lock"}
    for path in hostile.parent.rglob("*"):
        if path in chain or path in beside:
            continue
        assert path.is_relative_to(version), f"written outside the site: {path}"
        assert not path.is_symlink(), path
        rel = path.relative_to(version)
        assert all(valid_component(part) for part in rel.parts), f"unsafe name {rel}"
    for root, dirs, files in os.walk(base):
        for name in dirs + files:
            assert "passwd" not in name and "<" not in name and ".." not in name, (root, name)
    assert sorted(p.name for p in (version / "packages").iterdir()) == ["index.html", "rpms"]
    assert sorted(p.name for p in (version / "packages" / "rpms").iterdir()) == sorted(
        ["evil-notes.html", f"{SAFE_NAME}.html"]
    )
    modules = {p.name for p in (version / "modules").iterdir()}
    assert modules == {"index.html", *(f"{i}.html" for i in hostile.module_ids.values())}
    # Nothing escaped with the pages either: the HTML never holds the raw markup.
    for page in version.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html, page


def test_chain_and_compose_pages_show_hostile_fields_as_text(
    desktop: Browser, hostile_site: StaticSite, hostile: HostileSite
) -> None:
    chain, compose = hostile.module_ids["chain"], hostile.module_ids["compose"]
    desktop.open(hostile_site, f"chains/{chain}.html")
    main = desktop.inner_text("main")
    for value in (f"{XSS}:{IMG}", MIXED, TRAVERSAL, UNICODE):
        assert value in main, value
    titles = desktop.js(
        "return Array.from(document.querySelectorAll('svg.chain-diagram g.item title'),"
        " t => t.textContent);"
    )
    assert any(MIXED in t for t in titles), titles  # type: ignore[union-attr]
    desktop.assert_nothing_injected()
    desktop.open(hostile_site, f"composes/{compose}.html")
    main = desktop.inner_text("main")
    for value in (MIXED, f"{XSS} {TRAVERSAL}", "javascript:alert(5)", f"{XSS}-1-1", SVG):
        assert value in main, value
    hrefs = [a.get_attribute("href") or "" for a in desktop.find_all("main a")]
    assert not [h for h in hrefs if h.startswith("javascript")], hrefs
    desktop.assert_nothing_injected()
