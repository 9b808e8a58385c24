"""Atom 1.0 feeds of failures: one for the whole site, one per package.

Feeds are read by programs far from the site, so every link in them is
absolute (``site.base_url``) and every text passes ``xml_text`` (XML 1.0
cannot carry most control characters, even escaped; one in a koji error
message must not make the whole feed unreadable). The template escapes the
rest (autoescape is on for .xml). Entry ids are tag: URIs naming the build
and the moment it failed, so they never change between renders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from site_generator.paths import package_paths, valid_component
from site_generator.views import BuildView, short, utc

if TYPE_CHECKING:
    from site_generator.context import PackageContext
    from site_generator.ops_gather import FailedBuildRow
    from site_generator.views_modules import ModuleBuildView

FEED_ENTRIES = 50  # newest failures per feed (ops_gather reads as many failed builds)
# Canceled builds are left out: someone chose that, nobody needs to be told.
FEED_STATES = frozenset({"failed"})
GLOBAL_FEED = PurePosixPath("feeds/failures.xml")
# An empty feed never changed: a fixed "updated" rather than the render time.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)
TAG_DATE = "2024"  # any date the site's host name was held (RFC 4151); fixed so ids stay put
# Everything XML 1.0 allows in a document (its "Char" production), negated.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str | None) -> str:
    """``value`` without the characters XML 1.0 cannot carry (escaping is the template's)."""
    return _NOT_XML.sub("", value or "")


def package_feed_path(namespace: str, name: str) -> PurePosixPath | None:
    """A package's feed, or None when its names are unsafe as file names (as its page)."""
    if not (valid_component(namespace) and valid_component(name)):
        return None
    return PurePosixPath("feeds/packages", namespace, f"{name}.xml")


def package_feed_href(namespace: str, name: str) -> str | None:
    path = package_feed_path(namespace, name)
    return None if path is None else str(path)


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    updated: datetime
    link: str  # absolute
    author: str  # may be empty: then the feed's author stands
    content: str  # plain text, sent as type="text"


@dataclass(frozen=True)
class Feed:
    path: PurePosixPath  # where it is written, relative to the site root
    id: str
    title: str
    updated: datetime
    self_url: str
    alternate_url: str  # the HTML page the feed belongs to
    entries: tuple[FeedEntry, ...]  # newest first


def _tag(base_url: str, specific: str) -> str:
    host = urlsplit(base_url).hostname or "localhost"
    return f"tag:{host},{TAG_DATE}:conveyor/{specific}"


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def _build_entry(b: BuildView | FailedBuildRow, href: str | None, base_url: str) -> FeedEntry:
    """One failed rpm build: ``href`` is its package page (None: the package has none)."""
    when = utc(b.completed_at or b.updated_at or b.created_at)
    what = b.nvr or f"{b.namespace}/{b.name} {b.branch} {short(b.commit)}"
    page = f"{base_url}{href}#build-{b.id}" if href else f"{base_url}index.html"
    lines = [
        f"{b.namespace}/{b.name}: build {b.id} {b.state}",
        f"Reason: {b.state_reason or '(none recorded)'}",
        f"Branch {b.branch}, target {b.target}, commit {b.commit}",
    ]
    lines += [f"Koji task: {b.koji_task_id}"] if b.koji_task_id is not None else []
    return FeedEntry(
        id=_tag(base_url, f"build/{b.id}/{b.state}/{_stamp(when)}"),
        title=xml_text(f"{what} {b.state}"),
        updated=when,
        link=xml_text(page),
        author=xml_text(b.pusher),
        content=xml_text("\n".join(lines)),
    )


def _module_entry(m: ModuleBuildView, base_url: str) -> FeedEntry:
    when = utc(m.completed_at or m.updated_at or m.submitted_at)  # type: ignore[arg-type]
    lines = [
        f"Module build {m.id} {m.state}",
        f"Reason: {m.state_reason or '(none recorded)'}",
        f"Components done: {m.components_done} of {m.components_total}",
    ]
    return FeedEntry(
        id=_tag(base_url, f"module-build/{m.id}/{m.state}/{_stamp(when)}"),
        title=xml_text(f"{m.nsvc} {m.state}"),
        updated=when,
        link=xml_text(f"{base_url}{m.href}" if m.href else f"{base_url}index.html"),
        author=xml_text(m.owner),
        content=xml_text("\n".join(lines)),
    )


def _feed(path: PurePosixPath, page: str, title: str, entries: list[FeedEntry], base: str) -> Feed:
    newest = tuple(sorted(entries, key=lambda e: (e.updated, e.id), reverse=True)[:FEED_ENTRIES])
    return Feed(
        path=path,
        id=f"{base}{path}",
        title=xml_text(title),
        # The newest entry, so an unchanged feed stays byte for byte the same between renders.
        updated=newest[0].updated if newest else NEVER,
        self_url=f"{base}{path}",
        alternate_url=f"{base}{page}",
        entries=newest,
    )


def global_feed(
    failed: Iterable[FailedBuildRow], modules: Iterable[ModuleBuildView], base_url: str
) -> Feed:
    """The newest failed rpm builds (read by ``ops_gather``) and failed module builds."""
    base = base_url.rstrip("/") + "/"
    entries = []
    for row in failed:
        paths = package_paths(row.namespace, row.name)
        entries.append(_build_entry(row, None if paths is None else str(paths[0]), base))
    entries += [_module_entry(m, base) for m in modules if m.state in FEED_STATES]
    return _feed(GLOBAL_FEED, "index.html", "Conveyor: failed builds", entries, base)


def package_feed(package: PackageContext, base_url: str) -> Feed | None:
    """The feed of one package's failed builds (None: its names are unsafe as a path)."""
    path = package_feed_path(package.namespace, package.name)
    if path is None or package.href is None:
        return None
    base = base_url.rstrip("/") + "/"
    entries = [
        _build_entry(b, package.href, base) for b in package.builds if b.state in FEED_STATES
    ]
    label = f"{package.namespace}/{package.name}"
    return _feed(path, package.href, f"Conveyor: failed builds of {label}", entries, base)
