"""Carry out one queued change against PDC; every operation is safe to repeat.

A crash between PDC's answer and our commit means the change is sent again,
so a repeat must change nothing: an add is answered "already there" (400
unique set), a remove finds the relationship gone, an upsert writes the same
record, a compose PDC already holds with the same RPMs is not imported again.
"""

from __future__ import annotations

from collections.abc import Callable

from conveyor.pdc.actual import compose_rpms
from conveyor.pdc.client import PdcClient, PdcRejected
from conveyor.pdc.facts import Relationship
from models.pdc_update import PdcChangeKind


def apply_change(client: PdcClient, kind: str, payload: dict) -> None:
    """Raise PdcUnavailable (retry later) or PdcRejected (give up) when PDC says no."""
    handler = _HANDLERS.get(kind)
    if handler is None:
        raise PdcRejected(f"unknown change kind {kind!r}")
    try:
        handler(client, payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise PdcRejected(f"{kind}: malformed payload or answer: {exc!r}") from exc


def _add_relationship(client: PdcClient, payload: dict) -> None:
    """No lookup first: PDC answers a duplicate with 400 "unique set", which counts as done."""
    rel = Relationship.from_payload(payload)
    from_id = client.ensure_component(rel.release, rel.from_name, rel.from_type)
    to_id = client.ensure_component(rel.release, rel.to_name, rel.to_type)
    client.create_relationship(rel.type, from_id, to_id)


def _remove_relationship(client: PdcClient, payload: dict) -> None:
    rel = Relationship.from_payload(payload)
    for found in client.find_relationships(rel.release, rel.type, rel.from_name, rel.to_name):
        client.delete("release-component-relationships", found["id"])


def _upsert_module(client: PdcClient, payload: dict) -> None:
    uid = payload["uid"]
    if client.get_one("modules", uid) is None:
        client.json("POST", client.url("modules"), json=payload)
    else:
        client.json("PATCH", client.url("modules", uid), json=payload)


def _import_compose(client: PdcClient, payload: dict) -> None:
    if compose_rpms(client, payload["compose_id"]) == sorted(payload["rpms"]):
        return  # imported before (a replay): PDC may refuse a compose it already has
    client.json("POST", client.url("compose-rpms"), json=compose_import_body(payload))


def compose_import_body(payload: dict) -> dict:
    """PDC's compose-rpms import: a pungi composeinfo and an rpm manifest.

    Conveyor's compose record lists ``NVR.arch`` per RPM; the manifest groups
    them by source RPM under one variant, as pungi's ``rpms.json`` does.
    """
    compose_id = payload["compose_id"]
    header = {"type": "productmd.composeinfo", "version": "1.2"}
    rpms: dict[str, dict[str, dict]] = {}
    for entry in payload["rpms"]:
        nvr, arch = entry.rsplit(".", 1)
        srpm = f"{_nevra(nvr)}.src"
        rpms.setdefault(arch, {}).setdefault(srpm, {})[f"{_nevra(nvr)}.{arch}"] = {
            "category": "source" if arch == "src" else "binary",
            "path": f"{payload['variant']}/{arch}/os/Packages/{nvr}.{arch}.rpm",
            "sigkey": None,
        }
    compose = {"id": compose_id, "date": payload["date"], "respin": 0, "type": "production"}
    return {
        "release_id": payload["release"],
        "composeinfo": {"header": header, "payload": {"compose": compose, "variants": {}}},
        "rpm_manifest": {
            "header": {"type": "productmd.rpms", "version": "1.2"},
            "payload": {"compose": compose, "rpms": {payload["variant"]: rpms}},
        },
    }


def _nevra(nvr: str) -> str:
    """``name-version-release`` -> ``name-0:version-release`` (koji NVRs carry no epoch)."""
    name, version, release = nvr.rsplit("-", 2)
    return f"{name}-0:{version}-{release}"


_HANDLERS: dict[str, Callable[[PdcClient, dict], None]] = {
    PdcChangeKind.RELATIONSHIP_ADD.value: _add_relationship,
    PdcChangeKind.RELATIONSHIP_REMOVE.value: _remove_relationship,
    PdcChangeKind.MODULE_UPSERT.value: _upsert_module,
    PdcChangeKind.COMPOSE_IMPORT.value: _import_compose,
}
