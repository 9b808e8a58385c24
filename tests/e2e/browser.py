"""Headless Chromium through Selenium: open a page, record what it requested, screenshot it.

Every ``Browser.open`` runs the checks that hold for every page of the site
(nothing requested outside the site's origin, no resource element pointing
elsewhere, no JavaScript error, no dialog) and saves a full-page PNG, so a new
page only needs its own content checks.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from tests.e2e.server import StaticSite

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webelement import WebElement
except ImportError as exc:  # pragma: no cover - a broken environment, say how to fix it
    raise ImportError(
        "the e2e tests need selenium: .venv/bin/pip install -e '.[test]' (scripts/bootstrap.sh)"
    ) from exc

CHROMIUM = Path(os.environ.get("CONVEYOR_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CONVEYOR_CHROMEDRIVER", "/usr/bin/chromedriver"))
PHONE = (390, 844)
DESKTOP = (1280, 900)

# Runs before any script of every document: a dialog is recorded instead of shown.
_DIALOG_TRAP = """
window.__dialogs = [];
for (const kind of ["alert", "confirm", "prompt", "print"]) {
  window[kind] = function (message) { window.__dialogs.push(kind + ": " + String(message)); };
}
"""

# URLs of elements that make the browser fetch something (links <a> are not requests).
_RESOURCE_URLS = """
const out = [];
const attrs = {LINK: ["href"], SCRIPT: ["src"], IMG: ["src", "srcset"], IFRAME: ["src"],
  FRAME: ["src"], SOURCE: ["src", "srcset"], EMBED: ["src"], OBJECT: ["data"],
  VIDEO: ["src", "poster"], AUDIO: ["src"], TRACK: ["src"], INPUT: ["src"], FORM: ["action"],
  use: ["href", "xlink:href"], image: ["href", "xlink:href"], feImage: ["href", "xlink:href"]};
for (const el of document.querySelectorAll("*")) {
  for (const name of attrs[el.tagName] || []) {
    const value = el.getAttribute(name);
    if (value !== null && value !== "") out.push([el.tagName, name, value]);
  }
  const style = el.getAttribute("style");
  if (style && /url\\(/i.test(style)) out.push([el.tagName, "style", style]);
}
return out;
"""

# What an injected payload would leave behind, whether or not JavaScript ran.
_INJECTED = """
const found = [];
for (const d of window.__dialogs || []) found.push("dialog " + d);
if (document.body.dataset.pwned) found.push("a payload ran (body[data-pwned])");
for (const img of document.querySelectorAll('img[src="x"]')) found.push("injected <img src=x>");
for (const el of document.querySelectorAll("iframe, frame, object, embed")) {
  found.push("injected <" + el.tagName.toLowerCase() + ">");
}
for (const el of document.querySelectorAll("*")) {
  for (const attr of el.attributes) {
    if (/^on/i.test(attr.name)) found.push("<" + el.tagName + " " + attr.name + "> handler");
  }
}
for (const a of document.querySelectorAll("a[href]")) {
  if (/^\\s*javascript:/i.test(a.getAttribute("href"))) found.push("javascript: link");
}
const own = location.origin + "/static/";
for (const s of document.scripts) {
  const src = s.getAttribute("src");
  if (src !== null && !s.src.startsWith(own)) found.push("script from " + src);
  if (/alert\\(|pwned/.test(s.text + " " + (src || ""))) found.push("injected <script>");
}
return found;
"""

_OVERFLOW = """
const limit = arguments[0] + 1, found = [];
const doc = document.documentElement;
if (window.innerWidth > limit || doc.scrollWidth > limit) {
  found.push(`page is ${doc.scrollWidth}px wide, viewport ${window.innerWidth}px`);
}
const meta = document.querySelector('meta[name="viewport"]');
if (!meta || !/width=device-width/.test(meta.content)) found.push("no viewport meta tag");
const scrolls = el => {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const x = getComputedStyle(p).overflowX;
    if (x === "auto" || x === "scroll" || x === "hidden") return true;
  }
  return false;
};
for (const el of document.body.querySelectorAll("*")) {
  if (el.getBoundingClientRect().right <= limit || scrolls(el)) continue;
  const wider = Array.from(el.children).some(c => c.getBoundingClientRect().right > limit);
  if (!wider) {
    const cls = el.getAttribute("class") ? "." + el.getAttribute("class").split(" ")[0] : "";
    found.push(`<${el.tagName.toLowerCase()}${cls}> ${(el.textContent || "").trim().slice(0, 50)}`);
  }
  if (found.length > 8) break;
}
return found;
"""


def require_chromium() -> None:
    """Fail (never skip) with the fix when the browser is missing: CI must run these tests."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        raise RuntimeError(
            f"e2e tests need Debian's chromium and chromium-driver; missing {', '.join(missing)}."
            " Install them with scripts/bootstrap.sh (as root) or"
            " apt-get install chromium chromium-driver"
        )


