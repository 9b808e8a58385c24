"""Phase 3 for module stream pages: the streams index, one page per stream, their twins.

``stream_pages`` writes the index and every stream page of a ``StreamsSite``:
streams are few (Fedora has hundreds), so a render that writes them writes
them all. ``register`` gives the templates of other pages the ``stream_href``
filter: the page of a defined stream, or None when its name is unsafe.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from jinja2 import Environment

from site_generator.context_streams import StreamsSite
from site_generator.page_text import page_pair
from site_generator.paths import STREAMS_HTML, STREAMS_JSON, Page, stream_hrefs


def stream_href(name: str, stream: str) -> str | None:
    """The page of ``name:stream``; only for streams that have a definition (callers know)."""
    hrefs = stream_hrefs(name, stream)
    return None if hrefs is None else hrefs[0]


def register(env: Environment) -> None:
    env.filters["stream_href"] = stream_href


def stream_pages(env: Environment, site: StreamsSite, nav: bool) -> Iterator[Page]:
    """The streams index and every stream page (``nav``: the nav links the module pages)."""
    yield from page_pair(env, "streams.html", STREAMS_HTML, STREAMS_JSON, site.index, nav)
    for detail in site.pages:
        view = detail.stream
        if view.href is None or view.api_href is None:
            continue  # never guess a path
        html, api = PurePosixPath(view.href), PurePosixPath(view.api_href)
        yield from page_pair(env, "stream.html", html, api, detail, nav)
