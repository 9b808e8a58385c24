"""Composes as ODCS's API v1 shows them: the same field names, codes and formats.

``source_type`` and ``state`` are ODCS's integers, ``state_name`` the name;
lists (``arches``, ``sigkeys``, ``packages``, ``builds``) are space-separated
strings, as ODCS sends them. A ``build`` compose has ``source`` ``""`` and its
NVRs in ``builds`` (ODCS's form; Conveyor stores the NVRs as the source).
Fields ODCS has and Conveyor does not use (multilib, lookaside repos, ...) get
ODCS's empty values so that clients reading them keep working. Conveyor's
extras: ``origin`` (conveyor, pungi, odcs) and ``external_id``.
"""

from __future__ import annotations

from typing import Any

from models.compose import Compose

# ODCS fields without a counterpart here, with the value ODCS gives when unused.
UNUSED_FIELDS: dict[str, Any] = {
    "multilib_arches": "",
    "multilib_method": 0,
    "lookaside_repos": "",
    "modular_koji_tags": None,
    "module_defaults_url": None,
    "scratch_modules": None,
    "scratch_build_tasks": None,
    "modules": None,
    "parent_pungi_compose_ids": None,
    "respin_of": None,
    "base_module_br_name": None,
    "base_module_br_stream": None,
    "base_module_br_stream_version_lte": None,
    "base_module_br_stream_version_gte": None,
    "koji_task_id": None,
    "target_dir": "default",
}


def compose_json(compose: Compose, toplevel_base: str) -> dict[str, Any]:
    """One compose; ``toplevel_base`` is where odcs-<id>/ directories are served."""
    body = compose.as_odcs()
    builds = None
    if compose.source_type == "build":
        builds, body["source"] = compose.source or None, ""
    body.pop("source_type_name", None)
    body.update(
        builds=builds,
        pungi_compose_id=compose.external_id if compose.origin == "pungi" else None,
        toplevel_url=_toplevel(compose, toplevel_base),
        **UNUSED_FIELDS,
    )
    return body


def _toplevel(compose: Compose, base: str) -> str | None:
    if compose.origin == "conveyor":
        return f"{base}odcs-{compose.id}"
    return None
