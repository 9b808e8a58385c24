"""A module stream's definition as plain values: what the graph and the store both read.

One ``StreamDefinition`` per module stream; several modulemd documents of the same
stream (contexts of a repository file) merge into one, their dependency blocks kept
side by side as the alternatives they are.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from conveyor.errors import Invalid
from conveyor.modulemd import ModuleStream

KINDS = ("buildrequires", "requires")


class UnknownModuleStream(Invalid):
    """A ``name:stream`` nobody defines or depends on, or a string that is not one."""


def split_ns(ns: str) -> tuple[str, str]:
    """``name:stream`` -> (name, stream); streams stay strings (``5.30`` is not ``5.3``)."""
    name, sep, stream = ns.partition(":")
    if not sep or not name or not stream or ":" in stream:
        raise UnknownModuleStream(f"{ns!r} is not NAME:STREAM")
    return name, stream


@dataclass(frozen=True)
class Dependency:
    """One module of one dependency block, its streams exactly as modulemd v2 writes them."""

    kind: str  # buildrequires | requires
    module: str
    streams: tuple[str, ...]  # () any stream; ("-x", ...) any but those
    block: int = 0


@dataclass(frozen=True)
class StreamDefinition:
    name: str
    stream: str
    mdversion: int = 2
    dependencies: tuple[Dependency, ...] = ()
    components: Mapping[str, str | None] = field(default_factory=dict)  # rpm -> ref as written
    eol: datetime.date | None = None
    servicelevels: Mapping[str, str | None] = field(default_factory=dict)  # name -> ISO date

    @property
    def ns(self) -> str:
        return f"{self.name}:{self.stream}"


def from_module_streams(documents: Iterable[ModuleStream]) -> StreamDefinition:
    """Merge the documents of ONE module stream (e.g. its contexts) into a definition."""
    docs = list(documents)
    first = docs[0]
    dependencies: list[Dependency] = []
    components: dict[str, str | None] = {}
    servicelevels: dict[str, str | None] = {}
    block_number = 0  # blocks of later documents follow those of earlier ones
    for doc in docs:
        for block in doc.dependencies:
            for kind in KINDS:
                for module, streams in getattr(block, kind).items():
                    dependencies.append(Dependency(kind, module, tuple(streams), block_number))
            block_number += 1
        for component in doc.components:
            components.setdefault(component.name, component.ref)
        for level, end in doc.servicelevels.items():
            servicelevels.setdefault(level, end.isoformat() if end else None)
    eol = first.eol
    if eol is None and servicelevels.get("rawhide"):
        # MBS reads a v2 module's EOL from its rawhide service level.
        eol = datetime.date.fromisoformat(servicelevels["rawhide"])
    return StreamDefinition(
        name=first.name,
        stream=first.stream,
        mdversion=first.mdversion,
        dependencies=tuple(dependencies),
        components=components,
        eol=eol,
        servicelevels=servicelevels,
    )
