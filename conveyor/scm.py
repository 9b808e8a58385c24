"""dist-git access for the module orchestrator: SCM URLs, fetching a modulemd, resolving refs.

Git runs as a subprocess with an argument list (never a shell), with ``--``
before anything that came from a request, only for the URL schemes below,
and with prompts disabled so a private repository fails instead of hanging.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from conveyor.errors import Invalid, Retryable

SCHEMES = ("https", "http", "git", "file")
COMMIT_RE = re.compile(r"[0-9a-f]{40}")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,254}")
_REF_RE = re.compile(r"(?!.*\.\.)(?!-)[A-Za-z0-9._/+-]{1,255}")


class BadScmUrl(Invalid):
    """The SCM URL is not a dist-git repository URL Conveyor can read."""


class RefNotFound(Invalid):
    """A branch, tag or commit does not exist in the repository, or a file is missing."""


class GitUnavailable(Retryable):
    """git could not reach the repository (network, timeout): worth trying again."""


@dataclass(frozen=True)
class ScmUrl:
    repo_url: str  # without "git+" and fragment: what git fetches
    namespace: str
    name: str
    ref: str | None  # the fragment: a commit or a branch; None means the default branch

    @property
    def host(self) -> str:
        parts = urlsplit(self.repo_url)
        return "localhost" if parts.scheme == "file" else (parts.hostname or "")


def parse_scmurl(url: str) -> ScmUrl:
    """Read ``[git+]<scheme>://host/<namespace>/<name>[.git][?]#<ref>`` (MBS's form)."""
    if not isinstance(url, str) or not url or len(url) > 2048 or url.strip() != url:
        raise BadScmUrl("scmurl: expected a URL string")
    base, _, fragment = url.removeprefix("git+").partition("#")
    base = base.removesuffix("?")
    parts = urlsplit(base)
    if parts.scheme not in SCHEMES or parts.query or (parts.scheme != "file" and not parts.netloc):
        raise BadScmUrl(f"scmurl: {url!r} is not a {'/'.join(SCHEMES)} repository URL")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        raise BadScmUrl(f"scmurl: {url!r} does not name <namespace>/<name>")
    namespace, name = segments[-2], segments[-1].removesuffix(".git")
    if not _NAME_RE.fullmatch(name) or not _NAME_RE.fullmatch(namespace):
        raise BadScmUrl(f"scmurl: {url!r} has an invalid repository name")
    if fragment and not _REF_RE.fullmatch(fragment):
        raise BadScmUrl(f"scmurl: {fragment!r} is not a valid git ref")
    return ScmUrl(base, namespace, name, fragment or None)


def _git(*args: str, cwd: str | None = None, timeout: float = 120.0) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
            check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise GitUnavailable(f"git {args[0]} timed out after {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise _GitFailed(done.stderr.strip() or f"git exited with {done.returncode}")
    return done.stdout


class _GitFailed(Exception):
    """git said no; the text is its whole stderr."""


def _unreachable(repo_url: str, exc: _GitFailed) -> Exception:
    text = str(exc)
    if "not found" in text or "does not appear to be a git repository" in text:
        return RefNotFound(f"{repo_url}: repository not found")
    return GitUnavailable(f"{repo_url}: {text.splitlines()[0]}")


def resolve_ref(repo_url: str, ref: str, timeout: float = 120.0) -> str:
    """The commit a branch or tag points to (``git ls-remote``); a commit hash is kept."""
    if COMMIT_RE.fullmatch(ref):
        return ref
    if not _REF_RE.fullmatch(ref):
        raise RefNotFound(f"{ref!r} is not a valid git ref")
    wanted = (f"refs/heads/{ref}", f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}")
    try:
        out = _git("ls-remote", "--", repo_url, *wanted[::2], timeout=timeout)
    except _GitFailed as exc:
        raise _unreachable(repo_url, exc) from exc
    found = dict(reversed(line.split("\t", 1)) for line in out.splitlines() if "\t" in line)
    for name in wanted:
        if name in found:
            return found[name]
    raise RefNotFound(f"{repo_url}: no branch or tag {ref!r}")


@dataclass
class Checkout:
    """A bare fetch of a repository's branches, read with git plumbing."""

    path: str
    repo_url: str
    timeout: float

    def commit(self, ref: str | None) -> str:
        spec = ref if ref and COMMIT_RE.fullmatch(ref) else f"refs/heads/{ref or 'HEAD'}"
        if ref is None:
            spec = "HEAD"
        try:
            return _git("rev-parse", "--verify", "--end-of-options", f"{spec}^{{commit}}",
                        cwd=self.path).strip()  # fmt: skip
        except _GitFailed as exc:
            raise RefNotFound(f"{self.repo_url}: no commit or branch {ref!r}") from exc

    def show(self, commit: str, path: str) -> str | None:
        """The file at ``commit``, or None when it does not exist there."""
        try:
            return _git("show", f"{commit}:{path}", cwd=self.path)
        except _GitFailed:
            return None

    def commit_time(self, commit: str) -> datetime:
        stamp = _git("log", "-1", "--format=%ct", commit, "--", cwd=self.path).strip()
        return datetime.fromtimestamp(int(stamp), UTC)

    def branches_containing(self, commit: str) -> list[str]:
        out = _git("branch", "--format=%(refname:short)", "--contains", commit, cwd=self.path)
        return sorted(line.strip() for line in out.splitlines() if line.strip())


@contextmanager
def checkout(repo_url: str, timeout: float = 120.0) -> Iterator[Checkout]:
    """Fetch every branch of ``repo_url`` into a temporary bare repository."""
    with tempfile.TemporaryDirectory(prefix="conveyor-git-") as path:
        _git("init", "--bare", "-q", path, timeout=timeout)
        try:
            _git("fetch", "-q", "--no-tags", "--", repo_url, "+refs/heads/*:refs/heads/*",
                 cwd=path, timeout=timeout)  # fmt: skip
            head = _git("ls-remote", "--symref", "--", repo_url, "HEAD", cwd=path, timeout=timeout)
        except _GitFailed as exc:
            raise _unreachable(repo_url, exc) from exc
        default = re.search(r"ref: refs/heads/(\S+)\tHEAD", head)
        if default:
            _git("symbolic-ref", "HEAD", f"refs/heads/{default.group(1)}", cwd=path)
        yield Checkout(path, repo_url, timeout)


def module_version(commit_time: datetime) -> int:
    """MBS's module version: the commit time as YYYYMMDDHHMMSS (UTC)."""
    return int(commit_time.astimezone(UTC).strftime("%Y%m%d%H%M%S"))
