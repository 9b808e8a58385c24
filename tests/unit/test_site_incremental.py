"""Incremental site renders: dirty marks in the change's transaction, pages rewritten in place."""

from __future__ import annotations

import filecmp
import json
import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, event, select

import site_generator
from conveyor.cli import main
from conveyor.settings import Settings, SiteSettings
from cron.jobs import SiteRender
from models import (
    BranchRef,
    Build,
    BuildTransition,
    ComponentBuild,
    ModuleBuild,
    Package,
    SiteDirty,
)
from models.module_build import submit
from models.site_dirty import clear, mark_dirty, pending
from site_generator import gather_site, render_site
from site_generator.context import build_contexts
from site_generator.gather import gather
from site_generator.render import render_pages, static_pages
from site_generator.write import write_site
from tests.unit.site_world import listed_packages

NOW = datetime(2024, 5, 1, 12, 0)  # naive UTC, as stored
AWARE = NOW.replace(tzinfo=UTC)
SETTINGS = Settings(site=SiteSettings(recent_days=7))
INDEX_FILES = {
    "index.html", "api/v1/overview.json", "packages/index.html", "api/v1/packages.json",
}  # fmt: skip


def add_build(s, package, commit, state, *, at=NOW, trace=(), **extra):
    if state in ("building", "complete", "failed", "canceled"):
        extra.setdefault("koji_task_id", int(commit[:6], 16))
    if state == "complete":
        extra.setdefault("nvr", f"{package.name}-1.0-{commit[:4]}.fc41")
    build = Build(
        package_id=package.id, branch="rawhide", commit=commit, target="rawhide",
        source=f"git+https://src.example/{package.namespace}/{package.name}#{commit}",
        state=state, created_at=at, updated_at=at, **extra,
    )  # fmt: skip
    s.add(build)
    s.flush()
    for i, (old, new) in enumerate(trace):
        s.add(BuildTransition(build_id=build.id, from_state=old, to_state=new, cause=f"m{i}",
                              at=at + timedelta(minutes=i)))  # fmt: skip
    return build


@pytest.fixture
def world(session_factory):
    """Five packages with builds old and new, in flight and finished; no dirty row left."""
    ids = {}
    with session_factory.begin() as s:
        for n, name in enumerate(("bash", "zsh", "fish", "tcsh", "dash")):
            pkg = Package(namespace="rpms", name=name)
            s.add(pkg)
            s.flush()
            ids[name] = pkg.id
            add_build(s, pkg, f"{n}a".ljust(40, "0"), "complete", at=NOW - timedelta(days=30),
                      trace=[("queued", "building"), ("building", "complete")])  # fmt: skip
            add_build(s, pkg, f"{n}b".ljust(40, "0"), "failed", at=NOW - timedelta(hours=n),
                      state_reason="%check failed", trace=[("queued", "failed")])  # fmt: skip
            if n % 2:
                add_build(s, pkg, f"{n}c".ljust(40, "0"), "building",
                          at=NOW - timedelta(minutes=n))  # fmt: skip
            s.add(BranchRef(package_id=pkg.id, branch="rawhide", new_commit=f"{n}b".ljust(40, "0"),
                            pusher="alice", pushed_at=NOW, message_id=f"push-{n}",
                            decision="build queued"))  # fmt: skip
    with session_factory.begin() as s:
        s.query(SiteDirty).delete()
    session_factory.ids = ids  # type: ignore[attr-defined]
    return session_factory


def dirty_rows(factory) -> set[tuple[str, int, int]]:
    with factory() as s:
        return {(r.kind, r.key, r.generation) for r in pending(s)}


def files(root: Path) -> dict[str, os.stat_result]:
    real = root.resolve()
    return {str(p.relative_to(real)): p.stat() for p in real.rglob("*") if p.is_file()}


def index_files(factory, out: Path) -> set[str]:
    """The files an incremental render always rewrites (the index pages, whatever they are)."""
    before = files(out)
    with factory.begin() as s:
        mark_dirty(s, "package", 424242)  # no such package: nothing but the indexes to write
    render_site(factory, SETTINGS, output_dir=out, now=AWARE, full=False)
    after = files(out)
    return {n for n in after if n not in before or after[n].st_ino != before[n].st_ino}


def of_package(names: Iterable[str], name: str) -> set[str]:
    """A package's files: its page, its twin, and any other page made from its context."""
    return {n for n in names if Path(n).stem == name and "/" in n}


# What an incremental render leaves stale until the next full render (or the next new
# package or module build): render.ON_NEW_PAGES, the search page and index.
SEARCH_FILES = {"search.html", "search-index.json"}


