"""Rebuild chains on top of the module World: module repos in dist-git, a gate played by hand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from consumers import chain_runner, chain_start
from consumers.context import HandlerContext
from conveyor.chain_plan import ChainPlan
from models import ModuleBuild
from models.chain_item import ChainItem
from models.module_build import locked
from models.rebuild_chain import RebuildChain
from sandbox.modulemd_template import modulemd
from tests.unit.fakes import new_id
from tests.unit.module_world import World, git


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reason: str = "test"


def module_repo(world: World, name: str, components: dict[str, int]) -> None:
    """modules/<name> with <name>.yaml on branch main (the stream)."""
    for package in components:
        if not (world.root / "rpms" / f"{package}.git").exists():
            world.component(package)
    work = world.root / "work" / "modules" / name
    work.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=work)
    git("config", "user.email", "t@example.org", cwd=work)
    git("config", "user.name", "t", cwd=work)
    (work / f"{name}.yaml").write_text(modulemd(components))
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "modulemd", cwd=work)
    bare = world.root / "modules" / f"{name}.git"
    bare.parent.mkdir(exist_ok=True)
    git("init", "-q", "--bare", str(bare), cwd=world.root)
    git("push", "-q", str(bare), "main", cwd=work)


def context(world: World, session) -> HandlerContext:
    return HandlerContext(session, world.settings, world.koji, new_id(), "test")


def start(world: World, tiers: list[list[str]], commit: str = "c" * 40) -> int:
    """A chain over the given tiers of module names (stream main), after a push of rpms/base."""
    plan = ChainPlan(
        "rpms/base@rawhide", tuple(tuple(sorted(f"{n}:main" for n in t)) for t in tiers)
    )
    with world.session_factory.begin() as session:
        chain = chain_start.start_chain(
            context(world, session), plan, kind="push", requester="pusher",
            trigger_namespace="rpms", trigger_name="base", trigger_branch="rawhide",
            trigger_commit=commit,
        )  # fmt: skip
        return chain.id


def gate(world: World, module_id: int, outcome: str = "passed") -> None:
    """What consumers/module_gate does after judging a done module build."""
    with world.session_factory.begin() as session:
        module = locked(session, module_id)
        chain_runner.module_gated(context(world, session), module, Verdict(outcome))


def chain(world: World, chain_id: int) -> RebuildChain:
    with world.session_factory() as session:
        found = session.get(RebuildChain, chain_id)
        _ = [i.ns for i in found.items]
        return found


def items(world: World, chain_id: int) -> dict[str, ChainItem]:
    return {i.name: i for i in chain(world, chain_id).items}


def build_of(world: World, chain_id: int, name: str) -> int:
    module_id = items(world, chain_id)[name].module_build_id
    assert module_id is not None
    return module_id


def build_module(world: World, module_id: int) -> str:
    """Drive a one-batch module build to done; returns its state."""
    world.pump()
    packages = list(world.components(module_id))
    world.build_batch(module_id, packages)
    world.pump()
    return world.module(module_id).state


def builds_of(world: World, name: str) -> list[ModuleBuild]:
    with world.session_factory() as session:
        query = select(ModuleBuild).where(ModuleBuild.name == name).order_by(ModuleBuild.id)
        return list(session.scalars(query).all())


def define(world: World, name: str, rpms: list[str], buildrequires: list[str] = ()) -> None:
    """A module stream name:main in dist-git and in the module knower (as a push records it)."""
    from conveyor.deps.load import LoadReport, load_text

    module_repo(world, name, dict.fromkeys(rpms, 1))
    modules = "".join(f"        {ns.split(':')[0]}: [{ns.split(':')[1]}]\n" for ns in buildrequires)
    components = "".join(
        f"      {rpm}:\n        rationale: r\n        ref: rawhide\n        buildorder: 1\n"
        for rpm in rpms
    )
    text = (
        f"document: modulemd\nversion: 2\ndata:\n  name: {name}\n  stream: main\n"
        "  summary: s\n  description: d\n  license:\n    module: [MIT]\n"
        "  dependencies:\n    - buildrequires:\n        platform: [f43]\n"
        f"{modules}      requires:\n        platform: [f43]\n"
        f"  components:\n    rpms:\n{components}"
    )
    with world.session_factory.begin() as session:
        report = LoadReport()
        load_text(session, text, origin=f"test:{name}", report=report)
        assert report.recorded == [f"{name}:main"], report
