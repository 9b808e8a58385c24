"""What PDC holds now, read back into the same shape as the desired state.

Only what the sink manages is read: relationships of the managed types in
the configured release, and the module and compose records Conveyor wants
(one request each), so records PDC got from elsewhere never look like drift.
"""

from __future__ import annotations

from conveyor.pdc.client import PdcClient
from conveyor.pdc.facts import RELATIONSHIP_TYPES, PdcState, Relationship


def read_actual(client: PdcClient, desired: PdcState, release: str) -> PdcState:
    relationships = frozenset(
        Relationship(release, r["type"], r["from_component"]["name"], r["to_component"]["name"])
        for r in client.relationships(release, tuple(sorted(RELATIONSHIP_TYPES)))
        if r["type"] in RELATIONSHIP_TYPES
    )
    modules = {}
    for uid, wanted in desired.modules.items():
        found = client.get_one("modules", uid)
        if found is not None:
            modules[uid] = {key: found.get(key) for key in wanted}
    composes = {}
    for compose_id, wanted in desired.composes.items():
        rpms = compose_rpms(client, compose_id)
        if rpms is not None:
            composes[compose_id] = {**wanted, "rpms": rpms}
    return PdcState(relationships, modules, composes)


def compose_rpms(client: PdcClient, compose_id: str) -> list[str] | None:
    """``NVR.arch`` of every RPM PDC lists in a compose, sorted; None if PDC lacks the compose."""
    if client.get_one("composes", compose_id) is None:
        return None
    return sorted(
        f"{r['name']}-{r['version']}-{r['release']}.{r['arch']}"
        for r in client.get_paged("rpms", compose=compose_id)
    )
