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

from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from site_generator.views import utc

NONE_CELL = Markup('<span class="none">—</span>')


def iso(value: datetime) -> str:
    return utc(value).isoformat()


def when(value: datetime) -> str:
    return utc(value).strftime("%Y-%m-%d %H:%M UTC")


def time_cell(value: datetime | None) -> Markup:
    """``m.time(value)``: a <time> element, or a dash for no time.

    A datetime's isoformat and this strftime format yield digits, '-', ':', '+',
    'T', '.', ' ' and 'UTC' only: nothing to escape.
    """
    if value is None:
        return NONE_CELL
    value = utc(value)
    text = f'<time datetime="{value.isoformat()}">{value.strftime("%Y-%m-%d %H:%M UTC")}</time>'
    return Markup(text)  # noqa: S704 (only a datetime's digits and separators, see above)


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
    out = Markup()
    if task_url is not None:
        out = Markup('<a href="{}">task {}</a>').format(task_url, build.koji_task_id)
    if build_url is not None:
        out += Markup(' <a href="{}">build {}</a>').format(build_url, build.koji_build_id)
    return out


def register(env: Environment) -> None:
    env.filters["time_cell"] = time_cell
    env.filters["koji_links"] = koji_links
    env.globals["state_badge"] = state_badge
