"""Phase 2 for module builds: the list page, one detail page per module build, the overview part.

Every page path is built from a module build's integer id (``paths.module_build_paths``),
never from its name, stream or anything else a modulemd file or a message chose.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from models.component_build import FINISHED as COMPONENT_FINISHED
from models.module_build import IN_PROGRESS
from site_generator.context_extras import Extras
from site_generator.gather_modules import (
    ComponentCounts,
    ComponentRow,
    ModuleBuildRow,
    ModulesGathered,
)
from site_generator.paths import MODULES_HTML, MODULES_JSON, module_build_hrefs
from site_generator.views import HTML_ONLY, StateCount, TransitionView, opt_utc, short, utc
from site_generator.views_modules import (
    HEIGHT,
    LINE_Y,
    MODULE_STATES,
    PAD,
    STEP,
    BatchView,
    ComponentView,
    ModuleBuildView,
    Timeline,
    TimelineMarker,
    component_state_class,
    module_state_class,
)
from site_generator.views_pipeline import ChainRefView, ComposeRefView, LifecycleView, VerdictView


@dataclass(frozen=True)
class ModuleBuildContext:
    generated_at: datetime
    module_build: ModuleBuildView
    transitions: tuple[TransitionView, ...]  # oldest first
    batches: tuple[BatchView, ...]  # in build order
    timeline: Timeline = field(metadata=HTML_ONLY)
    ci: VerdictView | None = None  # gating verdict and latest results; None: no CI news
    composes: tuple[ComposeRefView, ...] = ()  # composes containing it, newest first
    lifecycle: LifecycleView | None = None  # EOL/SLA of its stream's current definition
    chains: tuple[ChainRefView, ...] = ()  # rebuild chains it is an item of, newest first


@dataclass(frozen=True)
class ModulesContext:
    generated_at: datetime
    state_counts: tuple[StateCount, ...]
    module_builds: tuple[ModuleBuildView, ...]  # newest first


@dataclass(frozen=True)
class ModuleOverview:
    """The overview page's part: counts, what is in progress, what failed lately."""

    total: int
    state_counts: tuple[StateCount, ...]
    in_progress: tuple[ModuleBuildView, ...]  # oldest first
    recent_failures: tuple[ModuleBuildView, ...]  # newest first
    href: str | None  # None: no module build yet, so no module pages
    api_href: str | None


@dataclass(frozen=True)
class ModulesSite:
    index: ModulesContext
    pages: tuple[ModuleBuildContext, ...]


def _component_view(row: ComponentRow, koji_web: str, known: set[int]) -> ComponentView:
    origin = row.reused_from_module_build_id
    origin_paths = module_build_hrefs(origin) if origin in known else None  # type: ignore[arg-type]
    return ComponentView(
        id=row.id,
        package=row.package,
        ref=row.ref,
        commit=row.commit,
        commit_short=short(row.commit),
        batch=row.batch,
        state=row.state,
        state_class=component_state_class(row.state),
        state_reason=row.state_reason,
        nvr=row.nvr,
        koji_task_id=row.koji_task_id,
        koji_task_url=None
        if row.koji_task_id is None
        else f"{koji_web}/taskinfo?taskID={int(row.koji_task_id)}",
        koji_build_id=row.koji_build_id,
        koji_build_url=None
        if row.koji_build_id is None
        else f"{koji_web}/buildinfo?buildID={int(row.koji_build_id)}",
        tagged_build=bool(row.tagged_build),
        tagged_dest=bool(row.tagged_dest),
        reused_from_id=row.reused_from_id,
        reused_from_module_build_id=origin,
        reused_from_href=None if origin_paths is None else origin_paths[0],
        updated_at=opt_utc(row.updated_at),
    )


def _counted(components: list[ComponentView]) -> ComponentCounts:
    return ComponentCounts(
        max((c.batch for c in components), default=0),
        sum(c.state in COMPONENT_FINISHED for c in components),
        len(components),
    )


