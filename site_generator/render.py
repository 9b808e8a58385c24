"""Phase 3: contexts to page texts (HTML through jinja2, JSON twins through json.dumps).

Autoescape is on for every template and StrictUndefined turns a typo in a
template into an error instead of an empty cell. Nothing here touches disk
except reading the package's own templates and static files.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from site_generator.context import SiteContext
from site_generator.paths import (
    MODULES_HTML,
    MODULES_JSON,
    OVERVIEW_HTML,
    OVERVIEW_JSON,
    PACKAGES_HTML,
    PACKAGES_JSON,
    STATIC_DIR,
    Page,
    root_prefix,
)
from site_generator.views import jsonable, utc


def iso(value: datetime) -> str:
    return utc(value).isoformat()


def when(value: datetime) -> str:
    return utc(value).strftime("%Y-%m-%d %H:%M UTC")


def when_short(value: datetime) -> str:
    return utc(value).strftime("%m-%d %H:%M")


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("site_generator", "templates"),
        autoescape=select_autoescape(("html", "xml"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["iso"] = iso
    env.filters["when"] = when
    env.filters["when_short"] = when_short
    return env


def render_json(context: Any) -> str:
    return json.dumps(jsonable(context), sort_keys=True, indent=2) + "\n"


def _html(
    env: Environment,
    template: str,
    path: PurePosixPath,
    api: PurePosixPath,
    context: Any,
    *,
    modules: bool = False,
) -> Page:
    root = root_prefix(path)
    text = env.get_template(template).render(
        page=context,
        root=root,
        json_href=f"{root}{api}",
        generated_at=context.generated_at,
        nav_modules=modules,  # the nav links the module pages only when they exist
    )
    return Page(path, text)


def _module_pages(env: Environment, site: SiteContext) -> list[Page]:
    if site.modules is None:
        return []
    pages = [
        _html(env, "modules.html", MODULES_HTML, MODULES_JSON, site.modules.index, modules=True),
        Page(MODULES_JSON, render_json(site.modules.index)),
    ]
    for detail in site.modules.pages:
        view = detail.module_build
        if view.href is None or view.api_href is None:
            continue  # never guess a path
        html, api = PurePosixPath(view.href), PurePosixPath(view.api_href)
        pages.append(_html(env, "module.html", html, api, detail, modules=True))
        pages.append(Page(api, render_json(detail)))
    return pages


def render_pages(site: SiteContext, env: Environment | None = None) -> list[Page]:
    """Every HTML page and its JSON twin; package pages only for safe names."""
    env = env or environment()
    nav = site.modules is not None
    pages = [
        _html(env, "index.html", OVERVIEW_HTML, OVERVIEW_JSON, site.overview, modules=nav),
        Page(OVERVIEW_JSON, render_json(site.overview)),
        _html(env, "packages.html", PACKAGES_HTML, PACKAGES_JSON, site.packages, modules=nav),
        Page(PACKAGES_JSON, render_json(site.packages)),
    ]
    for package in site.package_pages:
        if package.href is None or package.api_href is None:
            continue  # context already logged it; never guess a path
        html, api = PurePosixPath(package.href), PurePosixPath(package.api_href)
        pages.append(_html(env, "package.html", html, api, package, modules=nav))
        pages.append(Page(api, render_json(package)))
    return pages + _module_pages(env, site)


def static_pages() -> list[Page]:
    """The package's static files (CSS), copied into every version of the site."""
    folder = resources.files("site_generator").joinpath("static")
    return [
        Page(STATIC_DIR / item.name, item.read_text(encoding="utf-8"))
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.is_file() and not item.name.startswith(".")
    ]