def same_tree(a: Path, b: Path, *, stale: frozenset[str] = frozenset()) -> None:
    names_a, names_b = set(files(a)), set(files(b))
    assert names_a == names_b
    for name in sorted(names_a - stale):
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def complete_a_build(factory, package_id: int) -> None:
    """What the koji consumer does: advance a build through its state machine."""
    with factory.begin() as s:
        build = s.scalars(
            select(Build).where(Build.package_id == package_id, Build.state == "building")
        ).one()
        build.nvr, build.koji_build_id = "zsh-5.9-9.fc41", 99
        build.advance(s, "complete", cause="msg-koji-1")


# -- marking -----------------------------------------------------------------------------


def test_marks_commit_and_roll_back_with_the_change(world):
    zsh = world.ids["zsh"]
    with world() as s:
        build = s.scalars(
            select(Build).where(Build.package_id == zsh, Build.state == "building")
        ).one()
        build.nvr = "zsh-1-1"
        build.advance(s, "complete", cause="m")
        s.flush()
        s.rollback()
    assert dirty_rows(world) == set()  # the change rolled back: no mark

    with world.begin() as s:
        build = s.scalars(
            select(Build).where(Build.package_id == zsh, Build.state == "building")
        ).one()
        build.nvr = "zsh-1-1"
        build.transition(s, "complete", cause="m")
    assert dirty_rows(world) == {("package", zsh, 1)}
    with world.begin() as s:
        mark_dirty(s, "package", zsh)  # again: one row, its generation moves on
        mark_dirty(s, "package", zsh)
    assert dirty_rows(world) == {("package", zsh, 3)}

    with world.begin() as s:  # a push recorded in the branch history marks its package
        s.add(BranchRef(package_id=world.ids["dash"], branch="f40", new_commit="f" * 40,
                        message_id="p2", decision="ignored"))  # fmt: skip
    with world.begin() as s:  # a new build request marks its package
        pkg = s.get(Package, world.ids["fish"])
        build = Build(package_id=pkg.id, branch="rawhide", commit="e" * 40, target="rawhide",
                      source="git+x#e", reason="push")  # fmt: skip
        s.add(build)
        s.flush()
        build.record_request(s, cause="push-9")
    assert {(k, key) for k, key, _ in dirty_rows(world)} == {
        ("package", zsh),
        ("package", world.ids["dash"]),
        ("package", world.ids["fish"]),
    }
    with world() as s, pytest.raises(ValueError):
        mark_dirty(s, "page", 1)


def test_module_and_component_transitions_mark_the_module_build(session_factory):
    with session_factory.begin() as s:
        module = submit(
            s,
            name="m",
            stream="1",
            version=1,
            scmurl="git+x",
            commit="a" * 40,
            owner="alice",
            modulemd="document: modulemd",
            cause="api",
        ).module_build
        module_id = module.id
    assert {(k, key) for k, key, _ in dirty_rows(session_factory)} == {("module_build", module_id)}
    with session_factory.begin() as s:
        s.query(SiteDirty).delete()
        module = s.get(ModuleBuild, module_id)
        component = ComponentBuild(module_build_id=module_id, package="a", ref="main",
                                   commit="b" * 40, repository="x", batch=1)  # fmt: skip
        s.add(component)
        s.flush()
        component.transition(s, "canceled", cause="m")
    assert {(k, key) for k, key, _ in dirty_rows(session_factory)} == {("module_build", module_id)}
    with session_factory.begin() as s:
        s.get(ModuleBuild, module_id).transition(s, "failed", cause="m", reason="no")
    assert [g for _, _, g in dirty_rows(session_factory)] == [2]


def test_clear_deletes_only_the_generation_it_read(world):
    with world.begin() as s:
        mark_dirty(s, "package", 1)
        mark_dirty(s, "module_build", 1)
    with world() as s:
        read = pending(s)
    with world.begin() as s:
        mark_dirty(s, "package", 1)  # marked again after the renderer read it
    assert clear(world, read) == 1
    assert dirty_rows(world) == {("package", 1, 2)}


# -- incremental render ------------------------------------------------------------------