def _module_view(row: ModuleBuildRow, counts: ComponentCounts, koji_web: str) -> ModuleBuildView:
    paths = module_build_hrefs(row.id)
    tag = row.koji_tag
    return ModuleBuildView(
        id=row.id,
        nsvc=f"{row.name}:{row.stream}:{row.version}:{row.context}",
        name=row.name,
        stream=row.stream,
        version=row.version,
        context=row.context,
        owner=row.owner,
        state=row.state,
        state_class=module_state_class(row.state),
        state_reason=row.state_reason,
        scmurl=row.scmurl,
        commit=row.commit,
        commit_short=short(row.commit),
        koji_tag=tag,
        koji_tag_url=None if not tag else f"{koji_web}/taginfo?tagID={quote(tag, safe='')}",
        batch=row.batch,
        batch_count=max(row.batch, counts.last_batch),
        components_done=counts.finished,
        components_total=counts.total,
        submitted_at=utc(row.submitted_at),
        updated_at=utc(row.updated_at),
        completed_at=opt_utc(row.completed_at),
        href=None if paths is None else paths[0],
        api_href=None if paths is None else paths[1],
    )


def _batches(view: ModuleBuildView, components: list[ComponentView]) -> tuple[BatchView, ...]:
    grouped: dict[int, list[ComponentView]] = defaultdict(list)
    for c in components:
        grouped[c.batch].append(c)
    return tuple(
        BatchView(batch, batch == view.batch, tuple(sorted(items, key=lambda c: c.package)))
        for batch, items in sorted(grouped.items())
    )


def timeline(transitions: tuple[TransitionView, ...]) -> Timeline:
    """One marker per transition, evenly spaced in order (times can bunch up)."""
    markers = tuple(
        TimelineMarker(PAD + i * STEP, module_state_class(t.to_state), t)
        for i, t in enumerate(transitions)
    )
    width = 2 * PAD + STEP * max(0, len(markers) - 1)
    return Timeline(width, HEIGHT, LINE_Y, markers)


def _counts(views: tuple[ModuleBuildView, ...]) -> tuple[StateCount, ...]:
    counts = dict.fromkeys(MODULE_STATES, 0)
    for v in views:
        counts[v.state] = counts.get(v.state, 0) + 1
    return tuple(StateCount(s, module_state_class(s), n) for s, n in counts.items())


def build_module_contexts(
    data: ModulesGathered, *, now: datetime, recent_days: int, koji_web: str
) -> tuple[ModuleOverview, ModulesSite | None]:
    """The overview part, and the module pages (None while there is no module build)."""
    known = {row.id for row in data.module_builds}
    components: dict[int, list[ComponentView]] = defaultdict(list)
    for c in data.components:
        components[c.module_build_id].append(_component_view(c, koji_web, known))
    traces: dict[int, list[TransitionView]] = defaultdict(list)
    for t in data.transitions:
        traces[t.module_build_id].append(
            TransitionView(t.from_state, t.to_state, t.cause, t.reason, utc(t.at))
        )

    counted = data.component_counts  # None: every module build's components are here
    views = tuple(
        _module_view(
            row,
            _counted(components[row.id])
            if counted is None
            else counted.get(row.id, ComponentCounts(0, 0, 0)),
            koji_web,
        )
        for row in data.module_builds
    )
    counts = _counts(views)
    cutoff = utc(now) - timedelta(days=recent_days)
    has_pages = bool(views)
    overview = ModuleOverview(
        total=len(views),
        state_counts=counts,
        in_progress=tuple(
            sorted(
                (v for v in views if v.state in IN_PROGRESS),
                key=lambda v: (v.submitted_at, v.id),
            )
        ),
        recent_failures=tuple(
            sorted(
                (v for v in views if v.state == "failed" and v.updated_at >= cutoff),  # type: ignore[operator]
                key=lambda v: (v.updated_at, v.id),
                reverse=True,
            )
        ),
        href=str(MODULES_HTML) if has_pages else None,
        api_href=str(MODULES_JSON) if has_pages else None,
    )
    if not has_pages:
        return overview, None
    pages = []
    extras = Extras(data.extras)
    for view in views:
        if view.href is None:
            continue  # an id that is not a positive int: never guess a path
        if counted is not None and view.id not in data.detailed:
            continue  # its components were not read: no page this time
        trace = tuple(traces[view.id])
        nsv = f"{view.name}:{view.stream}:{view.version}"
        pages.append(
            ModuleBuildContext(
                utc(now),
                view,
                trace,
                _batches(view, components[view.id]),
                timeline(trace),
                ci=extras.verdict(view.nsvc, view.id, nsv),
                composes=tuple(extras.composes.get(view.nsvc, ())),
                lifecycle=extras.lifecycle(view.name, view.stream),
                chains=tuple(extras.chains.get(view.id, ())),
            )
        )
    return overview, ModulesSite(ModulesContext(utc(now), counts, views), tuple(pages))
