"""The artifact search index: packages, build NVRs, module NSVCs, streams, chains, composes.

``search-index.json`` is fetched by ``static/search.js`` in the visitor's
browser (no server, no CDN): an exact label jumps to its page, a prefix lists
suggestions. Only things that have a page get an entry, and every href is
relative to the site root, so the index works wherever the site is served.

Every package and module build is in it, but only the rpm builds the index
pages list (each package's latest, in flight, recent): all of a big
site's NVRs would make a file browsers choke on. For any other NVR the script
finds the package by the name an NVR starts with (``name-version-release``).

Freshness: a full render writes it, and so does an incremental render that
gives a package or module build its first page; other incremental renders
leave it as it is (rebuilding megabytes for every change would cost more than
the change). So a new NVR or a module build's new state reaches the index
within ``cron.site_full_render_minutes``; new packages and module builds at once.

Module streams (``name:stream``, linking ``streams/<name>/<stream>.html``) are
those of the module builds the site shows whose stream has a current
definition (the module build's ``lifecycle`` is read from it): those have a
stream page. A caller that has read every defined stream may pass them too
(``search_index(site, streams=...)``); a stream defined but never built and
not passed is found through its module builds' page once it is built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from site_generator.paths import stream_hrefs
from site_generator.views import BuildView

if TYPE_CHECKING:
    from site_generator.context import SiteContext

SEARCH_HTML = PurePosixPath("search.html")
SEARCH_INDEX = PurePosixPath("search-index.json")
# the order suggestions are listed in
KINDS = ("package", "build", "module", "stream", "chain", "compose")
# The newest composes listed (label: its source; detail: "compose <id>", what a visitor
# types to find one by id): at Fedora scale thousands, most of them long removed.
MAX_COMPOSES = 2_000
# Fedora has about a thousand streams; a graph a hundred times bigger still lists its
# first ones (by name) rather than a file a browser chokes on.
MAX_STREAMS = 20_000


@dataclass(frozen=True)
class SearchEntry:
    kind: str  # one of KINDS
    label: str  # what a visitor types: a package name, an NVR, an NSVC
    href: str  # relative to the site root
    detail: str  # shown beside a suggestion: "rpms/bash", "failed", ...


@dataclass(frozen=True)
class SearchIndex:
    generated_at: datetime
    entries: tuple[SearchEntry, ...]  # by kind, then label


def _builds(site: SiteContext) -> dict[int, BuildView]:
    """The builds the index pages know: each package's latest, in flight, recent, failed."""
    o = site.overview
    builds = {b.id: b for p in site.packages.packages if (b := p.latest_build) is not None}
    for listed in (o.in_flight, o.recent_builds, o.recent_failures):
        builds.update((b.id, b) for b in listed)
    for page in site.package_pages:  # empty for an index-only context
        builds.update((b.id, b) for b in page.builds)
    return builds


def _entries(site: SiteContext) -> list[SearchEntry]:
    entries = [
        SearchEntry("package", p.name, p.href, f"{p.namespace}/{p.name}")
        for p in site.packages.packages
        if p.href is not None
    ]
    for b in _builds(site).values():
        if b.nvr and b.href:  # a build without an NVR is no artifact yet: its package is
            detail = f"{b.namespace}/{b.name}, {b.branch}: {b.state}"
            entries.append(SearchEntry("build", b.nvr, f"{b.href}#build-{b.id}", detail))
    entries.extend(_pipeline_entries(site))
    if site.modules is None:
        return entries
    for page in site.modules.pages:
        m = page.module_build
        if m.href is None:
            continue
        entries.append(SearchEntry("module", m.nsvc, m.href, m.state))
        for batch in page.batches:
            for c in batch.components:
                if c.nvr:  # module components are builds too, shown on the module's page
                    href = f"{m.href}#component-{c.id}"
                    entries.append(SearchEntry("build", c.nvr, href, f"component of {m.nsvc}"))
    return entries


def _stream_entries(site: SiteContext, streams: Iterable[tuple[str, str]]) -> list[SearchEntry]:
    """One entry per module stream that has a page; detail: its newest build's state."""
    newest: dict[tuple[str, str], tuple[int, str]] = {}
    defined = set(streams)
    for page in site.modules.pages if site.modules is not None else ():
        m = page.module_build
        key = (m.name, m.stream)
        if page.lifecycle is not None:  # read from the stream's current definition
            defined.add(key)
        if m.id > newest.get(key, (0, ""))[0]:
            newest[key] = (m.id, m.state)
    entries = []
    for name, stream in sorted(defined)[:MAX_STREAMS]:
        hrefs = stream_hrefs(name, stream)  # None: unsafe as a file name, so no page
        if hrefs is not None:
            built = newest.get((name, stream))
            detail = "no module build yet" if built is None else f"newest build {built[1]}"
            entries.append(SearchEntry("stream", f"{name}:{stream}", hrefs[0], detail))
    return entries


def _pipeline_entries(site: SiteContext) -> list[SearchEntry]:
    """Rebuild chains by id, composes by source and id (the newest ``MAX_COMPOSES``)."""
    entries = []
    if site.chains is not None:
        for c in site.chains.index.chains:
            if c.href is not None:
                detail = f"{c.trigger}: {c.state}"
                entries.append(SearchEntry("chain", f"chain {c.id}", c.href, detail))
    if site.composes is not None:
        for compose in site.composes.index.composes[:MAX_COMPOSES]:
            if compose.href is not None and compose.source.strip():
                label = compose.source.strip()[:200]
                entries.append(SearchEntry("compose", label, compose.href, f"compose {compose.id}"))
    return entries


def search_index(site: SiteContext, streams: Iterable[tuple[str, str]] = ()) -> SearchIndex:
    """Sorted so the file only changes when an entry does; ``streams``: (name, stream) pairs
    with a current definition, beyond those of the site's module builds."""
    order = {kind: i for i, kind in enumerate(KINDS)}
    found = [*_entries(site), *_stream_entries(site, streams)]
    entries = sorted(found, key=lambda e: (order[e.kind], e.label, e.href))
    return SearchIndex(site.overview.generated_at, tuple(entries))
