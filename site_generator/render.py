"""Phase 3: contexts to page texts (HTML through jinja2, JSON twins through json.dumps).

Autoescape is on for every template and StrictUndefined turns a typo in a
template into an error instead of an empty cell. Nothing here touches disk
except reading the package's own templates and static files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime
from importlib import resources
from pathlib import PurePosixPath

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.bccache import Bucket

from site_generator import cells
from site_generator.cells import iso, when
from site_generator.context import PackageContext, SiteContext
from site_generator.context_modules import ModuleBuildContext
from site_generator.ops_render import (
    ops_index_pages,
    package_feed_pages,
    register,
    search_pages,
)
from site_generator.package_index import index_contexts, page_paths
from site_generator.page_text import page_pair
from site_generator.paths import (
    MODULES_HTML,
    MODULES_JSON,
    OVERVIEW_HTML,
    OVERVIEW_JSON,
    PACKAGES_HTML,
    PACKAGES_JSON,
    STATIC_DIR,
    Page,
)
from site_generator.render_pipeline import (
    chains_index_pages,
    composes_index_pages,
    detail_pages,
)
from site_generator.render_streams import register as register_streams
from site_generator.views import utc

log = logging.getLogger(__name__)


def when_short(value: datetime) -> str:
    return utc(value).strftime("%m-%d %H:%M")


class _CompiledTemplates(BytecodeCache):
    """Compiled templates for the life of the process, keyed by name and source checksum.

    Cron renders every few seconds in one process, each render with a fresh
    environment; compiling the templates again was ~0.2 s of every incremental
    render. A fresh process (``conveyor site render``) finds them in jinja2's
    own per-user cache directory (``FileSystemBytecodeCache``: a private
    temporary directory it checks the owner and mode of), where compiling them
    was ~0.3 s of a one-change render at Fedora scale; jinja2 checks each
    entry's source checksum and its own version before using it.
    """

    def __init__(self, directory: str | None = None) -> None:
        self._code: dict[str, bytes] = {}
        self._disk: FileSystemBytecodeCache | None = None
        try:
            self._disk = FileSystemBytecodeCache(directory)
        except (OSError, RuntimeError):
            log.info("site: no template cache directory; compiling templates in memory only")

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)
        elif self._disk is not None:
            self._disk.load_bytecode(bucket)  # leaves bucket.code None if stale or absent
            if bucket.code is not None:
                self._code[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()
        if self._disk is not None:
            try:
                self._disk.dump_bytecode(bucket)
            except OSError:
                self._disk = None  # a full or read-only disk: memory is enough


_COMPILED = _CompiledTemplates()


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("site_generator", "templates"),
        bytecode_cache=_COMPILED,
        autoescape=select_autoescape(("html", "xml"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment per render: no stat() of a template per page
    )
    env.filters["iso"] = iso
    env.filters["when"] = when
    env.filters["when_short"] = when_short
    cells.register(env)  # time cells, state badges, koji links (filters, not macros)
    register(env)  # operators page, search, feeds (ops_render)
    register_streams(env)  # the stream_href filter (render_streams)
    return env


def overview_pages(env: Environment, site: SiteContext) -> list[Page]:
    nav = site.modules is not None
    return page_pair(env, "index.html", OVERVIEW_HTML, OVERVIEW_JSON, site.overview, nav)


def packages_index_pages(env: Environment, site: SiteContext) -> list[Page]:
    """The top packages index and the index pages (all, or those ``site`` says)."""
    nav = site.modules is not None
    top, pages = site.package_index, site.package_index_pages
    if top is None:
        packages = site.packages.packages
        top, pages = index_contexts(
            site.packages.generated_at, [p.name for p in packages], packages
        )
    out = page_pair(env, "packages.html", PACKAGES_HTML, PACKAGES_JSON, top, nav)
    for page in pages:
        html, api = page_paths(page.key)
        out += page_pair(env, "package-index.html", html, api, page, nav)
    return out


def modules_index_pages(env: Environment, site: SiteContext) -> list[Page]:
    if site.modules is None:
        return []
    return page_pair(env, "modules.html", MODULES_HTML, MODULES_JSON, site.modules.index, True)


# The index pages: every render writes them, full or incremental, because they
# list or count across the whole site. A new page of that kind appends its
# function (jinja environment, site context -> pages) here.
INDEX_PAGES: list[Callable[[Environment, SiteContext], list[Page]]] = [
    overview_pages,
    packages_index_pages,
    modules_index_pages,
    chains_index_pages,
    composes_index_pages,
    ops_index_pages,
    search_pages,
]
# Index pages too costly to rewrite on every change at Fedora scale (the search
# index: ~50,000 entries, megabytes): an incremental render writes them only when
# a package or module build gets its first page (``new=True``). Their staleness
# is bounded by the full render (cron.site_full_render_minutes).
ON_NEW_PAGES: list[Callable[[Environment, SiteContext], list[Page]]] = [search_pages]


# Index pages that list objects of some kinds only: an incremental render rewrites
# them only when an object of one of those kinds is dirty (or something is new).
# At Fedora scale the modules list is 1,000 rows (1.3 MB with its twin): rewriting
# it for every package change was ~0.1-0.25 s of each incremental render. Their
# "generated at" stamp stays that of the render that last rewrote them.
BY_KIND: dict[Callable[[Environment, SiteContext], list[Page]], frozenset[str]] = {
    modules_index_pages: frozenset({"module_build", "chain", "stream"}),
    chains_index_pages: frozenset({"chain", "module_build"}),
    composes_index_pages: frozenset({"compose"}),
}


def index_pages(
    env: Environment,
    site: SiteContext,
    *,
    new: bool = True,
    kinds: Collection[str] | None = None,
) -> list[Page]:
    """The index pages (``new=False``: not those of ON_NEW_PAGES; ``kinds``: the kinds of
    the dirty objects, and not those of BY_KIND that list none of them; None: all)."""
    return [
        page
        for render in INDEX_PAGES
        if new or render not in ON_NEW_PAGES
        if new or kinds is None or render not in BY_KIND or not BY_KIND[render].isdisjoint(kinds)
        for page in render(env, site)
    ]


def package_page(env: Environment, package: PackageContext, nav: bool) -> list[Page]:
    if package.href is None or package.api_href is None:
        return []  # context already logged it; never guess a path
    html, api = PurePosixPath(package.href), PurePosixPath(package.api_href)
    return page_pair(env, "package.html", html, api, package, nav)


def module_page(env: Environment, detail: ModuleBuildContext) -> list[Page]:
    view = detail.module_build
    if view.href is None or view.api_href is None:
        return []  # never guess a path
    html, api = PurePosixPath(view.href), PurePosixPath(view.api_href)
    return page_pair(env, "module.html", html, api, detail, True)


# The pages of one package and of one module build: a render writes them when
# that package or module build changed (every one of them in a full render).
# Another page made from one package's context (a feed, say) appends its
# function (environment, context, nav links the module pages -> pages) here.
PACKAGE_PAGES: list[Callable[[Environment, PackageContext, bool], list[Page]]] = [
    package_page,
    package_feed_pages,
]
MODULE_PAGES: list[Callable[[Environment, ModuleBuildContext], list[Page]]] = [module_page]


def package_pages(
    env: Environment, contexts: Iterable[PackageContext], *, nav: bool
) -> Iterator[Page]:
    """The pages of each package (``nav``: the nav links the module pages)."""
    for package in contexts:
        for render in PACKAGE_PAGES:
            yield from render(env, package, nav)


def module_pages(env: Environment, contexts: Iterable[ModuleBuildContext]) -> Iterator[Page]:
    for detail in contexts:
        for render in MODULE_PAGES:
            yield from render(env, detail)


def render_pages(site: SiteContext, env: Environment | None = None) -> list[Page]:
    """Every HTML page and its JSON twin; package pages only for safe names."""
    env = env or environment()
    return [
        *index_pages(env, site),
        *package_pages(env, site.package_pages, nav=site.modules is not None),
        *module_pages(env, site.modules.pages if site.modules is not None else ()),
        *detail_pages(env, site),
    ]


def static_pages() -> list[Page]:
    """The package's static files (CSS), copied into every version of the site."""
    folder = resources.files("site_generator").joinpath("static")
    return [
        Page(STATIC_DIR / item.name, item.read_text(encoding="utf-8"))
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.is_file() and not item.name.startswith(".")
    ]
