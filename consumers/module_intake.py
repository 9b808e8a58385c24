"""Module build requests: from an SCM URL (API, CLI) or a push to modules/<name>.

``prepare`` only reads (git fetch, ls-remote) and raises a precise error a
caller can map to a response; ``record`` writes the request in ``init``; the
module consumer does the rest. Components are resolved here only to refuse a
request whose components cannot be retrieved; init resolves them again and
records the commits (a branch may have moved in between).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from conveyor import scm
from conveyor.errors import Invalid
from conveyor.modulemd import ModuleStream, RpmComponent, load_stream
from conveyor.settings import Settings
from models.module_build import Submission, submit


class ScmNotAllowed(Invalid):
    """The repository is not on the configured allow-list (host or namespace)."""


@dataclass(frozen=True)
class ModuleRequest:
    scmurl: str
    name: str
    stream: str
    commit: str
    version: int
    modulemd: str
    document: ModuleStream


@dataclass(frozen=True)
class ResolvedComponent:
    package: str
    ref: str
    commit: str
    repository: str
    batch: int


def check_allowed(location: scm.ScmUrl, settings: Settings) -> None:
    if location.host not in settings.distgit.allowed_scm_hosts:
        raise ScmNotAllowed(f"scmurl: host {location.host!r} is not an allowed SCM host")
    if location.namespace != settings.modules.namespace:
        raise ScmNotAllowed(
            f"scmurl: namespace {location.namespace!r} is not the modules namespace "
            f"{settings.modules.namespace!r}"
        )


def prepare(scmurl: str, settings: Settings, branch: str | None = None) -> ModuleRequest:
    """Fetch and validate the modulemd an SCM URL names; check its components exist."""
    location = scm.parse_scmurl(scmurl)
    check_allowed(location, settings)
    timeout = settings.modules.git_timeout
    with scm.checkout(location.repo_url, timeout) as repo:
        commit = repo.commit(location.ref)
        text = repo.show(commit, f"{location.name}.yaml")
        if text is None:
            raise scm.RefNotFound(f"{location.name}.yaml does not exist at commit {commit}")
        stream = branch or _stream_from(location, repo.branches_containing(commit), commit)
        version = scm.module_version(repo.commit_time(commit))
    document = load_stream(text, name=location.name, stream=stream)
    resolve_components(document, settings)
    return ModuleRequest(
        scmurl=f"{location.repo_url}?#{commit}",
        name=document.name,
        stream=document.stream,
        commit=commit,
        version=version,
        modulemd=text,
        document=document,
    )


def _stream_from(location: scm.ScmUrl, branches: list[str], commit: str) -> str | None:
    """The stream is the branch: named in the URL, or the only branch holding the commit."""
    if location.ref and not scm.COMMIT_RE.fullmatch(location.ref):
        return location.ref
    if len(branches) == 1:
        return branches[0]
    return None  # the modulemd must say; load_stream reports it when it does not


def component_repository(component: RpmComponent, settings: Settings) -> str:
    if component.repository:
        return component.repository.removeprefix("git+")
    return f"{settings.distgit.base_url.rstrip('/')}/rpms/{component.name}.git"


def resolve_components(document: ModuleStream, settings: Settings) -> list[ResolvedComponent]:
    """Every rpm component's ref as a commit, batch numbers 1..N from ``buildorder``."""
    resolved, problems = [], []
    for number, batch in enumerate(document.batches(), start=1):
        for component in batch:
            repository = component_repository(component, settings)
            ref = component.ref or settings.modules.default_component_ref
            if not settings.scm_host_allowed(repository):
                problems.append(f"component {component.name}: {repository} is not allowed")
                continue
            try:
                commit = scm.resolve_ref(repository, ref, settings.modules.git_timeout)
            except scm.RefNotFound as exc:
                problems.append(f"component {component.name}: {exc}")
                continue
            resolved.append(ResolvedComponent(component.name, ref, commit, repository, number))
    if problems:
        raise ComponentsUnavailable(problems)
    return resolved


class ComponentsUnavailable(Invalid):
    """One or more components cannot be retrieved from dist-git."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def record(session: Session, request: ModuleRequest, owner: str, cause: str) -> Submission:
    return submit(
        session,
        name=request.name,
        stream=request.stream,
        version=request.version,
        scmurl=request.scmurl,
        commit=request.commit,
        owner=owner,
        modulemd=request.modulemd,
        cause=cause,
    )
