"""The browser checks themselves catch what they are for (else every other test proves nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import Browser, Browsers
from tests.e2e.server import StaticSite, serve

pytestmark = pytest.mark.e2e

HEAD = '<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">'
BAD_PAGES = {
    "external.html": f'{HEAD}<h1>x</h1><img src="http://127.0.0.2:9/tracker.png" alt="">',
    "font.html": f"{HEAD}<style>@font-face {{ font-family: f; src: url(http://127.0.0.2:9/f) }}"
    "h1 { font-family: f }</style><h1>x</h1>",
    "dialog.html": f"{HEAD}<h1>x</h1><script>alert(1)</script>",
    "injected.html": f'{HEAD}<h1>x</h1><p>"><b onmouseover="alert(2)">hover</b></p>',
    "wide.html": f'{HEAD}<h1>x</h1><div style="width:600px">wide</div>',
    "fine.html": f"{HEAD}<title>t · Conveyor</title><h1>fine</h1>",
}


@pytest.fixture(scope="module")
def bad_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticSite]:
    root: Path = tmp_path_factory.mktemp("bad-site")
    for name, html in BAD_PAGES.items():
        (root / name).write_text(html, encoding="utf-8")
    site = serve("harness", root)
    yield site
    site.stop()


def test_a_request_outside_the_site_fails_the_page(desktop: Browser, bad_site: StaticSite) -> None:
    desktop.open(bad_site, "fine.html")
    for rel in ("external.html", "font.html"):
        with pytest.raises(AssertionError, match="outside the site"):
            desktop.open(bad_site, rel)


def test_a_dialog_or_injected_markup_is_caught(desktop: Browser, bad_site: StaticSite) -> None:
    with pytest.raises(AssertionError, match="dialog"):
        desktop.open(bad_site, "dialog.html")
    desktop.open(bad_site, "injected.html")  # nothing runs until a reader hovers
    with pytest.raises(AssertionError, match="onmouseover"):
        desktop.assert_nothing_injected()


def test_overflow_on_a_phone_is_caught(browsers: Browsers, bad_site: StaticSite) -> None:
    phone = browsers.get("phone")
    phone.open(bad_site, "fine.html")
    assert phone.overflow(390) == []
    phone.open(bad_site, "wide.html")
    assert phone.overflow(390)
