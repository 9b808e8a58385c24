"""Module sources of a compose: NSVCs resolved from the database, runtime deps, EOL check.

A module compose's ``source`` is stored fully resolved (every NSVC, runtime
dependencies included) so that a regeneration reads exactly the same modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor.errors import Invalid
from conveyor.modulemd.documents import load_stream
from conveyor.modulemd.model import ModulemdInvalid, ModuleStream
from models import ModuleBuild

USABLE_STATES = ("done", "ready")  # a module is in a compose once all its components built


class ComposeRequestError(Invalid):
    """A compose request that cannot be honoured; the message says why (ODCS's 400)."""


@dataclass(frozen=True)
class EolVerdict:
    module: str  # NSVC
    module_eol: date
    release: str
    release_eol: date

    @property
    def reason(self) -> str:
        return (
            f"module {self.module} reaches its end of life on {self.module_eol}, "
            f"before release {self.release} ({self.release_eol})"
        )


def find_module(session: Session, spec: str) -> ModuleBuild:
    """The newest usable build for N:S, N:S:V or N:S:V:C; ComposeRequestError if none."""
    parts = spec.split(":")
    if not 2 <= len(parts) <= 4 or not all(parts):
        raise ComposeRequestError(f"module {spec!r}: expected name:stream[:version[:context]]")
    query = select(ModuleBuild).where(
        ModuleBuild.name == parts[0], ModuleBuild.stream == parts[1],
        ModuleBuild.state.in_(USABLE_STATES),
    )  # fmt: skip
    if len(parts) >= 3:
        if not parts[2].isdigit():
            raise ComposeRequestError(f"module {spec!r}: the version must be a number")
        query = query.where(ModuleBuild.version == int(parts[2]))
    if len(parts) == 4:
        query = query.where(ModuleBuild.context == parts[3])
    found = session.scalars(query.order_by(ModuleBuild.version.desc(), ModuleBuild.id.desc()))
    module = found.first()
    if module is None:
        raise ComposeRequestError(f"module {spec!r}: no such module build in done or ready")
    return module


def stream_of(module: ModuleBuild) -> ModuleStream | None:
    """The stored modulemd, parsed; None when it no longer parses (then no deps, no EOL)."""
    try:
        return load_stream(module.modulemd, name=module.name, stream=module.stream)
    except ModulemdInvalid:
        return None


def with_runtime_deps(
    session: Session, modules: list[ModuleBuild], base_modules: tuple[str, ...]
) -> list[ModuleBuild]:
    """The modules plus, transitively, the newest usable build of each stream they require.

    Base modules (platform) are the release itself, not content of the compose.
    """
    result: dict[int, ModuleBuild] = {}
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module.id in result:
            continue
        result[module.id] = module
        for name, streams in _requires(module).items():
            if name in base_modules:
                continue
            todo.append(_required(session, module, name, streams))
    return sorted(result.values(), key=lambda m: m.nsvc)


def _requires(module: ModuleBuild) -> dict[str, tuple[str, ...]]:
    parsed = stream_of(module)
    if parsed is None:
        return {}
    merged: dict[str, tuple[str, ...]] = {}
    for block in parsed.dependencies:
        for name, streams in block.requires.items():
            merged[name] = merged.get(name, ()) + streams
    return merged


def _required(
    session: Session, module: ModuleBuild, name: str, streams: tuple[str, ...]
) -> ModuleBuild:
    wanted = [s for s in streams if not s.startswith("-")]
    query = select(ModuleBuild).where(
        ModuleBuild.name == name, ModuleBuild.state.in_(USABLE_STATES)
    )
    if wanted:
        query = query.where(ModuleBuild.stream.in_(wanted))
    found = session.scalars(query.order_by(ModuleBuild.version.desc(), ModuleBuild.id.desc()))
    required = found.first()
    if required is None:
        raise ComposeRequestError(
            f"module {module.nsvc} requires {name}:{','.join(wanted) or '*'}, "
            "which has no build in done or ready"
        )
    return required


def release_of(module: ModuleBuild, base_modules: tuple[str, ...]) -> str | None:
    """The release a module is built for: the stream of its base module (platform:f39)."""
    for key in module.buildrequires or {}:
        name, _, stream = key.partition(":")
        if name in base_modules and stream:
            return stream
    return None


def module_eol(module: ModuleBuild) -> date | None:
    """modulemd v1 ``eol``, else the earliest EOL among v2 ``servicelevels``."""
    parsed = stream_of(module)
    if parsed is None:
        return None
    dates = [d for d in parsed.servicelevels.values() if d is not None]
    if parsed.eol is not None:
        dates.append(parsed.eol)
    return min(dates, default=None)


def eol_problems(
    modules: list[ModuleBuild], release: str | None, release_eol: date | None
) -> list[EolVerdict]:
    """Modules ending before the release does (the Modularity plan's EOL check)."""
    if release is None or release_eol is None:
        return []
    found = []
    for module in modules:
        eol = module_eol(module)
        if eol is not None and eol < release_eol:
            found.append(EolVerdict(module.nsvc, eol, release, release_eol))
    return found
