"""The site's file layout: every page path, built only from validated components."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

# A dist-git namespace or name that may become a file or directory name. The
# length cap keeps "<name>.html" under the 255-byte limit of common filesystems.
_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")

OVERVIEW_HTML = PurePosixPath("index.html")
OVERVIEW_JSON = PurePosixPath("api/v1/overview.json")
PACKAGES_HTML = PurePosixPath("packages/index.html")
PACKAGES_JSON = PurePosixPath("api/v1/packages.json")
MODULES_HTML = PurePosixPath("modules/index.html")
MODULES_JSON = PurePosixPath("api/v1/module-builds.json")
CHAINS_HTML = PurePosixPath("chains/index.html")
CHAINS_JSON = PurePosixPath("api/v1/chains.json")
COMPOSES_HTML = PurePosixPath("composes/index.html")
COMPOSES_JSON = PurePosixPath("api/v1/composes.json")
STREAMS_HTML = PurePosixPath("streams/index.html")
STREAMS_JSON = PurePosixPath("api/v1/streams.json")
STATIC_DIR = PurePosixPath("static")


@dataclass(frozen=True)
class Page:
    """One file of the site: where it goes (relative to the site root) and its text."""

    path: PurePosixPath
    content: str


def valid_component(value: str) -> bool:
    """True when ``value`` is safe as one path component (never ``.``, ``..``, ``/``)."""
    return bool(_COMPONENT.fullmatch(value)) and value not in (".", "..")


def package_hrefs(namespace: str, name: str) -> tuple[str, str] | None:
    """``package_paths`` as strings, made without paths: a render needs 23,000 of them,
    and building two PurePosixPaths each was a visible part of an incremental render.
    (Both components are valid: no separator, never "." or "..", so nothing to normalise.)
    """
    if not (valid_component(namespace) and valid_component(name)):
        return None
    return f"packages/{namespace}/{name}.html", f"api/v1/packages/{namespace}/{name}.json"


def package_paths(namespace: str, name: str) -> tuple[PurePosixPath, PurePosixPath] | None:
    """The HTML page and JSON twin of a package, or None if its names are unsafe."""
    hrefs = package_hrefs(namespace, name)
    return None if hrefs is None else (PurePosixPath(hrefs[0]), PurePosixPath(hrefs[1]))


def module_build_hrefs(module_build_id: int) -> tuple[str, str] | None:
    """``module_build_paths`` as strings (every component view of a reused build needs one)."""
    if type(module_build_id) is not int or module_build_id < 1:
        return None
    return f"modules/{module_build_id}.html", f"api/v1/module-builds/{module_build_id}.json"


def module_build_paths(module_build_id: int) -> tuple[PurePosixPath, PurePosixPath] | None:
    """The HTML page and JSON twin of a module build: named by its integer id, never its name."""
    hrefs = module_build_hrefs(module_build_id)
    return None if hrefs is None else (PurePosixPath(hrefs[0]), PurePosixPath(hrefs[1]))


def _by_id(folder: str, api: str, row_id: int) -> tuple[PurePosixPath, PurePosixPath] | None:
    if type(row_id) is not int or row_id < 1:
        return None
    return PurePosixPath(folder, f"{row_id}.html"), PurePosixPath("api/v1", api, f"{row_id}.json")


def chain_paths(chain_id: int) -> tuple[PurePosixPath, PurePosixPath] | None:
    """The HTML page and JSON twin of a rebuild chain: named by its integer id."""
    return _by_id("chains", "chains", chain_id)


def compose_paths(compose_id: int) -> tuple[PurePosixPath, PurePosixPath] | None:
    """The HTML page and JSON twin of a compose: named by Conveyor's integer id, never
    by the id a compose service gave it (that one comes from a message)."""
    return _by_id("composes", "composes", compose_id)


def stream_hrefs(name: str, stream: str) -> tuple[str, str] | None:
    """The HTML page and JSON twin of a module stream (names from modulemd: data), or None.

    "index.html" as a module name would put its folder where the streams index is.
    """
    if not (valid_component(name) and valid_component(stream)) or name == "index.html":
        return None
    return f"streams/{name}/{stream}.html", f"api/v1/streams/{name}/{stream}.json"


def root_prefix(path: PurePosixPath) -> str:
    """The relative prefix from ``path`` back to the site root ("", "../", ...)."""
    return "../" * (len(path.parts) - 1)
