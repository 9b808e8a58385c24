"""The demo's last act: the composes made for its modules, and how to point dnf at one.

Every module build that reached done asked for a compose of itself and its
runtime dependencies; the compose consumer made each one with the local backend
(hard links of the hub's real RPM files + createrepo_c).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from sqlalchemy import select

from models import Compose, ComposeContent
from sandbox.system import Sandbox

SETTLED = ("done", "failed", "removed")


def _composes(box: Sandbox) -> list[Compose]:
    with box.session_factory() as session:
        found = list(session.scalars(select(Compose).order_by(Compose.id)))
        session.expunge_all()
    return found


def wait_for_composes(box: Sandbox, modules: int, timeout: float = 120) -> list[Compose]:
    """The composes once at least ``modules`` of them have settled."""
    box.wait_for(
        lambda: sum(c.state in SETTLED for c in _composes(box)) >= modules,
        timeout=timeout,
        what=f"{modules} composes to be made",
    )
    return _composes(box)


def compose_report(box: Sandbox, composes: list[Compose]) -> list[str]:
    """What a user reads: each compose, its RPMs, its repo file and a dnf command line."""
    lines = []
    for compose in composes:
        lines.append(f"  compose {compose.id} ({compose.source}): {compose.state} "
                     f"{compose.state_reason}".rstrip())  # fmt: skip
        if compose.state != "done" or not compose.result_repo_dir:
            continue
        with box.session_factory() as session:
            rpms = session.scalars(
                select(ComposeContent.artifact).where(
                    ComposeContent.compose_id == compose.id, ComposeContent.kind == "rpm"
                )
            ).all()
        os_dir = Path(compose.result_repo_dir) / "x86_64" / "os"
        name = f"conveyor-{compose.id}"
        dnf = f"dnf --repofrompath={shlex.quote(f'{name},{os_dir.as_uri()}/')} --repo={name}"
        lines += [
            f"    RPMs: {' '.join(sorted(set(rpms)))}",
            f"    repository: {os_dir}",
            f"    repo file: {compose.result_repofile}",
            *_try_it(dnf, compose),
        ]
    return lines


def _try_it(dnf: str, compose: Compose) -> list[str]:
    if compose.source_type != "module":
        return [f"    try it: {dnf} --nogpgcheck list --available"]
    # modules.yaml is in the repodata: the RPMs show once their stream is enabled
    return [
        f"    try it: {dnf} module list",
        f"            {dnf} --nogpgcheck module install {' '.join(_streams(compose))}",
    ]


def _streams(compose: Compose) -> list[str]:
    """name:stream of each NSVC in the compose's source."""
    return [shlex.quote(":".join(nsvc.split(":")[:2])) for nsvc in compose.sources]


def show_composes(box: Sandbox, modules: int) -> None:
    composes = wait_for_composes(box, modules)
    print("\ncomposes (one per module build that reached done, with its runtime deps):")
    print("\n".join(compose_report(box, composes)))
