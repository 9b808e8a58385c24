"""What the local backend reads from koji, pinned to one koji event.

Through the official ``koji.ClientSession``; multicalls keep it to a few round
trips. Koji being down is ``Retryable`` (the compose message is retried);
koji refusing (no such tag or build) is a ``GenerationFailed``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import koji

from conveyor.composes.backends.base import GenerationFailed
from conveyor.koji_client import classified

COMPLETE = koji.BUILD_STATES["COMPLETE"]


def _classified(call: str) -> AbstractContextManager[None]:
    return classified(call, refused=GenerationFailed)


def last_event(session: koji.ClientSession) -> int:
    with _classified("getLastEvent"):
        return int(session.getLastEvent()["id"])


def tag_exists(session: koji.ClientSession, tag: str) -> bool:
    with _classified("getTag"):
        return session.getTag(tag) is not None


def tagged_builds(
    session: koji.ClientSession, tags: list[str], event: int, *, inherit: bool
) -> dict[str, list[dict[str, Any]]]:
    """Latest build of each package in each tag, as the tag was at ``event``."""
    with _classified("listTagged"), session.multicall(strict=True) as multi:
        calls = {
            tag: multi.listTagged(tag, event=event, inherit=inherit, latest=True) for tag in tags
        }
    return {tag: list(call.result) for tag, call in calls.items()}


def builds_by_nvr(session: koji.ClientSession, nvrs: list[str]) -> list[dict[str, Any]]:
    """The complete builds named; a missing or incomplete one fails the compose."""
    with _classified("getBuild"), session.multicall(strict=True) as multi:
        calls = {nvr: multi.getBuild(nvr) for nvr in nvrs}
    builds = []
    for nvr, call in calls.items():
        build = call.result
        if not build or build.get("state") != COMPLETE:
            raise GenerationFailed(f"build {nvr} does not exist in koji or is not complete")
        builds.append(build)
    return builds


def build_rpms(session: koji.ClientSession, builds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every RPM of the builds (each row carries ``build_nvr``)."""
    if not builds:
        return []
    with _classified("listBuildRPMs"), session.multicall(strict=True) as multi:
        calls = [(build, multi.listBuildRPMs(build["id"])) for build in builds]
    rpms = []
    for build, call in calls:
        nvr = build.get("nvr") or f"{build['name']}-{build['version']}-{build['release']}"
        for rpm in call.result:
            rpms.append(rpm | {"build_nvr": nvr, "build": build})
    return rpms


def tags_changed_since(session: koji.ClientSession, tags: list[str], event: int) -> bool:
    """Did any of the tags (or a tag they inherit from) change after ``event``?

    ODCS's test for reusing a tag compose made at ``event``; an unknown tag counts
    as changed, so nothing is reused for it.
    """
    with _classified("getTag"), session.multicall(strict=True) as multi:
        found = [multi.getTag(tag) for tag in tags]
    if any(call.result is None for call in found):
        return True
    ids = {call.result["id"] for call in found}
    with _classified("getFullInheritance"), session.multicall(strict=True) as multi:
        parents = [multi.getFullInheritance(tag_id) for tag_id in sorted(ids)]
    ids |= {link["parent_id"] for call in parents for link in call.result}
    with _classified("tagChangedSinceEvent"):
        return bool(session.tagChangedSinceEvent(event, sorted(ids)))
