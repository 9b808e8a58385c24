"""Table cells every page repeats, as Python filters instead of jinja2 macros.

A Fedora-scale full render draws ~1.5 million time cells, state badges and
koji links (every build, trace row and push). A jinja2 macro call costs a
frame, a ``Macro`` object's argument handling and an output buffer each time;
these functions return the same markup (byte for byte, tested against the
macros in ``_macros.html``, which stay for the templates that call them
rarely) at a fraction of the cost. Only values whose characters are known
(ISO 8601 and strftime output of a datetime, integers) skip escaping; every
text goes through ``markupsafe.escape``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from site_generator.views import utc

NONE_CELL = Markup('<span class="none">—</span>')


def iso(value: datetime) -> str:
    return utc(value).isoformat()


def when(value: datetime) -> str:
    return utc(value).strftime("%Y-%m-%d %H:%M UTC")


def time_cell(value: datetime | None) -> Markup:
    """``m.time(value)``: a <time> element, or a dash for no time.

    A datetime's isoformat yields digits, '-', ':', '+', 'T' and '.' only: nothing
    to escape. The visible text is cut from it ("2026-11-23 01:02 UTC", what
    ``when`` writes) instead of a second formatting by strftime.
    """
    if value is None:
        return NONE_CELL
    if value.tzinfo is not UTC:
        value = utc(value)
    stamp = value.isoformat()
    shown = f"{stamp[:10]} {stamp[11:16]} UTC" if value.year >= 1000 else when(value)
    return Markup(f'<time datetime="{stamp}">{shown}</time>')  # noqa: S704 (see above)


@lru_cache(maxsize=256)
def state_badge(name: str, css: str) -> Markup:
    """``m.state(name, css)``: few distinct pairs, so each is escaped once."""
    return Markup('<span class="state {}">{}</span>').format(css, name)


def koji_links(build: Any) -> Markup:
    """``m.koji_links(build)``: links to the koji task and build, or a dash.

    The ids are integers (the database's); the URLs are escaped like any text.
    """
    task_url, build_url = build.koji_task_url, build.koji_build_url
    if task_url is None and build_url is None:
        return NONE_CELL
    out = ""
    if task_url is not None:
        out = f'<a href="{escape(task_url)}">task {escape(build.koji_task_id)}</a>'
    if build_url is not None:
        out += f' <a href="{escape(build_url)}">build {escape(build.koji_build_id)}</a>'
    return Markup(out)  # noqa: S704 (every value in it went through escape())


def register(env: Environment) -> None:
    env.filters["time_cell"] = time_cell
    env.filters["koji_links"] = koji_links
    env.globals["state_badge"] = state_badge
