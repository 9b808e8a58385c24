"""A push to ``modules/<name>`` that changes ``<name>.yaml`` requests a module build.

The modulemd is fetched here (the version is the commit time, which only
git knows) and recorded as it is; the module consumer validates it at init,
so an invalid file becomes a failed build with its reasons on the status
site, where the packager looks.
"""

from __future__ import annotations

from consumers.context import HandlerContext, Outcome
from consumers.events import ZERO_COMMIT, DistGitPush
from conveyor import scm
from conveyor.deps.load import record_pushed
from models.module_build import submit


def request(ctx: HandlerContext, push: DistGitPush) -> Outcome:
    base = ctx.settings.distgit.base_url.rstrip("/")
    repo_url = push.repo_url or f"{base}/{push.namespace}/{push.name}.git"
    path = f"{push.name}.yaml"
    with scm.checkout(repo_url, ctx.settings.modules.git_timeout) as repo:
        try:
            commit = repo.commit(push.new_commit)
        except scm.RefNotFound:
            return Outcome.ignored(f"commit {push.new_commit} is not in {repo_url} (force-pushed?)")
        text = repo.show(commit, path)
        if text is None:
            return Outcome.ignored(f"not built: {path} does not exist at {commit[:12]}")
        old = push.old_commit
        if old and old != ZERO_COMMIT and repo.show(old, path) == text:
            return Outcome.ignored(f"not built: {path} did not change")
        record_pushed(
            ctx.session, text, name=push.name, stream=push.branch, commit=commit, origin=repo_url
        )
        version = scm.module_version(repo.commit_time(commit))
    submission = submit(
        ctx.session,
        name=push.name,
        stream=push.branch,
        version=version,
        scmurl=f"{repo_url}?#{commit}",
        commit=commit,
        owner=push.pusher or "(unknown)",
        modulemd=text,
        cause=ctx.message_id,
    )
    build = submission.module_build
    if submission.outcome == "exists":
        return Outcome.ignored(f"module build #{build.id} of {build.nsv} exists ({build.state})")
    return Outcome.handled(f"module build #{build.id} of {build.nsv} {submission.outcome}")
