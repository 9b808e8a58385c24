"""Everything known about one module stream, as plain data (``conveyor deps show``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from conveyor.deps import store
from conveyor.deps.definition import split_ns
from conveyor.deps.graph import DepGraph


def describe(session: Session, graph: DepGraph, ns: str) -> dict[str, Any]:
    """Current definition, its source, direct edges both ways and the number of revisions."""
    name, stream = split_ns(ns)
    revisions = store.history(session, name, stream)
    current = revisions[-1] if revisions else None
    eol = graph.eol(ns)
    return {
        "module_stream": ns,
        "defined": graph.is_defined(ns),
        "source": f"{current.source_kind} {current.source}" if current else None,
        "origin": current.origin if current else None,
        "recorded_at": current.recorded_at.isoformat() if current else None,
        "revisions": len(revisions),
        "eol": eol.isoformat() if eol else None,
        "servicelevels": graph.servicelevels(ns),
        "buildrequires": sorted(graph.buildrequires(ns, direct=True)),
        "requires": sorted(graph.requires(ns, direct=True)),
        "dependants": sorted(graph.dependants(ns, direct=True)),
        "unresolved": sorted(graph.unresolved(ns)),
        "components": dict(sorted(graph.components(ns).items())),
    }


def revisions(session: Session, name: str, stream: str) -> list[dict[str, Any]]:
    """Each recorded definition of a stream, oldest first, with its dependencies as written.

    A dependency reads ``kind module:[streams]`` and, when the definition has several
    alternative blocks, ``#block`` after it.
    """
    found = []
    for row in store.history(session, name, stream):
        blocks = {d.block for d in row.dependencies}
        found.append(
            {
                "source": f"{row.source_kind} {row.source}",
                "origin": row.origin,
                "recorded_at": row.recorded_at.isoformat(timespec="seconds"),
                "dependencies": [
                    f"{d.kind} {d.module}:[{','.join(d.streams)}]"
                    + (f"#{d.block}" if len(blocks) > 1 else "")
                    for d in row.dependencies
                ],
                "components": {c.rpm: c.ref for c in row.components},
            }
        )
    return found
