"""dist-git push messages of every era, parsed to ``DistGitPush``.

- ``git.receive`` (fedmsg, 2012-2020): one message per commit, ``commit{repo,
  namespace, branch, rev, username|agent}``; no namespace means ``rpms``; the
  fedmsg topic may carry ``.<repo>.<branch>`` after ``git.receive``.
- the same topic from fedora-messaging-git-hook (``CommitV1``): the same
  ``commit`` object plus a top-level ``agent``.
- ``pagure.git.receive`` (2017-): one message per push with ``repo{name,
  namespace, parent}``, ``branch``, ``old_commit``, ``end_commit``, ``agent``.
"""

from __future__ import annotations

from typing import Any

from consumers.events import DistGitPush
from consumers.fields import (
    BRANCH_RE,
    COMMIT_RE,
    NAME_RE,
    USER_RE,
    mapping,
    optional_text,
    text,
)
from conveyor.errors import Invalid


def _branch(raw: str) -> str:
    return raw.removeprefix("refs/heads/")


def _topic_repo(topic: str, branch: object) -> str | None:
    """The fedmsg-era topic suffix ``git.receive.<repo>.<branch>`` names the repo.

    Repository names may contain dots (``python3.11``): cut the branch off the end.
    """
    _head, sep, tail = topic.partition(".git.receive.")
    if not sep or not tail or not isinstance(branch, str):
        return None
    repo = tail.removesuffix("." + branch)
    return repo if repo != tail and repo else None


def parse_git_receive(topic: str, body: Any) -> DistGitPush:
    commit = mapping(body, "commit")
    where = "body.commit"
    repo = commit.get("repo") or _topic_repo(topic, commit.get("branch"))
    if repo is None:
        raise Invalid(f"{where}.repo: missing, and the topic names no repository")
    name = text({"repo": repo}, "repo", NAME_RE, where)
    namespace = optional_text(commit, "namespace", NAME_RE, where) or "rpms"
    branch = _branch(text(commit, "branch", BRANCH_RE, where))
    if not BRANCH_RE.fullmatch(branch):
        raise Invalid(f"{where}.branch: {branch!r} is not a valid branch")
    agent = body.get("agent") if isinstance(body.get("agent"), str) else None
    pusher = (
        optional_text(commit, "agent", USER_RE, where)
        or optional_text({"agent": agent}, "agent", USER_RE)
        or optional_text(commit, "username", USER_RE, where)
    )
    return DistGitPush(
        namespace=namespace,
        name=name,
        branch=branch,
        new_commit=text(commit, "rev", COMMIT_RE, where),
        pusher=pusher,
    )


def parse_pagure_git_receive(topic: str, body: Any) -> DistGitPush:
    repo = mapping(body, "repo")
    where = "body.repo"
    branch = _branch(text(body, "branch", BRANCH_RE))
    full_url = repo.get("full_url")
    return DistGitPush(
        namespace=optional_text(repo, "namespace", NAME_RE, where) or "rpms",
        name=text(repo, "name", NAME_RE, where),
        branch=branch,
        new_commit=text(body, "end_commit", COMMIT_RE),
        old_commit=optional_text(body, "old_commit", COMMIT_RE),
        pusher=optional_text(body, "agent", USER_RE),
        repo_url=full_url if isinstance(full_url, str) else None,
        fork=repo.get("parent") is not None,
        forced=body.get("forced") is True,
    )