def test_incremental_rewrites_only_the_dirty_package_and_the_indexes(world, tmp_path):
    out = tmp_path / "site"
    first = render_site(world, SETTINGS, output_dir=out, now=AWARE)
    assert first.mode == "full"
    index = index_files(world, out)
    assert index >= INDEX_FILES
    before = files(out)
    complete_a_build(world, world.ids["zsh"])

    stats = render_site(world, SETTINGS, output_dir=out, now=AWARE, full=False)
    assert (stats.mode, stats.dirty, stats.skipped) == ("incremental", 1, 0)
    assert stats.version_dir == first.version_dir == out.resolve()
    after = files(out)
    assert set(after) == set(before)
    rewritten = {n for n in after if after[n].st_ino != before[n].st_ino}
    zsh = of_package(after, "zsh")
    assert zsh >= {"packages/rpms/zsh.html", "api/v1/packages/rpms/zsh.json"}
    # Of the packages index pages, only zsh's ("Z"): the others list no changed package.
    assert rewritten == index | zsh | {"package-index/Z.html", "api/v1/package-index/Z.json"}
    assert not rewritten & SEARCH_FILES  # no new package: the search index waits
    assert stats.pages == stats.files == len(rewritten)
    assert not [p for p in out.resolve().rglob(".tmp-*")]
    assert dirty_rows(world) == set()
    twin = json.loads((out / "api/v1/packages/rpms/zsh.json").read_text())
    assert twin["builds"][0]["state"] == "complete" and twin["builds"][0]["nvr"] == "zsh-5.9-9.fc41"

    # Exactly what a full render of the same data at the same time writes, but for
    # the search index, which gets the new NVR at the next full render.
    fresh = tmp_path / "fresh"
    render_site(world, SETTINGS, output_dir=fresh, now=AWARE)
    same_tree(out, fresh, stale=frozenset(SEARCH_FILES))
    assert "zsh-5.9-9.fc41" not in (out / "search-index.json").read_text()
    assert "zsh-5.9-9.fc41" in (fresh / "search-index.json").read_text()


def test_a_new_package_is_added_to_the_search_index(world, tmp_path):
    out = tmp_path / "site"
    render_site(world, SETTINGS, output_dir=out, now=AWARE)
    with world.begin() as s:
        pkg = Package(namespace="rpms", name="ksh")
        s.add(pkg)
        s.flush()
        mark_dirty(s, "package", pkg.id)
    before = files(out)
    stats = render_site(world, SETTINGS, output_dir=out, now=AWARE, full=False)
    assert stats.mode == "incremental"
    after = files(out)
    assert "packages/rpms/ksh.html" in after
    assert all(after[n].st_ino != before[n].st_ino for n in SEARCH_FILES)
    assert '"label":"ksh"' in (out / "search-index.json").read_text()
    fresh = tmp_path / "fresh"
    render_site(world, SETTINGS, output_dir=fresh, now=AWARE)
    same_tree(out, fresh)


def test_nothing_dirty_costs_one_query_and_writes_nothing(world, tmp_path):
    out = tmp_path / "site"
    render_site(world, SETTINGS, output_dir=out, now=AWARE)
    before = files(out)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    engine = Engine  # every engine: the render reads through one of its own on SQLite

    event.listen(engine, "before_cursor_execute", record)
    try:
        stats = render_site(world, SETTINGS, output_dir=out, now=AWARE, full=False)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    queries = [st for st in statements if not st.startswith(("BEGIN", "ROLLBACK", "COMMIT"))]
    assert len(queries) == 1 and "site_dirty" in queries[0]
    assert (stats.mode, stats.pages, stats.files, stats.dirty) == ("incremental", 0, 0, 0)
    assert {n: s.st_ino for n, s in files(out).items()} == {n: s.st_ino for n, s in before.items()}


def test_rows_marked_during_a_render_stay_for_the_next(world, tmp_path, monkeypatch):
    out = tmp_path / "site"
    render_site(world, SETTINGS, output_dir=out, now=AWARE)
    per_package = len(of_package(files(out), "zsh"))
    index = index_files(world, out)
    zsh, dash = world.ids["zsh"], world.ids["dash"]
    complete_a_build(world, zsh)
    real = site_generator.incremental.index_pages

    def marking_meanwhile(env, site, **kw):
        # A consumer commits while the renderer renders (after it read the data).
        with world.begin() as s:
            mark_dirty(s, "package", zsh)  # the one being rendered, marked again
            mark_dirty(s, "package", dash)  # a new one
        return real(env, site, **kw)

    monkeypatch.setattr(site_generator.incremental, "index_pages", marking_meanwhile)
    render_site(world, SETTINGS, output_dir=out, now=AWARE, full=False)
    assert dirty_rows(world) == {("package", zsh, 2), ("package", dash, 1)}
    monkeypatch.setattr(site_generator.incremental, "index_pages", real)
    stats = render_site(world, SETTINGS, output_dir=out, now=AWARE, full=False)
    # + the packages index pages "Z" and "D", and their twins
    assert stats.dirty == 2 and stats.pages == len(index) + 2 * per_package + 4
    assert dirty_rows(world) == set()


