"""The dispatch table: which topic is parsed how and handled by whom. Data, in one place.

A route matches the topic with Fedora's environment prefix removed
(``org.fedoraproject.prod.``, ``org.fedoraproject.sandbox.``, ...). Other
organisations' topics (pagure.io's ``io.pagure.prod.pagure.git.receive`` is
a forge, not dist-git) match no route and are ignored. The
fedmsg era appended ``.<repo>.<branch>`` to ``git.receive``; routes with
``subtopics`` accept that. CI results also come from CentOS CI
(``org.centos.prod.ci.pipeline...``): only routes marked ``centos`` accept
that organisation's prefix (CentOS's own koji messages must stay unrouted).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consumers import (
    handle_ci,
    handle_compose,
    handle_compose_bus,
    handle_koji,
    handle_module,
    handle_push,
)
from consumers.context import HandlerContext, Outcome
from consumers.events import Event
from consumers.parse_ci import parse_ci, parse_resultsdb, parse_taskotron
from consumers.parse_compose import parse_odcs_state_changed, parse_pungi_status
from consumers.parse_distgit import parse_git_receive, parse_pagure_git_receive
from consumers.parse_koji import (
    parse_build_state_change,
    parse_repo_done,
    parse_tag,
    parse_task_state_change,
)
from consumers.parse_module import parse_module_state_change

Parser = Callable[[str, Any], Event]
Handler = Callable[[HandlerContext, Any], Outcome]

_ENV_PREFIX = re.compile(r"^org\.fedoraproject\.(?:prod|stg|dev|sandbox|test)\.")
_CENTOS_PREFIX = re.compile(r"^org\.centos\.(?:prod|stage|stg|dev|sandbox|test)\.")


@dataclass(frozen=True)
class Route:
    consumer: str
    topic: str  # the topic without environment prefix
    parser: Parser
    handler: Handler
    subtopics: bool = False
    centos: bool = False  # also under org.centos.<env>. (CentOS CI)

    def matches(self, bare_topic: str) -> bool:
        return bare_topic == self.topic or (
            self.subtopics and bare_topic.startswith(self.topic + ".")
        )


ROUTES: tuple[Route, ...] = (
    Route("distgit", "git.receive", parse_git_receive, handle_push.handle, subtopics=True),
    Route("distgit", "pagure.git.receive", parse_pagure_git_receive, handle_push.handle),
    Route("koji", "buildsys.task.state.change", parse_task_state_change, handle_koji.task_changed),
    Route(
        "koji", "buildsys.build.state.change", parse_build_state_change, handle_koji.build_changed
    ),
    Route(
        "module",
        "conveyor.module.state.change.v1",
        parse_module_state_change,
        handle_module.state_changed,
    ),
    Route("module", "buildsys.tag", parse_tag, handle_module.tagged),
    Route("module", "buildsys.repo.done", parse_repo_done, handle_module.repo_done),
    Route(
        "compose",
        "conveyor.compose.state.change.v1",
        handle_compose.parse_compose_state_change,
        handle_compose.state_changed,
    ),
    Route(
        "compose",
        "pungi.compose.status.change",
        parse_pungi_status,
        handle_compose_bus.status_changed,
    ),
    Route(
        "compose",
        "odcs.compose.state-changed",
        parse_odcs_state_changed,
        handle_compose_bus.status_changed,
    ),
    Route("ci", "resultsdb.result.new", parse_resultsdb, handle_ci.result),
    Route("ci", "taskotron.result.new", parse_taskotron, handle_ci.result),
    Route("ci", "ci", parse_ci, handle_ci.result, subtopics=True, centos=True),
    Route("ci", "allpackages.pipeline", parse_ci, handle_ci.result, subtopics=True, centos=True),
)

CONSUMERS = frozenset(route.consumer for route in ROUTES)


def bare(topic: str) -> str | None:
    """The topic without Fedora's environment prefix; None for other organisations."""
    match = _ENV_PREFIX.match(topic)
    return topic[match.end() :] if match else None


def route_for(topic: str, consumer: str | None = None) -> Route | None:
    """The route for ``topic``; with ``consumer``, only that consumer's routes."""
    bare_topic = bare(topic)
    centos = _CENTOS_PREFIX.match(topic)
    if bare_topic is None and centos is None:
        return None
    for route in ROUTES:
        if consumer is not None and route.consumer != consumer:
            continue
        if bare_topic is not None and route.matches(bare_topic):
            return route
        if centos and route.centos and route.matches(topic[centos.end() :]):
            return route
    return None
