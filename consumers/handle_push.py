"""A push to dist-git: record it in the branch history, then build it if policy allows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consumers import chain_triggers, module_push
from consumers.context import HandlerContext, Outcome
from consumers.events import DistGitPush
from conveyor.errors import KojiError
from models import BranchRef, Build, Package


def handle(ctx: HandlerContext, push: DistGitPush) -> Outcome:
    if push.fork:
        return Outcome.ignored(f"push to a fork of {push.path}")
    if push.repo_url and not ctx.settings.scm_host_allowed(push.repo_url):
        return Outcome.ignored(f"SCM host of {push.repo_url} is not allowed")
    package = Package.get_or_create(ctx.session, push.namespace, push.name)
    ref = BranchRef(
        package_id=package.id,
        branch=push.branch,
        old_commit=push.old_commit,
        new_commit=push.new_commit,
        pusher=push.pusher,
        message_id=ctx.message_id,
    )
    ctx.session.add(ref)
    if push.namespace == ctx.settings.modules.namespace:
        outcome = _module_push(ctx, push)
    else:
        outcome = _rpm_push(ctx, package, push)
        chain_triggers.after_push(ctx, push)  # modules pinned to this branch rebuild, in tiers
    ref.decision = outcome.reason
    return outcome


def _rpm_push(ctx: HandlerContext, package: Package, push: DistGitPush) -> Outcome:
    target = ctx.settings.target_for(push.branch)
    refusal = _refusal(ctx, push, target)
    if refusal is not None or target is None:  # _refusal covers a missing target
        return Outcome.ignored(f"not built: {refusal}")
    return _request_build(ctx, package, push, target)


def _module_push(ctx: HandlerContext, push: DistGitPush) -> Outcome:
    refusal = _refusal(ctx, push, push.branch if ctx.settings.stream_allowed(push.branch) else None)
    if refusal is not None:
        refusal = refusal.replace("maps to no koji target", "is not a module stream branch")
        return Outcome.ignored(f"not built: {refusal}")
    return module_push.request(ctx, push)


def _refusal(ctx: HandlerContext, push: DistGitPush, target: str | None) -> str | None:
    """Why policy forbids building this push, or None when it may be built."""
    settings = ctx.settings
    if push.namespace not in settings.distgit.build_namespaces:
        return f"namespace {push.namespace!r} is not built by Conveyor"
    if push.deletes_branch:
        return f"branch {push.branch!r} was deleted"
    if target is None:
        return f"branch {push.branch!r} maps to no koji target"
    if not settings.pusher_allowed(push.pusher):
        return f"pusher {push.pusher or '(unknown)'!r} is not allowed to trigger builds"
    return None


def build_source(base_url: str, push: DistGitPush) -> str:
    return f"git+{base_url.rstrip('/')}/{push.namespace}/{push.name}.git#{push.new_commit}"


def _request_build(
    ctx: HandlerContext, package: Package, push: DistGitPush, target: str
) -> Outcome:
    source = build_source(ctx.settings.distgit.base_url, push)
    build = Build(
        package=package,
        branch=push.branch,
        commit=push.new_commit,
        target=target,
        source=source,
        pusher=push.pusher,
        reason=f"push to {push.branch} by {push.pusher or '(unknown)'}",
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(build)
    except IntegrityError:
        existing = ctx.session.scalars(
            select(Build).where(
                Build.package_id == package.id,
                Build.commit == push.new_commit,
                Build.target == target,
            )
        ).one()
        return Outcome.ignored(
            f"commit already requested as build #{existing.id} ({existing.state})"
        )
    build.record_request(ctx.session, cause=ctx.message_id)
    return _submit(ctx, build)


def _submit(ctx: HandlerContext, build: Build) -> Outcome:
    """Submit to koji, adopting a task koji already has for this source and target.

    The build row is flushed but not committed: a replica racing on the same
    (package, commit, target) waits on its unique key. If this process dies
    after koji accepted the task but before commit, the redelivered message
    finds that task here instead of submitting a second one.
    """
    try:
        task_id = ctx.koji.find_build_task(build.source, build.target)
        adopted = task_id is not None
        if task_id is None:
            task_id = ctx.koji.submit_build(build.source, build.target)
    except KojiError as exc:
        build.transition(ctx.session, "failed", cause=ctx.message_id, reason=str(exc))
        return Outcome.handled(f"koji refused the build: {exc}")
    build.koji_task_id = task_id
    verb = "adopted existing" if adopted else "submitted"
    return Outcome.handled(f"{verb} koji task {task_id} for {build.target} (build #{build.id})")
