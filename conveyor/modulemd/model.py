"""What a validated modulemd document becomes: plain frozen values, no YAML left in them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from itertools import groupby

from conveyor.errors import Invalid


class ModulemdInvalid(Invalid):
    """A modulemd document breaks its spec; ``reasons`` lists every problem, not just the first.

    It derives from ``Invalid`` because retrying the same text cannot help: a packager has
    to change the file, so each reason names the field path to change.
    """

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


@dataclass(frozen=True)
class RpmComponent:
    """One entry of ``data.components.rpms``; ``name`` is the map key (the dist-git repo).

    For a v2/v3 document ordered with ``buildafter``, ``buildorder`` holds the computed
    batch number (0 for components that wait for nothing), so batching never has to know
    which of the two mechanisms the packager used.
    """

    name: str
    ref: str | None
    buildorder: int
    rationale: str
    repository: str | None
    arches: tuple[str, ...] = ()
    buildafter: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dependencies:
    """One dependency block: module name -> streams (empty tuple means any stream)."""

    buildrequires: dict[str, tuple[str, ...]] = field(default_factory=dict)
    requires: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ModuleStream:
    """A module stream document (v1, v2, or a packager v3 seen as a stream), validated."""

    mdversion: int
    name: str
    stream: str
    version: int | None
    context: str | None
    summary: str
    description: str
    module_licenses: tuple[str, ...]
    eol: datetime.date | None
    servicelevels: dict[str, datetime.date | None]
    dependencies: tuple[Dependencies, ...]
    components: tuple[RpmComponent, ...]
    module_components: tuple[str, ...]
    document: dict

    def batches(self) -> list[list[RpmComponent]]:
        """Components grouped into build batches, lowest buildorder first, names sorted."""
        ordered = sorted(self.components, key=lambda c: (c.buildorder, c.name))
        return [list(group) for _, group in groupby(ordered, key=lambda c: c.buildorder)]

    @property
    def buildrequired_streams(self) -> dict[str, tuple[str, ...]]:
        """Build-time streams per module over all blocks; "any stream" in one block wins."""
        merged: dict[str, tuple[str, ...]] = {}
        any_stream: set[str] = set()
        for block in self.dependencies:
            for module, streams in block.buildrequires.items():
                if not streams:
                    any_stream.add(module)
                seen = merged.get(module, ())
                merged[module] = seen + tuple(s for s in streams if s not in seen)
        return {m: () if m in any_stream else s for m, s in merged.items()}


@dataclass(frozen=True)
class DocumentVerdict:
    """The verdict on one YAML document of a file.

    ``index`` counts from 1, like ``label`` ("document 3") and like a packager would count.
    ``kind`` is "stream", "packager", "defaults", "translations", "obsoletes" or "unknown";
    documents that are not module streams are ``skipped`` (recognised, not checked).
    """

    index: int
    kind: str
    label: str
    reasons: tuple[str, ...] = ()
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return not self.reasons