def test_failed_incremental_render_keeps_its_rows(world, tmp_path, monkeypatch):
    out = tmp_path / "site"
    render_site(world, SETTINGS, output_dir=out, now=AWARE)
    complete_a_build(world, world.ids["zsh"])

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(site_generator.write, "_replace_file", broken)
    with pytest.raises(OSError, match="disk full"):
        render_site(world, SETTINGS, output_dir=out, now=AWARE, full=False)
    assert len(dirty_rows(world)) == 1


def test_no_site_yet_means_a_full_render(world, tmp_path):
    with world.begin() as s:
        mark_dirty(s, "package", world.ids["bash"])
    stats = render_site(world, SETTINGS, output_dir=tmp_path / "site", now=AWARE, full=False)
    assert stats.mode == "full" and stats.dirty == 1 and dirty_rows(world) == set()
    assert (tmp_path / "site/packages/rpms/fish.html").is_file()


def test_first_module_build_renders_in_full(world, tmp_path):
    """Every page's navigation links the module pages once there are any: all pages change."""
    out = tmp_path / "site"
    first = render_site(world, SETTINGS, output_dir=out, now=AWARE)
    with world.begin() as s:
        module = submit(
            s,
            name="m",
            stream="1",
            version=1,
            scmurl="git+x",
            commit="a" * 40,
            owner="alice",
            modulemd="document: modulemd",
            cause="api",
        ).module_build
    stats = render_site(world, SETTINGS, output_dir=out, now=AWARE, full=False)
    assert stats.mode == "full" and stats.version_dir != first.version_dir
    assert 'href="../../modules/index.html"' in (out / "packages/rpms/zsh.html").read_text()
    assert (out / f"modules/{module.id}.html").is_file()

    index = index_files(world, out)  # a package change: the modules list stays as it is
    # The lists of module builds and of chains (whose items are module builds).
    modules_list = {"modules/index.html", "api/v1/module-builds.json",
                    "chains/index.html", "api/v1/chains.json"}  # fmt: skip
    assert not modules_list & index
    with world.begin() as s:  # from then on, a module build change is incremental
        s.get(ModuleBuild, module.id).transition(s, "failed", cause="m", reason="broken")
    stats = render_site(world, SETTINGS, output_dir=out, now=AWARE, full=False)
    assert stats.mode == "incremental"
    # + the module build's page and its twin, and the two lists and their twins
    assert stats.pages == len(index) + 2 + len(modules_list)
    twin = json.loads((out / f"api/v1/module-builds/{module.id}.json").read_text())
    assert twin["module_build"]["state"] == "failed"
    fresh = tmp_path / "fresh"
    render_site(world, SETTINGS, output_dir=fresh, now=AWARE)
    same_tree(out, fresh, stale=frozenset(SEARCH_FILES))  # the module's state in the index


def test_hostile_names_and_planted_files_stay_harmless(world, tmp_path, caplog):
    out = tmp_path / "nested" / "site"
    render_site(world, SETTINGS, output_dir=out, now=AWARE)
    outside = tmp_path / "outside.html"
    outside.write_text("precious")
    version = out.resolve()
    (version / "packages/rpms/zsh.html").unlink()
    (version / "packages/rpms/zsh.html").symlink_to(outside)  # a link planted at a page path
    (version / "api/v1/packages/rpms/zsh.json").unlink()
    (version / "api/v1/packages/rpms/zsh.json").mkdir()  # a directory in the way
    with world.begin() as s:
        evil = Package(namespace="rpms", name="../../../escaped")
        s.add(evil)
        s.flush()
        s.add(BranchRef(package_id=evil.id, branch="rawhide", new_commit="e" * 40,
                        message_id="evil", decision="x"))  # fmt: skip
        mark_dirty(s, "package", 424242)  # no such package
    complete_a_build(world, world.ids["zsh"])
    before = set(tmp_path.rglob("*"))

    with caplog.at_level(logging.WARNING):
        stats = render_site(world, SETTINGS, output_dir=out, now=AWARE, full=False)
    assert stats.mode == "incremental" and stats.skipped == 1
    assert "a directory is in the way" in caplog.text and "no page" in caplog.text
    assert outside.read_text() == "precious"
    page = version / "packages/rpms/zsh.html"
    assert not page.is_symlink() and "zsh-5.9-9.fc41" in page.read_text()
    for path in set(tmp_path.rglob("*")) - before:
        assert path.resolve().is_relative_to(version), path
    assert not (tmp_path / "escaped.html").exists()
    listed = listed_packages(out)
    assert ("../../../escaped", None) in {(p["name"], p["href"]) for p in listed}
    assert dirty_rows(world) == set()


