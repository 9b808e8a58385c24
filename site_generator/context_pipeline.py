"""Phase 2 for rebuild chains and composes: list pages, one page each, the overview parts.

Page paths come from integer ids (``paths.chain_paths``, ``paths.compose_paths``),
never from a trigger, a source or an id a compose service chose.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from site_generator.chain_diagram import Diagram, diagram
from site_generator.gather_modules import ModulesGathered
from site_generator.gather_pipeline import (
    BuildRequiresRow,
    ChainItemRow,
    ChainRow,
    ComposeRow,
    ContentRow,
    PipelineGathered,
)
from site_generator.paths import (
    chain_paths,
    compose_paths,
    module_build_paths,
    package_paths,
)
from site_generator.views import HTML_ONLY, StateCount, TransitionView, opt_utc, utc
from site_generator.views_pipeline import (
    CHAIN_STATES,
    COMPOSE_STATES,
    ChainItemView,
    ChainTransitionView,
    ChainView,
    ComposeView,
    ContentView,
    TierView,
    css,
    safe_url,
)

RUNNING_CHAINS = frozenset({"planned", "running"})
COMPOSES_IN_PROGRESS = frozenset({"wait", "generating"})


@dataclass(frozen=True)
class ChainContext:
    generated_at: datetime
    chain: ChainView
    tiers: tuple[TierView, ...]
    transitions: tuple[ChainTransitionView, ...]  # oldest first
    diagram: Diagram = field(metadata=HTML_ONLY)


@dataclass(frozen=True)
class ChainsContext:
    generated_at: datetime
    state_counts: tuple[StateCount, ...]
    chains: tuple[ChainView, ...]  # newest first


@dataclass(frozen=True)
class ChainsSite:
    index: ChainsContext
    pages: tuple[ChainContext, ...]
    running: tuple[ChainView, ...]  # planned or running, oldest first


@dataclass(frozen=True)
class ComposeContext:
    generated_at: datetime
    compose: ComposeView
    contents: tuple[ContentView, ...]  # modules first, then rpms, by artifact
    transitions: tuple[TransitionView, ...]  # oldest first


@dataclass(frozen=True)
class ComposesContext:
    generated_at: datetime
    state_counts: tuple[StateCount, ...]
    composes: tuple[ComposeView, ...]  # newest first


@dataclass(frozen=True)
class ComposesSite:
    index: ComposesContext
    pages: tuple[ComposeContext, ...]
    in_progress: tuple[ComposeView, ...]  # wait or generating, oldest first


def _href(paths: tuple | None, index: int = 0) -> str | None:
    return None if paths is None else str(paths[index])


def _counts(family: str, states: tuple[str, ...], seen: Iterable[str]) -> tuple[StateCount, ...]:
    counts = dict.fromkeys(states, 0)
    for state in seen:
        counts[state] = counts.get(state, 0) + 1
    return tuple(StateCount(s, css(family, s), n) for s, n in counts.items())


class _Links:
    """Hrefs of pages that exist: packages by (namespace, name), module builds by NSVC."""

    def __init__(self, modules: ModulesGathered, packages: Iterable) -> None:
        self.packages = {(p.namespace, p.name) for p in packages}
        self.nsvcs: dict[str, int] = {}
        self.module_ids = {m.id for m in modules.module_builds}
        for m in reversed(modules.module_builds):  # newest last: it wins an NSVC
            self.nsvcs[f"{m.name}:{m.stream}:{m.version}:{m.context}"] = m.id

    def package(self, namespace: str | None, name: str | None) -> str | None:
        if namespace is None or name is None or (namespace, name) not in self.packages:
            return None
        return _href(package_paths(namespace, name))

    def module_build(self, module_build_id: int | None) -> str | None:
        if module_build_id not in self.module_ids:
            return None
        return _href(module_build_paths(module_build_id))  # type: ignore[arg-type]


def _trigger(row: ChainRow) -> str:
    if row.trigger_module:
        return row.trigger_module
    return f"{row.trigger_namespace or 'rpms'}/{row.trigger_name}@{row.trigger_branch}"


def _chain_view(row: ChainRow, items: list[ChainItemRow], links: _Links) -> ChainView:
    paths = chain_paths(row.id)
    return ChainView(
        id=row.id,
        href=_href(paths),
        api_href=_href(paths, 1),
        state=row.state,
        state_class=css("chain", row.state),
        trigger_kind=row.trigger_kind,
        trigger=_trigger(row),
        trigger_href=links.package(row.trigger_namespace, row.trigger_name),
        trigger_commit=row.trigger_commit,
        requester=row.requester,
        reason=row.reason,
        tiers=max((i.tier for i in items), default=0),
        current_tier=row.current_tier,
        failed_tier=row.failed_tier,
        items_total=len(items),
        items_failed=sum(i.state == "failed" for i in items),
        superseded_by_id=row.superseded_by_id,
        superseded_by_href=None
        if row.superseded_by_id is None
        else _href(chain_paths(row.superseded_by_id)),
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        completed_at=opt_utc(row.completed_at),
    )


def _tiers(chain: ChainView, items: list[ChainItemRow], links: _Links) -> tuple[TierView, ...]:
    live = chain.state in ("running", "failed")  # a finished chain has no current tier
    by_tier: dict[int, list[ChainItemView]] = defaultdict(list)
    for i in items:
        by_tier[i.tier].append(
            ChainItemView(
                id=i.id,
                ns=f"{i.name}:{i.stream}",
                name=i.name,
                stream=i.stream,
                tier=i.tier,
                state=i.state,
                state_class=css("item", i.state),
                reason=i.reason,
                owner=i.owner,
                module_build_id=i.module_build_id,
                module_build_href=links.module_build(i.module_build_id),
            )
        )
    return tuple(
        TierView(tier, live and tier == chain.current_tier, tuple(views))
        for tier, views in sorted(by_tier.items())
    )


def build_chains(data: PipelineGathered, now: datetime, links: _Links) -> ChainsSite:
    items: dict[int, list[ChainItemRow]] = defaultdict(list)
    for i in data.items:
        items[i.chain_id].append(i)
    names = {i.id: f"{i.name}:{i.stream}" for i in data.items}
    traces: dict[int, list[ChainTransitionView]] = defaultdict(list)
    for t in data.chain_transitions:
        view = TransitionView(t.from_state, t.to_state, t.cause, t.reason, utc(t.at))
        traces[t.chain_id].append(ChainTransitionView(names.get(t.item_id or 0), view))
    requires: dict[tuple[str, str], list[BuildRequiresRow]] = defaultdict(list)
    for r in data.buildrequires:
        requires[(r.name, r.stream)].append(r)
    views = tuple(_chain_view(row, items[row.id], links) for row in data.chains)
    pages = []
    for view in views:
        if view.href is None:
            continue  # never guess a path
        tiers = _tiers(view, items[view.id], links)
        wanted = [r for i in items[view.id] for r in requires.get((i.name, i.stream), ())]
        pages.append(ChainContext(now, view, tiers, tuple(traces[view.id]), diagram(tiers, wanted)))
    running = tuple(sorted((v for v in views if v.state in RUNNING_CHAINS), key=lambda v: v.id))
    counts = _counts("chain", CHAIN_STATES, (v.state for v in views))
    return ChainsSite(ChainsContext(now, counts, views), tuple(pages), running)


def _compose_view(row: ComposeRow, contents: int, regenerations: int) -> ComposeView:
    paths = compose_paths(row.id)
    return ComposeView(
        id=row.id,
        href=_href(paths),
        api_href=_href(paths, 1),
        origin=row.origin,
        external_id=row.external_id,
        owner=row.owner,
        source_type=row.source_type,
        source=row.source,
        label=row.label,
        compose_type=row.compose_type,
        koji_event=row.koji_event,
        state=row.state,
        state_class=css("compose", row.state),
        state_reason=row.state_reason,
        time_submitted=utc(row.time_submitted),
        time_started=opt_utc(row.time_started),
        time_done=opt_utc(row.time_done),
        time_removed=opt_utc(row.time_removed),
        time_to_expire=opt_utc(row.time_to_expire),
        removed_by=row.removed_by,
        reused_id=row.reused_id,
        reused_href=None if row.reused_id is None else _href(compose_paths(row.reused_id)),
        regenerations=regenerations,
        result_repo_url=row.result_repo_url,
        result_repo_link=safe_url(row.result_repo_url),
        result_repofile=row.result_repofile,
        result_repofile_link=safe_url(row.result_repofile),
        content_count=contents,
        updated_at=utc(row.updated_at),
    )


def _contents(rows: list[ContentRow], links: _Links) -> tuple[ContentView, ...]:
    """One view per artifact, its arches folded (rows come sorted by kind, artifact, arch)."""
    folded: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for r in rows:
        _name, arches = folded.setdefault((r.kind, r.artifact), (r.name, []))
        if r.arch is not None and r.arch not in arches:
            arches.append(r.arch)
    views = []
    for (kind, artifact), (name, arches) in folded.items():
        if kind == "module":
            href = links.module_build(links.nsvcs.get(artifact))
        else:
            href = links.package("rpms", name)
        views.append(ContentView(kind, artifact, name, tuple(arches), href))
    return tuple(sorted(views, key=lambda v: (v.kind != "module", v.artifact)))


def build_composes(data: PipelineGathered, now: datetime, links: _Links) -> ComposesSite:
    contents: dict[int, list[ContentRow]] = defaultdict(list)
    for c in data.contents:
        contents[c.compose_id].append(c)
    traces: dict[int, list[TransitionView]] = defaultdict(list)
    for t in data.compose_transitions:
        traces[t.compose_id].append(
            TransitionView(t.from_state, t.to_state, t.cause, t.reason, utc(t.at))
        )
    pages, views = [], []
    for row in data.composes:
        counts = data.content_counts.get(row.id, 0), data.regenerations.get(row.id, 0)
        view = _compose_view(row, *counts)
        views.append(view)
        if view.href is not None and (data.detailed is None or row.id in data.detailed):
            folded = _contents(contents[row.id], links)
            pages.append(ComposeContext(now, view, folded, tuple(traces[row.id])))
    in_progress = tuple(
        sorted((v for v in views if v.state in COMPOSES_IN_PROGRESS), key=lambda v: v.id)
    )
    counts = _counts("compose", COMPOSE_STATES, (v.state for v in views))
    return ComposesSite(ComposesContext(now, counts, tuple(views)), tuple(pages), in_progress)


def build_pipeline_contexts(
    data: PipelineGathered, *, now: datetime, modules: ModulesGathered, packages: Iterable
) -> tuple[ChainsSite, ComposesSite]:
    links = _Links(modules, packages)
    now = utc(now)
    return build_chains(data, now, links), build_composes(data, now, links)
