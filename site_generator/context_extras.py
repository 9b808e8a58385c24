"""Phase 2 for the CI, compose, module knowledge and chain parts of package and module pages.

``Extras`` indexes one ``ExtrasGathered`` once (dicts by NVR, NSVC, package id,
module build id), so building each page's part is a few dict lookups.
"""

from __future__ import annotations

from collections import defaultdict

from site_generator.gather_extras import ExtrasGathered, ResultRow
from site_generator.paths import chain_paths, compose_paths, module_build_paths
from site_generator.views import opt_utc, utc
from site_generator.views_pipeline import (
    ChainRefView,
    ComposeRefView,
    LifecycleView,
    ResultView,
    ServiceLevelView,
    StreamRefView,
    VerdictView,
    css,
    safe_url,
)


def _href(paths: tuple | None) -> str | None:
    return None if paths is None else str(paths[0])


def _result(row: ResultRow) -> ResultView:
    return ResultView(
        testcase=row.testcase,
        outcome=row.outcome,
        outcome_class=css("outcome", row.outcome),
        ref_url=row.ref_url,
        link=safe_url(row.ref_url),
        result_at=utc(row.result_at),
    )


class Extras:
    """One gathered extras set, indexed for the page contexts."""

    def __init__(self, data: ExtrasGathered) -> None:
        self.decisions = {d.subject: d for d in data.decisions}
        latest: dict[str, dict[str, ResultRow]] = defaultdict(dict)
        for r in data.results:  # oldest first: the newest per test case stays
            latest[r.artifact][r.testcase] = r
        self.results = latest
        self.composes: dict[str, list[ComposeRefView]] = defaultdict(list)
        for c in data.in_composes:
            self.composes[c.artifact].append(
                ComposeRefView(
                    compose_id=c.compose_id,
                    href=_href(compose_paths(c.compose_id)),
                    artifact=c.artifact,
                    state=c.state,
                    state_class=css("compose", c.state),
                    source_type=c.source_type,
                    time_to_expire=opt_utc(c.time_to_expire),
                )
            )
        self.streams: dict[int, list[StreamRefView]] = defaultdict(list)
        for s in data.stream_refs:
            newest = None if s.newest_build_id is None else module_build_paths(s.newest_build_id)
            self.streams[s.package_id].append(StreamRefView(s.name, s.stream, s.ref, _href(newest)))
        self.lifecycles = {(lc.name, lc.stream): lc for lc in data.lifecycles}
        self.chains: dict[int, list[ChainRefView]] = defaultdict(list)
        for m in data.chains:
            self.chains[m.module_build_id].append(
                ChainRefView(
                    chain_id=m.chain_id,
                    href=_href(chain_paths(m.chain_id)),
                    chain_state=m.chain_state,
                    chain_class=css("chain", m.chain_state),
                    tier=m.tier,
                    item_state=m.item_state,
                )
            )

    def verdict(self, subject: str, decision_key: str | int, *aliases: str) -> VerdictView | None:
        """The verdict on ``subject`` (decided under ``decision_key``), its results under any
        of ``subject`` and ``aliases``; None when there is neither."""
        decision = self.decisions.get(decision_key)
        results: dict[str, ResultRow] = {}
        for name in (*aliases, subject):  # the subject's own results win a tie of test cases
            results.update(self.results.get(name, {}))
        if decision is None and not results:
            return None
        outcome = decision.outcome if decision is not None else None
        return VerdictView(
            subject=subject,
            verdict=outcome,
            verdict_class=css("verdict", outcome),
            reason=decision.reason if decision is not None else "",
            missing=tuple(decision.missing or ()) if decision is not None else (),
            decided_at=utc(decision.decided_at) if decision is not None else None,
            results=tuple(_result(r) for _t, r in sorted(results.items())),
        )

    def builds_ci(self, nvrs: list[str]) -> tuple[VerdictView, ...]:
        verdicts = (self.verdict(nvr, nvr) for nvr in nvrs)
        return tuple(v for v in verdicts if v is not None)

    def builds_composes(self, nvrs: list[str]) -> tuple[ComposeRefView, ...]:
        refs = [ref for nvr in nvrs for ref in self.composes.get(nvr, ())]
        return tuple(sorted(refs, key=lambda r: (-r.compose_id, r.artifact)))

    def lifecycle(self, name: str, stream: str) -> LifecycleView | None:
        row = self.lifecycles.get((name, stream))
        if row is None:
            return None
        levels = tuple(
            ServiceLevelView(str(level), None if eol is None else str(eol))
            for level, eol in sorted((row.servicelevels or {}).items())
        )
        return LifecycleView(None if row.eol is None else row.eol.isoformat(), levels)
