"""The compose backend interface: what a backend is given, and what it gives back.

A backend turns a compose's pinned inputs into a result (``generate``) and
removes what it made (``remove``). It never changes the compose row: the
compose consumer applies the result through ``Compose.transition``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from conveyor.errors import ConveyorError
from models.compose import Compose


class GenerationFailed(ConveyorError):
    """The compose cannot be made from its inputs; the message is the state reason."""


@dataclass(frozen=True)
class ModuleSource:
    nsvc: str
    koji_tag: str
    modulemd: str  # as stored for the module build; the backend writes its built form


@dataclass(frozen=True)
class ComposeInputs:
    """Everything generation reads, resolved by the consumer from the compose row."""

    compose_id: int
    source_type: str
    sources: tuple[str, ...]  # tags, NSVCs or NVRs
    koji_event: int | None  # None: pin the latest event now
    packages: tuple[str, ...] = ()  # only these RPM names; empty: all
    arches: tuple[str, ...] = ("x86_64",)
    sigkeys: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    modules: tuple[ModuleSource, ...] = ()  # the module sources, resolved


@dataclass(frozen=True)
class Content:
    kind: str  # rpm | module
    artifact: str  # build NVR or module NSVC
    name: str  # RPM name or module name
    arch: str | None = None


@dataclass(frozen=True)
class Result:
    koji_event: int | None
    repo_dir: str | None = None
    repo_url: str | None = None
    repofile_url: str | None = None
    contents: tuple[Content, ...] = ()
    external_id: str | None = None  # the id an external service (ODCS) gave the compose
    pending: bool = False  # True: the external service reports completion later


class Backend(Protocol):
    name: str

    def generate(self, compose: Compose, inputs: ComposeInputs) -> Result:
        """Make the compose from scratch (a redelivery regenerates, never appends)."""
        ...

    def remove(self, compose: Compose) -> None:
        """Delete what ``generate`` made; idempotent."""
        ...
