"""The orchestrator's first two steps: ``init`` (validate, resolve) and ``wait`` (koji layout).

Each step runs in the transaction of the message that announced the state,
with the module build row locked; a failure a packager can fix becomes
``failed`` with the reason, a passing outage (git, koji unreachable) raises
``Retryable`` and the message comes back.
"""

from __future__ import annotations

import hashlib
import json
import re

from sqlalchemy import select

from consumers.context import HandlerContext, Outcome
from consumers.module_batches import fail_module, start_next_batch
from consumers.module_intake import resolve_components
from conveyor import scm
from conveyor.deps.load import record_module_build
from conveyor.errors import Invalid, KojiError
from conveyor.koji_client import TagPlan
from conveyor.modulemd import ModuleStream, load_stream
from models import ComponentBuild, ModuleBuild

_DIST_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


class BuildrequireMissing(Invalid):
    """A buildrequired module stream has no usable build, or names several streams."""


def run_init(ctx: HandlerContext, module: ModuleBuild) -> Outcome:
    try:
        if not module.components:  # a resumed build keeps its components and buildroot
            document = load_stream(module.modulemd, name=module.name, stream=module.stream)
            module.buildrequires = buildrequire_tags(ctx, document)
            module.context = context_of(document)
            _record_components(ctx, module, document)
            record_module_build(ctx.session, module)  # knower: builds not pushed (API, CLI)
        _resume_components(ctx, module)
    except Invalid as exc:
        fail_module(ctx, module, f"init: {exc}")
        return Outcome.handled(f"module build #{module.id} failed at init: {exc}")
    count = len(module.components)
    module.transition(ctx.session, "wait", cause=ctx.message_id, reason=f"{count} components")
    return Outcome.handled(f"module build #{module.id} initialised: {count} components")


def _resume_components(ctx: HandlerContext, module: ModuleBuild) -> None:
    """Build failed and canceled components again, from where their ref points now.

    A packager resumes after pushing a fix to the component's branch; what
    succeeded is kept.
    """
    for component in module.components:
        if component.state in ("failed", "canceled"):
            component.reset_for_resume(ctx.session, cause=ctx.message_id)
            component.commit = scm.resolve_ref(
                component.repository, component.ref, ctx.settings.modules.git_timeout
            )


def _record_components(ctx: HandlerContext, module: ModuleBuild, document: ModuleStream) -> None:
    for found in resolve_components(document, ctx.settings):
        component = ComponentBuild(
            module_build=module, package=found.package, ref=found.ref, commit=found.commit,
            repository=found.repository, batch=found.batch,
        )  # fmt: skip
        ctx.session.add(component)
    ctx.session.flush()


def buildrequire_tags(ctx: HandlerContext, document: ModuleStream) -> dict[str, str]:
    """``name:stream`` -> koji tag for each buildrequire, base modules first.

    A module that names no base module builds on the one its buildrequired
    modules were built on, as MBS does (a flatpak app on flatpak-runtime).
    """
    base_names = ctx.settings.modules.base_modules
    base, modules, inherited = {}, {}, {}
    for name, streams in sorted(document.buildrequired_streams.items()):
        if len(streams) != 1 or streams[0].startswith("-"):
            raise BuildrequireMissing(
                f"buildrequires {name}: exactly one stream is supported, got {list(streams)}"
            )
        key = f"{name}:{streams[0]}"
        if name in base_names:
            base[key] = ctx.settings.modules.platform_tag.format(stream=streams[0])
            continue
        build = _module_build(ctx, name, streams[0])
        modules[key] = build.koji_tag or ""
        inherited |= {k: v for k, v in build.buildrequires.items() if k.split(":")[0] in base_names}
    if not base and len(inherited) > 1:
        raise BuildrequireMissing(
            f"buildrequires: the buildrequired modules were built on different base modules "
            f"({', '.join(sorted(inherited))}): name one"
        )
    base = base or inherited
    if not base:
        raise BuildrequireMissing(
            f"buildrequires: no base module ({', '.join(base_names)}): nothing to build on"
        )
    return base | modules


def _module_build(ctx: HandlerContext, name: str, stream: str) -> ModuleBuild:
    query = (
        select(ModuleBuild)
        .where(ModuleBuild.name == name, ModuleBuild.stream == stream)
        .where(ModuleBuild.state.in_(("done", "ready")))
        .order_by(ModuleBuild.version.desc(), ModuleBuild.id.desc())
        .limit(1)
    )
    build = ctx.session.scalars(query).first()
    if build is None:
        raise BuildrequireMissing(
            f"buildrequires {name}:{stream}, which has no done or ready module build"
        )
    return build


def context_of(document: ModuleStream) -> str:
    """MBS's context: a short hash of the build-time and run-time dependencies."""
    dependencies = [
        {"buildrequires": d.buildrequires, "requires": d.requires} for d in document.dependencies
    ]
    digest = hashlib.sha1(json.dumps(dependencies, sort_keys=True).encode(), usedforsecurity=False)
    return digest.hexdigest()[:8]


def run_wait(ctx: HandlerContext, module: ModuleBuild) -> Outcome:
    plan = tag_plan(ctx, module)
    try:
        ctx.koji.ensure_module_tags(plan)
    except KojiError as exc:
        fail_module(ctx, module, f"wait: koji refused the module's tags: {exc}")
        return Outcome.handled(f"module build #{module.id} failed at wait: {exc}")
    module.koji_tag = plan.tag
    module.transition(ctx.session, "build", cause=ctx.message_id, reason=f"koji tag {plan.tag}")
    start_next_batch(ctx, module)
    return Outcome.handled(f"module build #{module.id} building in {plan.target}")


def tag_plan(ctx: HandlerContext, module: ModuleBuild) -> TagPlan:
    settings = ctx.settings.modules
    tag = module.tag_name()
    platform = next(iter(module.buildrequires), "platform:unknown").split(":", 1)[1]
    dist = f".module_{_DIST_UNSAFE.sub('_', platform)}+{module.id}+{module.context}"
    return TagPlan(
        tag=tag,
        build_tag=f"{tag}-build",
        target=tag,
        parents=tuple(module.buildrequires.values()),
        arches=settings.arches,
        groups={
            "build": settings.buildroot_packages,
            "srpm-build": settings.srpm_buildroot_packages,
        },
        packages=tuple(sorted({c.package for c in module.components})),
        owner=ctx.settings.koji.owner,
        extra={"rpm.macro.dist": dist, "rpm.macro.modularitylabel": module.nsvc},
    )
