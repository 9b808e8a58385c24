"""A push to modules/<name> records the modulemd at that commit, in the push's transaction."""

from __future__ import annotations

from sqlalchemy import select

from consumers.pipeline import process
from models import ModuleBuild
from models.module_stream import ModuleStreamDefinition
from sandbox.modulemd_template import modulemd
from tests.unit.fakes import count, pagure_receive
from tests.unit.module_world import World, git


def push_module(world: World, name: str, text: str) -> str:
    """Commit <name>.yaml on branch main of modules/<name> and push it; returns the commit."""
    work = world.root / "work" / "modules" / name
    if not work.exists():
        work.mkdir(parents=True)
        git("init", "-q", "-b", "main", cwd=work)
        git("config", "user.email", "t@example.org", cwd=work)
        git("config", "user.name", "t", cwd=work)
        bare = world.root / "modules" / f"{name}.git"
        bare.parent.mkdir(exist_ok=True)
        git("init", "-q", "--bare", str(bare), cwd=world.root)
        git("remote", "add", "origin", str(bare), cwd=work)
    (work / f"{name}.yaml").write_text(text)
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "modulemd", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


def definitions(world: World) -> list[tuple[str, str, str, list[str]]]:
    with world.session_factory() as session:
        rows = session.scalars(select(ModuleStreamDefinition).order_by(ModuleStreamDefinition.id))
        return [
            (
                r.ns,
                r.source_kind,
                r.source,
                sorted(f"{d.kind} {d.module} {d.streams}" for d in r.dependencies),
            )
            for r in rows
        ]


def test_each_pushed_commit_is_a_definition_and_duplicates_add_nothing(
    tmp_path, koji, session_factory
):
    world = World(tmp_path / "distgit", koji, session_factory)
    world.component("bash")
    first = push_module(world, "shell", modulemd({"bash": 1}, platform="f29"))
    message = pagure_receive("shell", "main", first, namespace="modules")
    assert process(message, world.deps, "distgit").outcome == "handled"
    # the same push again under a new message id (a replay) changes nothing
    again = pagure_receive("shell", "main", first, namespace="modules")
    process(again, world.deps, "distgit")
    second = push_module(world, "shell", modulemd({"bash": 1}, platform="f30"))
    process(pagure_receive("shell", "main", second, namespace="modules"), world.deps, "distgit")

    assert definitions(world) == [
        ("shell:main", "commit", first,
         ["buildrequires platform ['f29']", "requires platform ['f29']"]),
        ("shell:main", "commit", second,
         ["buildrequires platform ['f30']", "requires platform ['f30']"]),
    ]  # fmt: skip


def test_an_invalid_modulemd_records_no_definition(tmp_path, koji, session_factory):
    world = World(tmp_path / "distgit", koji, session_factory)
    commit = push_module(world, "broken", "document: modulemd\nversion: 2\ndata: {}\n")
    process(pagure_receive("broken", "main", commit, namespace="modules"), world.deps, "distgit")
    assert definitions(world) == []
    assert count(session_factory, ModuleBuild) == 1  # init will fail it, with the reasons