# -- full render, streamed ---------------------------------------------------------------


def test_chunked_full_render_equals_the_in_memory_render(world, tmp_path, monkeypatch):
    """The streamed render (index query + package chunks) writes what gather() + contexts would."""
    with world.begin() as s:
        s.add(Package(namespace="rpms", name="nobuilds"))
    monkeypatch.setattr(gather_site, "CHUNK", 2)
    render_site(world, SETTINGS, output_dir=tmp_path / "streamed", now=AWARE)
    site = build_contexts(gather(world), now=AWARE, recent_days=7,
                          koji_web_url=SETTINGS.koji.web_url)  # fmt: skip
    write_site([*render_pages(site), *static_pages()], tmp_path / "memory")
    streamed, memory = files(tmp_path / "streamed"), files(tmp_path / "memory")
    # The package pages: what chunking changes (index pages: the incremental tests).
    pages = {n for n in memory if n.startswith(("packages/rpms/", "api/v1/packages/rpms/"))}
    assert len(pages) == 2 * 6 and pages <= set(streamed)
    for name in pages:
        assert filecmp.cmp(tmp_path / "streamed" / name, tmp_path / "memory" / name, False), name


def test_parallel_full_render_writes_what_one_process_writes(world, tmp_path, monkeypatch):
    serial = render_site(world, SETTINGS, output_dir=tmp_path / "serial", now=AWARE)
    monkeypatch.setattr(site_generator.parallel, "WORKERS", 2)
    monkeypatch.setattr(site_generator.parallel, "PARALLEL_FROM", 1)
    monkeypatch.setattr(site_generator.parallel, "WORK_CHUNK", 2)
    with world.begin() as s:
        mark_dirty(s, "package", world.ids["zsh"])
    stats = render_site(world, SETTINGS, output_dir=tmp_path / "parallel", now=AWARE)
    assert stats.workers >= 1 and len(stats.worker_peak_rss) == stats.workers
    assert stats.pages == serial.pages and stats.dirty == 1 and dirty_rows(world) == set()
    same_tree(tmp_path / "serial", tmp_path / "parallel")


def test_render_json_converts_exactly_like_jsonable(world):
    """render.py's fast conversion (field plans cached per class) equals views.jsonable."""
    from site_generator.page_text import _plain
    from site_generator.views import jsonable

    site = build_contexts(gather(world), now=AWARE, recent_days=7, koji_web_url="https://k")
    values = [site.overview, site.packages, *site.package_pages, AWARE, (1, "x", None), {"a": 1}]
    for value in values:
        assert _plain(value) == jsonable(value)


def test_full_render_queries_grow_per_chunk_not_per_package(world, tmp_path, monkeypatch):
    engine = Engine  # every engine: the render reads through one of its own on SQLite
    counts = []
    for chunk in (1, 5):
        monkeypatch.setattr(gather_site, "CHUNK", chunk)
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_rest, statements=statements):
            if statement.startswith("SELECT"):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            render_site(world, SETTINGS, output_dir=tmp_path / f"c{chunk}", now=AWARE)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        counts.append(len(statements))
    # 5 packages: 5 chunks of one, or one chunk of five; seven queries per chunk
    # (builds, traces, pushes; module streams, gating decisions, test results, composes).
    assert counts[0] - counts[1] == 7 * (5 - 1)


# -- cron and the command ----------------------------------------------------------------


def test_cron_job_renders_in_full_first_then_incrementally_then_in_full_again(world, tmp_path):
    settings = Settings(site=SiteSettings(output_dir=str(tmp_path / "site"), recent_days=7))
    now = [1000.0]
    job = SiteRender(world, settings, clock=lambda: now[0])
    assert job().mode == "full"
    now[0] += 60
    assert job().mode == "incremental"
    now[0] += settings.cron.site_full_render_minutes * 60
    assert job().mode == "full"
    assert settings.cron.site_render_seconds <= 10


def test_cli_site_render_full_and_incremental(world, tmp_path):
    out = tmp_path / "site"
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        f"database_url: sqlite:///{tmp_path / 'conveyor.sqlite'}\nsite:\n  output_dir: {out}\n"
    )
    runner = CliRunner()
    result = runner.invoke(main, ["site", "render", "--settings", str(settings)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("full render:")  # no site yet
    first = out.resolve()
    complete_a_build(world, world.ids["zsh"])
    result = runner.invoke(main, ["site", "render", "--settings", str(settings)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("incremental render: ") and "1 dirty" in result.output
    assert out.resolve() == first
    result = runner.invoke(main, ["site", "render", "--full", "--settings", str(settings)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("full render: ") and out.resolve() != first
