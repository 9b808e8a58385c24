"""The JSON schemas of the site's JSON files (draft 2020-12), and which file each one describes.

The schemas are the contract of ``api/v1``: a field added to a context shows
up in its JSON twin, and the schema test fails until the schema says so.
They reference each other by ``$id`` (``common.schema.json`` holds the shared
definitions); ``load`` returns them all, keyed by ``$id``, for a validator's
registry. Nothing here needs jsonschema: the site is rendered without it.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

BASE = "https://conveyor.example/schemas/v1/"  # .example: an id, never fetched
# A site file's path (relative to the site root) -> the schema it must match.
SCHEMAS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (r"api/v1/overview\.json", "overview.schema.json"),
        (r"api/v1/packages\.json", "packages.schema.json"),
        (r"api/v1/package-index/[^/]+\.json", "package-index.schema.json"),
        (r"api/v1/packages/[^/]+/[^/]+\.json", "package.schema.json"),
        (r"api/v1/module-builds\.json", "module-builds.schema.json"),
        (r"api/v1/module-builds/[1-9][0-9]*\.json", "module-build.schema.json"),
        (r"api/v1/chains\.json", "chains.schema.json"),
        (r"api/v1/chains/[1-9][0-9]*\.json", "chain.schema.json"),
        (r"api/v1/composes\.json", "composes.schema.json"),
        (r"api/v1/composes/[1-9][0-9]*\.json", "compose.schema.json"),
        (r"api/v1/operators\.json", "operators.schema.json"),
        (r"api/v1/streams\.json", "streams.schema.json"),
        (r"api/v1/streams/[^/]+/[^/]+\.json", "stream.schema.json"),
        (r"search-index\.json", "search-index.schema.json"),
    )
)


def schema_name(path: str) -> str | None:
    """The schema file of the site file at ``path`` (POSIX, relative), or None."""
    for pattern, name in SCHEMAS:
        if pattern.fullmatch(path):
            return name
    return None


def load() -> dict[str, dict[str, Any]]:
    """Every schema shipped in this package, keyed by its ``$id``."""
    folder = resources.files(__name__)
    schemas = {}
    for item in folder.iterdir():
        if item.name.endswith(".schema.json"):
            schema = json.loads(item.read_text(encoding="utf-8"))
            schemas[schema["$id"]] = schema
    return schemas
