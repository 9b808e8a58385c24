"""Module stream pages in a render: when to write them, and the pages themselves.

A full render writes them all. An incremental render writes them all too, but
only when something they show may have changed: a definition was recorded
(``site_dirty`` kind ``stream``, marked by ``models.site_dirty_listeners``), a
module build got its first page (a stream's "newest module build"), or the
site has no streams index yet. Streams are few (hundreds), so rewriting all of
them is cheaper than tracking which ones a new definition touches: a
definition changes transitive answers of streams far from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from jinja2 import Environment

from conveyor.settings import Settings
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
    with reader.read() as session:
        data = gather_streams(session, default_ref=settings.modules.default_component_ref)
    yield from stream_pages(env, build_streams(data, now=now), nav)
