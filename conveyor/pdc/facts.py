"""The facts Conveyor keeps in PDC, as plain frozen data (no I/O).

Three kinds of object, each with a stable key naming it in the ``pdc_updates``
queue: release-component relationships (as pdc-updater kept them), module
records (PDC's ``modules``, once ``unreleasedvariants``) and compose contents
(PDC's ``compose-rpms``). ``PdcState`` is one snapshot of all three: what PDC
should hold (``desired``), what it holds (``actual``) or what Conveyor last
told it (the queue's history).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Relationship types this sink manages; PDC needs them created by an admin beforehand.
MODULE_BUILDREQUIRES = "ModuleBuildRequires"
MODULE_REQUIRES = "ModuleRequires"
MODULE_INCLUDES_RPM = "ModuleIncludesRPM"
# type -> (from component type, to component type)
RELATIONSHIP_TYPES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        MODULE_BUILDREQUIRES: ("module", "module"),
        MODULE_REQUIRES: ("module", "module"),
        MODULE_INCLUDES_RPM: ("module", "rpm"),
    }
)


@dataclass(frozen=True, order=True)
class Relationship:
    """``from_name`` (a module stream, ``name:stream``) relates to ``to_name`` in ``release``."""

    release: str
    type: str
    from_name: str
    to_name: str

    @property
    def key(self) -> str:
        return f"relationship:{self.release}:{self.type}:{self.from_name}->{self.to_name}"

    @property
    def from_type(self) -> str:
        return RELATIONSHIP_TYPES[self.type][0]

    @property
    def to_type(self) -> str:
        return RELATIONSHIP_TYPES[self.type][1]

    def as_payload(self) -> dict:
        return {
            "release": self.release,
            "type": self.type,
            "from_component": {"name": self.from_name, "type": self.from_type},
            "to_component": {"name": self.to_name, "type": self.to_type},
        }

    @classmethod
    def from_payload(cls, payload: Mapping) -> Relationship:
        return cls(
            payload["release"],
            payload["type"],
            payload["from_component"]["name"],
            payload["to_component"]["name"],
        )


def module_key(uid: str) -> str:
    return f"module:{uid}"


def compose_key(compose_id: str) -> str:
    return f"compose:{compose_id}"


@dataclass(frozen=True)
class PdcState:
    """One snapshot of the managed objects: relationships, modules by uid, composes by id.

    Module and compose records are JSON-shaped dicts (the payload PDC receives),
    compared as wholes: any difference means the record is sent again.
    """

    relationships: frozenset[Relationship] = frozenset()
    modules: Mapping[str, dict] = field(default_factory=dict)
    composes: Mapping[str, dict] = field(default_factory=dict)
