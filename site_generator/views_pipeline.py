"""Row-level views of CI verdicts, composes, rebuild chains and module stream knowledge.

CSS classes come from fixed tables, never from stored text, and a URL that came
from a message becomes a link only when it is plain http(s) (a ``javascript:``
URL stays text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from site_generator.views import HTML_ONLY, TransitionView

# Each family's states in the build states' look (style.css), so every page reads alike.
_CSS = {
    "verdict": {"passed": "complete", "failed": "failed", "waiting": "queued"},
    "outcome": {
        "passed": "complete",
        "info": "complete",
        "failed": "failed",
        "error": "failed",
        "needs_inspection": "failed",
        "queued": "queued",
        "running": "building",
    },
    "compose": {
        "wait": "queued",
        "generating": "building",
        "done": "complete",
        "removed": "canceled",
        "failed": "failed",
    },
    "chain": {
        "planned": "queued",
        "running": "building",
        "complete": "complete",
        "failed": "failed",
        "canceled": "canceled",
    },
    "item": {
        "waiting": "queued",
        "building": "building",
        "done": "reused",
        "passed": "complete",
        "failed": "failed",
        "skipped": "skipped",
    },
}
COMPOSE_STATES = ("wait", "generating", "done", "removed", "failed")
CHAIN_STATES = ("planned", "running", "complete", "failed", "canceled")


def css(family: str, state: str | None) -> str:
    return f"state-{_CSS[family].get(state or '', 'unknown')}"


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None (shown as text, never a link)."""
    if not url or any(c in url for c in " \t\r\n\"'<>\\"):
        return None
    lowered = url.lower()
    return url if lowered.startswith(("https://", "http://")) else None


@dataclass(frozen=True)
class ResultView:
    testcase: str
    outcome: str
    outcome_class: str = field(metadata=HTML_ONLY)
    ref_url: str | None  # as the message gave it
    link: str | None = field(metadata=HTML_ONLY)  # ref_url when it is safe as a link
    result_at: datetime


@dataclass(frozen=True)
class VerdictView:
    """The gating verdict of one build (NVR) or module build, and its latest results."""

    subject: str  # the NVR or NSVC
    verdict: str | None  # passed | failed | waiting; None: results but no decision yet
    verdict_class: str = field(metadata=HTML_ONLY)
    reason: str
    missing: tuple[str, ...]  # required test cases without a result
    decided_at: datetime | None
    results: tuple[ResultView, ...]  # the latest per test case, by test case


@dataclass(frozen=True)
class ComposeRefView:
    """A compose that contains an artifact (a build's NVR or a module build's NSVC)."""

    compose_id: int
    href: str | None
    artifact: str
    state: str
    state_class: str = field(metadata=HTML_ONLY)
    source_type: str
    time_to_expire: datetime | None


@dataclass(frozen=True)
class StreamRefView:
    """A module stream whose current definition includes a package."""

    name: str
    stream: str
    ref: str | None  # None: the deployment's default branch
    newest_build_href: str | None  # the page of the stream's newest module build, if any


@dataclass(frozen=True)
class ServiceLevelView:
    name: str
    eol: str | None  # ISO date, None: no end announced


@dataclass(frozen=True)
class LifecycleView:
    eol: str | None  # ISO date
    servicelevels: tuple[ServiceLevelView, ...]


@dataclass(frozen=True)
class ChainRefView:
    chain_id: int
    href: str | None
    chain_state: str
    chain_class: str = field(metadata=HTML_ONLY)
    tier: int
    item_state: str


@dataclass(frozen=True)
class ChainView:
    id: int
    href: str | None
    api_href: str | None
    state: str
    state_class: str = field(metadata=HTML_ONLY)
    trigger_kind: str
    trigger: str  # rpms/<name>@<branch>, or name:stream
    trigger_href: str | None  # the trigger package's page
    trigger_commit: str | None
    requester: str
    reason: str
    tiers: int
    current_tier: int
    failed_tier: int | None
    items_total: int
    items_failed: int
    superseded_by_id: int | None
    superseded_by_href: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class ChainItemView:
    id: int
    ns: str
    name: str
    stream: str
    tier: int
    state: str
    state_class: str = field(metadata=HTML_ONLY)
    reason: str
    owner: str
    module_build_id: int | None
    module_build_href: str | None


@dataclass(frozen=True)
class TierView:
    tier: int
    current: bool
    items: tuple[ChainItemView, ...]


@dataclass(frozen=True)
class ChainTransitionView:
    item: str | None  # the item's name:stream; None: the chain itself
    transition: TransitionView


@dataclass(frozen=True)
class ComposeView:
    id: int
    href: str | None
    api_href: str | None
    origin: str
    external_id: str | None
    owner: str
    source_type: str
    source: str
    label: str | None
    compose_type: str | None
    koji_event: int | None
    state: str
    state_class: str = field(metadata=HTML_ONLY)
    state_reason: str
    time_submitted: datetime
    time_started: datetime | None
    time_done: datetime | None
    time_removed: datetime | None
    time_to_expire: datetime | None
    removed_by: str | None
    reused_id: int | None
    reused_href: str | None
    regenerations: int  # times it went back to wait from removed or failed
    result_repo_url: str | None
    result_repo_link: str | None = field(metadata=HTML_ONLY)
    result_repofile: str | None
    result_repofile_link: str | None = field(metadata=HTML_ONLY)
    content_count: int  # distinct artifacts
    updated_at: datetime


@dataclass(frozen=True)
class ContentView:
    kind: str  # rpm | module
    artifact: str
    name: str
    arches: tuple[str, ...]
    href: str | None  # the package page (rpm) or module build page (module)
