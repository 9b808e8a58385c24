"""Module builds as JSON: the orchestrator README's fields plus MBS's useful extras.

``state`` is the state's name (the README's form) and ``state_name`` repeats it
for MBS clients. ``tasks`` maps ``rpms/<package>`` to ``<koji task id>/<state>``
for every component koji has a task for (a waiting or reused component has
none yet; the ``components`` list shows every component). Times are ISO 8601
UTC with a ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.component_build import ComponentBuild
from models.module_build import ModuleBuild


def iso(moment: datetime | None) -> str | None:
    """Naive UTC (as stored) or aware, to ``2024-05-01T12:00:00Z``."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def summary(build: ModuleBuild) -> dict[str, Any]:
    """The fields of a list item: everything but the components."""
    return {
        "id": build.id,
        "name": build.name,
        "stream": build.stream,
        "version": str(build.version),
        "context": build.context,
        "state": build.state,
        "state_name": build.state,
        "state_reason": build.state_reason,
        "owner": build.owner,
        "scmurl": build.scmurl,
        "commit": build.commit,
        "koji_tag": build.koji_tag,
        "batch": build.batch,
        "time_submitted": iso(build.submitted_at),
        "time_modified": iso(build.updated_at),
        "time_completed": iso(build.completed_at),
    }


def component(component: ComponentBuild) -> dict[str, Any]:
    return {
        "package": component.package,
        "ref": component.ref,
        "commit": component.commit,
        "batch": component.batch,
        "state": component.state,
        "state_reason": component.state_reason,
        "task_id": component.koji_task_id,
        "nvr": component.nvr,
    }


def module_build(build: ModuleBuild) -> dict[str, Any]:
    """A build with its components and the README's ``tasks`` map."""
    components = list(build.components)
    return {
        **summary(build),
        "tasks": {
            f"rpms/{c.package}": f"{c.koji_task_id}/{c.state}"
            for c in components
            if c.koji_task_id is not None
        },
        "components": [component(c) for c in components],
    }