def make_driver(
    *, javascript: bool = True, size: tuple[int, int] = DESKTOP, phone: bool = False
) -> webdriver.Chrome:
    require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # the tests run as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",  # no Google traffic of the browser's own
        "--disable-component-update",
        "--disable-sync",
        "--metrics-recording-only",
        "--hide-scrollbars",
        "--force-color-profile=srgb",
        "--lang=en-US",
        f"--window-size={size[0]},{size[1]}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    options.set_capability("unhandledPromptBehavior", "ignore")
    if phone:
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": size[0], "height": size[1], "pixelRatio": 1.0,
                               "touch": True}},
        )  # fmt: skip
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _DIALOG_TRAP})
    return driver


@dataclass
class Visit:
    """One page load: what it is, what it fetched, where its screenshot is."""

    rel: str
    url: str
    requests: list[str]
    screenshot: Path
    console: list[dict] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "root"


class Browser:
    """A driver bound to one site origin, a label (``desktop``, ``phone``...) and a shot dir."""

    def __init__(self, driver: webdriver.Chrome, label: str, shots: Path, *, javascript: bool):
        self.driver = driver
        self.label = label
        self.shots = shots
        self.javascript = javascript
        self.origin = ""

    # -- loading ----------------------------------------------------------------------
    def open(self, site: StaticSite, rel: str, *, settle: float = 0.15) -> Visit:
        """Load ``rel`` of ``site``, run the every-page checks, save a screenshot."""
        return self.load(site, lambda: self.driver.get(site.url(rel)), settle)

    def follow(self, site: StaticSite, link: WebElement, *, settle: float = 0.15) -> Visit:
        """Click ``link`` as a reader would; the page it leads to gets the same checks."""
        before = self.driver.current_url
        return self.load(site, lambda: self._click_and_wait(link, before), settle)

    def _click_and_wait(self, link: WebElement, before: str) -> None:
        link.click()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            state = self.driver.execute_script("return document.readyState")
            if self.driver.current_url != before and state == "complete":
                return
            time.sleep(0.05)
        raise AssertionError(f"clicking a link on {before} led nowhere")

    def load(self, site: StaticSite, navigate: Callable[[], None], settle: float = 0.15) -> Visit:
        """Run ``navigate`` (which must leave a new page loaded), then check and shoot it."""
        self.origin = site.origin
        self._drain("performance")
        self._drain("browser")
        navigate()
        requests = self._requests(settle)
        console = self._drain("browser")
        url = self.driver.current_url
        rel = url.removeprefix(site.origin + "/")
        visit = Visit(rel, url, requests, self.screenshot(f"{site.name}-{rel}"), console)
        self.assert_same_origin(visit)
        self.assert_no_dialog()
        self.assert_no_errors(visit)
        return visit

    def _drain(self, log: str) -> list[dict]:
        return list(self.driver.get_log(log))

    def _requests(self, settle: float) -> list[str]:
        """URLs of Network.requestWillBeSent events, polled until the page is quiet."""
        urls: list[str] = []
        quiet_since = time.monotonic()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            fresh = [
                json.loads(entry["message"])["message"] for entry in self._drain("performance")
            ]
            found = [
                m["params"]["request"]["url"]
                for m in fresh
                if m.get("method") == "Network.requestWillBeSent"
            ] + [m["params"]["url"] for m in fresh if m.get("method") == "Network.webSocketCreated"]
            if found:
                urls += found
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= settle:
                break
            time.sleep(0.05)
        return urls

    # -- every-page checks ------------------------------------------------------------
    def own_origin(self, url: str) -> bool:
        absolute = urljoin(self.driver.current_url, url)
        if urlsplit(absolute).scheme in ("data", "blob", "about"):
            return True  # never leaves the page
        parts, site = urlsplit(absolute), urlsplit(self.origin)
        return (parts.scheme, parts.netloc) == (site.scheme, site.netloc)

    def assert_same_origin(self, visit: Visit) -> None:
        outside = [u for u in visit.requests if not self.own_origin(u)]
        assert not outside, f"{visit.rel} ({self.label}) requested outside the site: {outside}"
        assert any(u.split("#")[0] == visit.url.split("#")[0] for u in visit.requests), (
            f"no request recorded for {visit.url}; the performance log is not working"
        )
        # WebDriver's own scripts run even where the page's JavaScript is disabled.
        for tag, attr, value in self.driver.execute_script(_RESOURCE_URLS):
            urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", value) if attr == "style" else [
                part.strip().split(" ")[0] for part in value.split(",")
            ] if attr == "srcset" else [value]  # fmt: skip
            bad = [u for u in urls if not self.own_origin(u)]
            assert not bad, f"{visit.rel}: <{tag} {attr}> points outside the site: {bad}"

    def dialogs(self) -> list[str]:
        recorded = self.driver.execute_script("return window.__dialogs || [];")
        try:
            alert = self.driver.switch_to.alert
            recorded.append(f"open dialog: {alert.text}")
        except NoAlertPresentException:
            pass
        return list(recorded)

    def assert_no_dialog(self) -> None:
        assert self.dialogs() == [], f"a dialog opened on {self.driver.current_url}"

    def assert_nothing_injected(self) -> None:
        """No trace of hostile markup: no dialog, no handler attribute, no foreign script."""
        found = self.js(_INJECTED)
        assert found == [], f"{self.driver.current_url} ({self.label}): {found}"
        self.assert_no_dialog()

    def assert_no_errors(self, visit: Visit) -> None:
        errors = [
            e["message"]
            for e in visit.console
            if e.get("level") == "SEVERE" and "favicon.ico" not in e.get("message", "")
        ]
        assert not errors, f"{visit.rel} ({self.label}): console errors {errors}"

    # -- reading ----------------------------------------------------------------------
    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str, within: WebElement | None = None) -> list[WebElement]:
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str = "body") -> str:
        """The rendered text a reader sees (innerText), not the markup."""
        return self.find(css).text

    def inner_text(self, css: str = "body") -> str:
        """``innerText`` verbatim (WebDriver's ``.text`` may trim invisible characters)."""
        return str(self.js("return document.querySelector(arguments[0]).innerText;", css))

    def js(self, script: str, *args: object) -> object:
        return self.driver.execute_script(script, *args)

    def section(self, heading: str) -> WebElement:
        """The <section> whose own heading (h2/h3) reads ``heading``."""
        found = self.driver.find_elements(
            By.XPATH, f"//section[./*[self::h2 or self::h3][normalize-space()='{heading}']]"
        )
        assert found, f"no section {heading!r} on {self.driver.current_url}"
        return found[0]

    def rows_with(self, text: str, within: WebElement | None = None) -> list[WebElement]:
        return [r for r in self.find_all("tbody tr", within) if text in r.text]

    def row_with(self, text: str, within: WebElement | None = None) -> WebElement:
        rows = self.rows_with(text, within)
        assert rows, f"no table row with {text!r} on {self.driver.current_url}"
        return rows[0]

    def state_of(self, row: WebElement) -> str:
        """The state a row shows (the ``.state`` badge: written out, never colour alone)."""
        return row.find_element(By.CSS_SELECTOR, ".state").text

    def overflow(self, width: int) -> list[str]:
        """Why the page is wider than ``width`` pixels: its widest elements (empty if it fits).

        A phone's browser widens the layout viewport to fit content that is too
        wide (``innerWidth`` grows, the page is shown zoomed out), so both the
        document's scroll width and ``innerWidth`` must stay at the device width.
        Elements inside a horizontal scroll container (a wide table in its
        ``.table-wrap``) are fine: the container scrolls, the page does not.
        """
        return list(self.js(_OVERFLOW, width))  # type: ignore[arg-type]

    def screenshot(self, name: str, *, again: bool = False) -> Path:
        """A full-page PNG (beyond the viewport) named after the page and the label.

        The site is static, so a page already shot in this run is not shot again
        unless ``again`` (a page changed by typing, say).
        """
        path = self.shots / f"{_slug(name)}-{_slug(self.label)}.png"
        if path.exists() and not again:
            return path
        try:
            shot = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
            )
            path.write_bytes(base64.b64decode(shot["data"]))
        except Exception:  # noqa: BLE001 - fall back to the viewport
            self.driver.save_screenshot(str(path))
        return path


class Browsers:
    """One driver per kind, started on first use and quit at the end of the session."""

    KINDS = {
        "desktop": {},
        "phone": {"size": PHONE, "phone": True},
        "nojs": {"javascript": False},
    }

    def __init__(self, shots: Path) -> None:
        self.shots = shots
        self.started: dict[str, Browser] = {}

    def get(self, kind: str) -> Browser:
        if kind not in self.started:
            options = self.KINDS[kind]
            driver = make_driver(**options)  # type: ignore[arg-type]
            javascript = options.get("javascript", True)
            self.started[kind] = Browser(driver, kind, self.shots, javascript=bool(javascript))
        return self.started[kind]

    def quit(self) -> None:
        for browser in self.started.values():
            browser.driver.quit()


def artifacts_dir(repo_root: Path) -> Path:
    """``$CONVEYOR_ARTIFACTS`` or ``test-artifacts/`` of the repository."""
    configured = os.environ.get("CONVEYOR_ARTIFACTS")
    return Path(configured).resolve() if configured else repo_root / "test-artifacts"


def fresh_dir(path: Path) -> Path:
    """An empty directory at ``path`` (the previous run's screenshots go away)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
