"""Row-level views of module builds and their components, and their states' CSS classes.

The CSS class of a state comes from a fixed table, never from the stored text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.module_build import ModuleState
from site_generator.views import HTML_ONLY, TransitionView

MODULE_STATES = tuple(s.value for s in ModuleState)
# The build states' look (style.css), so a module build reads like a build.
_MODULE_CSS = {
    "init": "state-queued",
    "wait": "state-queued",
    "build": "state-building",
    "done": "state-complete",
    "ready": "state-complete",
    "failed": "state-failed",
}
_COMPONENT_CSS = {
    "waiting": "state-queued",
    "building": "state-building",
    "complete": "state-complete",
    "failed": "state-failed",
    "canceled": "state-canceled",
    "reused": "state-reused",
}
# The timeline's geometry, in SVG user units.
STEP, PAD, LINE_Y, HEIGHT = 150, 70, 24, 84


def module_state_class(state: str | None) -> str:
    return _MODULE_CSS.get(state or "", "state-unknown")


def component_state_class(state: str) -> str:
    return _COMPONENT_CSS.get(state, "state-unknown")


@dataclass(frozen=True)
class ComponentView:
    id: int
    package: str
    ref: str
    commit: str
    commit_short: str
    batch: int
    state: str
    state_class: str = field(metadata=HTML_ONLY)
    state_reason: str = ""
    nvr: str | None = None
    koji_task_id: int | None = None
    koji_task_url: str | None = None
    koji_build_id: int | None = None
    koji_build_url: str | None = None
    tagged_build: bool = False
    tagged_dest: bool = False
    reused_from_id: int | None = None  # the component build reused
    reused_from_module_build_id: int | None = None
    reused_from_href: str | None = None  # that module build's page, relative to the site root
    updated_at: datetime | None = None


@dataclass(frozen=True)
class BatchView:
    batch: int
    current: bool  # the batch the module build is building (or stopped at)
    components: tuple[ComponentView, ...]  # by package


@dataclass(frozen=True)
class ModuleBuildView:
    id: int
    nsvc: str
    name: str
    stream: str
    version: int
    context: str
    owner: str
    state: str
    state_class: str = field(metadata=HTML_ONLY)
    state_reason: str = ""
    scmurl: str = ""
    commit: str = ""
    commit_short: str = ""
    koji_tag: str | None = None
    koji_tag_url: str | None = None
    batch: int = 0  # the current batch (0: not building yet)
    batch_count: int = 0
    components_done: int = 0  # complete or reused
    components_total: int = 0
    submitted_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    href: str | None = None  # the detail page, relative to the site root
    api_href: str | None = None


@dataclass(frozen=True)
class TimelineMarker:
    x: int
    state_class: str
    transition: TransitionView


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    line_y: int
    markers: tuple[TimelineMarker, ...]
