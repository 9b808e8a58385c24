"""Phase 3 for rebuild chains and composes: their list pages and one page each, with twins.

``chains_index_pages`` and ``composes_index_pages`` are index page functions
(``render.INDEX_PAGES``: every render writes them); ``chain_pages`` and
``compose_pages`` write the detail pages of the contexts given (every one in a
full render, the dirty ones in an incremental render).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from jinja2 import Environment

from site_generator.context_pipeline import ChainContext, ComposeContext
from site_generator.page_text import page_pair
from site_generator.paths import (
    CHAINS_HTML,
    CHAINS_JSON,
    COMPOSES_HTML,
    COMPOSES_JSON,
    Page,
)

if TYPE_CHECKING:
    from site_generator.context import SiteContext


def chains_index_pages(env: Environment, site: SiteContext) -> list[Page]:
    if site.chains is None:
        return []
    nav = site.modules is not None
    return page_pair(env, "chains.html", CHAINS_HTML, CHAINS_JSON, site.chains.index, nav)


def composes_index_pages(env: Environment, site: SiteContext) -> list[Page]:
    if site.composes is None:
        return []
    nav = site.modules is not None
    return page_pair(env, "composes.html", COMPOSES_HTML, COMPOSES_JSON, site.composes.index, nav)


def chain_pages(env: Environment, contexts: Iterable[ChainContext], nav: bool) -> Iterator[Page]:
    for detail in contexts:
        view = detail.chain
        if view.href is None or view.api_href is None:
            continue  # never guess a path
        html, api = PurePosixPath(view.href), PurePosixPath(view.api_href)
        yield from page_pair(env, "chain.html", html, api, detail, nav)


def compose_pages(
    env: Environment, contexts: Iterable[ComposeContext], nav: bool
) -> Iterator[Page]:
    for detail in contexts:
        view = detail.compose
        if view.href is None or view.api_href is None:
            continue
        html, api = PurePosixPath(view.href), PurePosixPath(view.api_href)
        yield from page_pair(env, "compose.html", html, api, detail, nav)


def detail_pages(
    env: Environment,
    site: SiteContext,
    chains: set[int] | None = None,
    composes: set[int] | None = None,
) -> Iterator[Page]:
    """Chain and compose pages: all of them, or those whose ids are in ``chains``/``composes``."""
    nav = site.modules is not None
    if site.chains is not None:
        wanted = [c for c in site.chains.pages if chains is None or c.chain.id in chains]
        yield from chain_pages(env, wanted, nav)
    if site.composes is not None:
        wanted_c = [c for c in site.composes.pages if composes is None or c.compose.id in composes]
        yield from compose_pages(env, wanted_c, nav)
