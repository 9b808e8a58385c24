"""The packages index, paged: a small top page and one page per initial (or family and initial).

At Fedora scale one list of every package is 23,000 rows (8 MB of HTML, 25 MB
of JSON) and an incremental render would rewrite it for every change. So
``packages/index.html`` and ``api/v1/packages.json`` (the paths the rest of the
site and the API's users know) list the index pages with their sizes, and each
index page (``package-index/<key>.html`` and its twin) lists its packages with
their latest build. A change rewrites only the index pages of the changed
packages (see ``gather_site.index``).

Pages are keyed by the name's initial (A-Z, 0-9, "other"), except the big name
families of Fedora's packaging guidelines (``python-*``, ``rust-*``,
``perl-*``, ``golang-github-*``, ...: thousands of packages each), which are
keyed by family and the initial after the prefix ("python-R"), so that no
index page holds more than a few hundred packages. Keys are made only of the
constants below and ``initial``'s output: safe as file names whatever the
package is called.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from site_generator.ops_render import initial

if TYPE_CHECKING:
    from site_generator.context import PackageSummary

INDEX_DIR = "package-index"
# Longest first: a name takes the first family whose prefix it starts with (any case).
FAMILIES = (
    "golang-github-",
    "texlive-",
    "python-",
    "nodejs-",
    "golang-",
    "mingw-",
    "ocaml-",
    "perl-",
    "rust-",
    "ghc-",
    "php-",
    "lib",
    "R-",
)


# First letter (lower case) -> (prefix in lower case, the key's family part), longest first:
# page_key runs for every package of every render, and most names start no family.
_BY_FIRST: dict[str, tuple[tuple[str, str], ...]] = {}
for _family in FAMILIES:
    _entry = (_family.lower(), _family.rstrip("-").lower())
    _BY_FIRST[_entry[0][0]] = (*_BY_FIRST.get(_entry[0][0], ()), _entry)


@lru_cache(maxsize=1 << 16)  # three calls per package per render: scope, summaries, counts
def page_key(name: str) -> str:
    """The index page that lists ``name``: "B", "other", "python-R", "lib-X", ..."""
    lower = name[:16].lower()  # longer than any family prefix
    for prefix, family in _BY_FIRST.get(lower[:1], ()):
        if len(name) > len(prefix) and lower.startswith(prefix):
            return f"{family}-{initial(name[len(prefix) :])}"
    return initial(name)


def page_label(key: str) -> str:
    """How a page is named in links: "B", "Other", "python-R", "libX", "python-#"."""
    if key == "other":
        return "Other"
    family, _, letter = key.rpartition("-")
    if not family:
        return key
    prefix = next(f for f in FAMILIES if f.rstrip("-").lower() == family)
    return prefix + ("#" if letter == "other" else letter)


def page_paths(key: str) -> tuple[PurePosixPath, PurePosixPath]:
    return (
        PurePosixPath(INDEX_DIR, f"{key}.html"),
        PurePosixPath("api/v1", INDEX_DIR, f"{key}.json"),
    )


def key_letter(key: str) -> str:
    """The initial of every name that ``key``'s page lists."""
    return key if key == "other" else initial(key)


def _order(key: str) -> tuple[bool, str, int, str]:
    """Pages by the initial of the names they list, a letter's own page before its families."""
    letter = key_letter(key)
    return (letter == "other", letter, key.count("-"), key.lower())


@dataclass(frozen=True)
class IndexPageLink:
    key: str
    label: str
    letter: str  # the initial of every name on the page: the top page groups by it
    count: int  # packages on the page
    href: str
    api_href: str


@dataclass(frozen=True)
class PackageIndexContext:
    """The top page: every index page with its size."""

    generated_at: datetime
    package_count: int
    pages: tuple[IndexPageLink, ...]


@dataclass(frozen=True)
class PackageIndexPage:
    """One index page: its packages by name, each with its latest build."""

    generated_at: datetime
    key: str
    label: str
    index_href: str  # the top page
    packages: tuple[PackageSummary, ...]


def links(names: Iterable[str]) -> tuple[IndexPageLink, ...]:
    """The top page's links, counting the packages called ``names`` (one per package)."""
    counts = Counter(page_key(n) for n in names)
    out = []
    for key in sorted(counts, key=_order):
        html, api = page_paths(key)
        label, letter = page_label(key), key_letter(key)
        out.append(IndexPageLink(key, label, letter, counts[key], str(html), str(api)))
    return tuple(out)


def index_contexts(
    now: datetime,
    names: Collection[str],
    summaries: Iterable[PackageSummary],
    keys: Collection[str] | None = None,
) -> tuple[PackageIndexContext, tuple[PackageIndexPage, ...]]:
    """The top page (``names``: every package's) and the index pages ``keys`` (None: all).

    ``summaries`` must hold every package of those pages (others are ignored).
    """
    rows: dict[str, list[PackageSummary]] = defaultdict(list)
    for summary in summaries:
        key = page_key(summary.name)
        if keys is None or key in keys:
            rows[key].append(summary)
    top = PackageIndexContext(now, len(names), links(names))
    index_href = "packages/index.html"
    pages = tuple(
        PackageIndexPage(
            now,
            key,
            page_label(key),
            index_href,
            tuple(sorted(rows[key], key=lambda p: (p.name.lower(), p.name, p.namespace))),
        )
        for key in sorted(rows, key=_order)
    )
    return top, pages
