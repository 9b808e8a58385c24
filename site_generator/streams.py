"""Module stream pages in a render: when to write them, and the pages themselves.

A full render writes them all. An incremental render writes them only when
something they show may have changed: a definition was recorded
(``site_dirty`` kind ``stream``, marked by ``models.site_dirty_listeners``), a
module build got its first page (a stream's "newest module build"), or the
site has no streams index yet. A new definition rewrites them all: it changes
transitive answers of streams far from it, and tracking which is dearer than
rewriting ~1,000 pages (~1 s at Fedora's size). A new module build without a
new definition changes only the streams index and its own stream's page:
``changed_stream_pages`` writes just those.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor.settings import Settings
from models.module_build import ModuleBuild
from models.site_dirty import DirtyRow
from site_generator.context_streams import build_streams
from site_generator.gather_site import Reader
from site_generator.gather_streams import gather_streams
from site_generator.paths import STREAMS_HTML, Page, module_build_paths
from site_generator.render_streams import stream_pages
from site_generator.write import SiteDir


def streams_changed(dirty: Iterable[DirtyRow], site: SiteDir) -> bool:
    """True when an incremental render must write the stream pages again."""
    if not site.has(STREAMS_HTML):
        return True
    for row in dirty:
        if row.kind == "stream":
            return True
        if row.kind == "module_build":
            paths = module_build_paths(row.key)
            if paths is not None and not site.has(paths[0]):
                return True
    return False


def all_stream_pages(
    env: Environment, reader: Reader, settings: Settings, now: datetime, *, nav: bool
) -> Iterator[Page]:
    """The streams index and every stream page, from one load of the graph."""
    yield from _stream_pages(env, reader, settings, now, nav=nav, dirty=None)


def changed_stream_pages(
    env: Environment,
    reader: Reader,
    settings: Settings,
    now: datetime,
    *,
    nav: bool,
    dirty: Iterable[DirtyRow],
    site: SiteDir,
) -> Iterator[Page]:
    """An incremental render's stream pages: none when nothing they show changed
    (``streams_changed``); every one after a new definition or when the site has no
    streams index; else the index and the pages of the dirty module builds' streams."""
    rows = list(dirty)
    if not streams_changed(rows, site):
        return
    whole = not site.has(STREAMS_HTML) or any(row.kind == "stream" for row in rows)
    yield from _stream_pages(env, reader, settings, now, nav=nav, dirty=None if whole else rows)


def _stream_pages(
    env: Environment,
    reader: Reader,
    settings: Settings,
    now: datetime,
    *,
    nav: bool,
    dirty: list[DirtyRow] | None,
) -> Iterator[Page]:
    with reader.read() as session:
        only = None if dirty is None else _built_streams(session, dirty)
        data = gather_streams(session, default_ref=settings.modules.default_component_ref)
    yield from stream_pages(env, build_streams(data, now=now, only=only), nav)


def _built_streams(session: Session, dirty: list[DirtyRow]) -> frozenset[str]:
    """The ``name:stream`` of the dirty module builds: one query by id (they are few)."""
    ids = sorted({row.key for row in dirty if row.kind == "module_build"})
    query = select(ModuleBuild.name, ModuleBuild.stream).where(ModuleBuild.id.in_(ids))
    return frozenset(f"{name}:{stream}" for name, stream in session.execute(query))
