"""Phase 3 for the operators page, the search page and index, and the Atom feeds.

Four hooks, listed in ``render``: ``register`` (called by ``environment``),
``ops_index_pages`` (an index page function: every render writes these),
``search_pages`` (an index page function that an incremental render runs only
when a package or module build gets its first page: see ``render.index_pages``)
and ``package_feed_pages`` (a package page function: written with the package).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from jinja2 import Environment

from site_generator.feeds import Feed, package_feed, package_feed_href
from site_generator.operators import OPERATORS_API, OPERATORS_HREF
from site_generator.page_text import html_page, render_json
from site_generator.paths import Page
from site_generator.search import SEARCH_HTML, SEARCH_INDEX, search_index

if TYPE_CHECKING:
    from site_generator.context import PackageContext, SiteContext

# Where ``ops_index_pages`` leaves settings.site.base_url for the package feeds: a package
# page function gets no settings, and every render writes the index pages first.
BASE_URL = "conveyor_feed_base_url"


def initial(name: str) -> str:
    """The packages index's letter for ``name``: A-Z, 0-9, or "other" (safe in an id)."""
    first = name[:1].upper()
    return first if first.isascii() and first.isalnum() else "other"


def by_initial(packages: Iterable[Any]) -> list[tuple[str, list[Any]]]:
    """Packages grouped by the first letter of their name, each group by name, namespace."""
    groups: dict[str, list[Any]] = {}
    for p in sorted(packages, key=lambda p: (p.name.lower(), p.name, p.namespace)):
        groups.setdefault(initial(p.name), []).append(p)
    return sorted(groups.items(), key=lambda item: (item[0] == "other", item[0]))


def register(env: Environment) -> None:
    """What the shared templates need from this part: package feeds, the index's letters."""
    env.globals["package_feed_href"] = package_feed_href
    env.filters["by_initial"] = by_initial


def _feed_page(env: Environment, feed: Feed) -> Page:
    return Page(feed.path, env.get_template("feed.xml").render(feed=feed))


def ops_index_pages(env: Environment, site: SiteContext) -> list[Page]:
    """The operators page and twin, the global feed."""
    ops = site.ops
    if ops is None:
        return []  # ``operators.add_ops`` did not run: no data for these pages
    env.globals[BASE_URL] = ops.base_url
    nav = site.modules is not None
    html, api = PurePosixPath(OPERATORS_HREF), PurePosixPath(OPERATORS_API)
    return [
        html_page(env, "operators.html", html, api, ops.operators, modules=nav),
        Page(api, render_json(ops.operators)),
        _feed_page(env, ops.feed),
    ]


def search_pages(env: Environment, site: SiteContext) -> list[Page]:
    """The search page and the search index (built here: only renders that write it pay)."""
    if site.ops is None:
        return []
    search = search_index(site)
    nav = site.modules is not None
    return [
        # The search page's "twin" is the index itself: it is what the page searches.
        html_page(env, "search.html", SEARCH_HTML, SEARCH_INDEX, search, modules=nav),
        Page(SEARCH_INDEX, render_json(search)),
    ]


def package_feed_pages(env: Environment, package: PackageContext, nav: bool) -> list[Page]:
    """The package's Atom feed of failed builds (none before the index pages set the URL)."""
    base_url = env.globals.get(BASE_URL)
    feed = package_feed(package, base_url) if isinstance(base_url, str) else None
    return [] if feed is None else [_feed_page(env, feed)]
