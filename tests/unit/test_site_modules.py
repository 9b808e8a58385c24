"""The status site's module build pages: list, detail, overview part, against a SQLite file."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import pytest
from sqlalchemy import event

import models
from conveyor.db import make_session_factory
from conveyor.settings import KojiSettings, Settings, SiteSettings
from models import ComponentBuild, ModuleBuild, ModuleBuildTransition, Package
from site_generator import render_site
from site_generator.gather import gather
from site_generator.paths import module_build_paths
from site_generator.views_modules import component_state_class, module_state_class

NOW = datetime(2024, 5, 1, 12, 0)  # naive UTC, as stored
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG = "<img src=x onerror=alert(2)>"
UNICODE = "ünïcödé ✓ 模块 \u202eevil"
KOJI = "https://koji.example/koji"
SETTINGS = Settings(site=SiteSettings(recent_days=7), koji=KojiSettings(web_url=KOJI + "/"))


@pytest.fixture
def session_factory(tmp_path):
    factory = make_session_factory(f"sqlite:///{tmp_path / 'conveyor.sqlite'}")
    models.Base.metadata.create_all(factory.kw["bind"])
    yield factory
    factory.kw["bind"].dispose()


def add_module(s, name, stream, version, state, *, at, trace=(), **extra):
    extra.setdefault("koji_tag", f"module-{name}-{stream}-{version}-c0ffee00")
    build = ModuleBuild(
        name=name,
        stream=stream,
        version=version,
        context="c0ffee00",
        scmurl=f"git+https://src.example/modules/{name}.git?#{'9' * 40}",
        commit="9" * 40,
        owner=extra.pop("owner", "alice"),
        modulemd="document: modulemd",
        state=state,
        submitted_at=at,
        updated_at=at,
        **extra,
    )
    s.add(build)
    s.flush()
    for i, (old, new, reason) in enumerate(trace):
        s.add(
            ModuleBuildTransition(
                module_build_id=build.id,
                from_state=old,
                to_state=new,
                cause=f"msg-{build.id}-{i}",
                reason=reason,
                at=at + timedelta(minutes=i),
            )
        )
    return build


def add_component(s, module, package, batch, state, **extra):
    component = ComponentBuild(
        module_build_id=module.id,
        package=package,
        ref="rawhide",
        commit=f"{batch}" * 40,
        repository=f"https://src.example/rpms/{package}",
        batch=batch,
        state=state,
        **extra,
    )
    s.add(component)
    s.flush()
    return component


@pytest.fixture
def dataset(session_factory):
    """Four module builds: ready (the origin of a reuse), building, failed (hostile), init."""
    ids = {}
    with session_factory.begin() as s:
        old = add_module(
            s,
            "nodejs",
            "20",
            20240401000000,
            "ready",
            at=NOW - timedelta(days=30),
            completed_at=NOW - timedelta(days=29),
            trace=[
                (None, "init", "submitted by alice"),
                ("init", "wait", ""),
                ("wait", "build", "batch 1"),
                ("build", "done", ""),
                ("done", "ready", ""),
            ],
        )
        libuv_old = add_component(
            s, old, "libuv", 1, "complete", koji_task_id=2001, nvr="libuv-1.48-1.module"
        )
        cur = add_module(
            s,
            "nodejs",
            "20",
            20240501000000,
            "build",
            at=NOW - timedelta(hours=2),
            batch=2,
            trace=[
                (None, "init", "submitted by alice"),
                ("init", "wait", "deps resolved"),
                ("wait", "build", "batch 1 submitted"),
            ],
        )
        # Added out of order on purpose: the page must order by batch, then package.
        add_component(s, cur, "yarn", 3, "waiting")
        add_component(s, cur, "npm", 2, "waiting")
        add_component(s, cur, "nodejs", 2, "building", koji_task_id=3003)
        add_component(
            s,
            cur,
            "nodejs-packaging",
            1,
            "complete",
            koji_task_id=3001,
            koji_build_id=4001,
            nvr="nodejs-packaging-2021.06-1.module",
        )
        add_component(
            s,
            cur,
            "libuv",
            1,
            "reused",
            reused_from_id=libuv_old.id,
            nvr="libuv-1.48-1.module",
            tagged_build=True,
            tagged_dest=True,
        )
        evil = add_module(
            s,
            "../../etc",
            XSS,
            1,
            "failed",
            at=NOW - timedelta(hours=1),
            owner=XSS,
            state_reason=f"{XSS} {UNICODE}",
            koji_tag='module-"><script>&x=1#',
            completed_at=NOW - timedelta(minutes=30),
            trace=[(None, "init", f"submitted by {XSS}"), ("init", "failed", UNICODE)],
        )
        add_component(s, evil, IMG, 1, "failed", koji_task_id=5001, state_reason=XSS)
        fresh = add_module(
            s,
            "perl",
            "5.38",
            20240501110000,
            "init",
            at=NOW - timedelta(minutes=5),
            koji_tag=None,
            trace=[(None, "init", "submitted by bob")],
            owner="bob",
        )
        ids = {"old": old.id, "cur": cur.id, "evil": evil.id, "fresh": fresh.id}
    session_factory.ids = ids  # type: ignore[attr-defined]
    return session_factory


def render(factory, out: Path):
    return render_site(factory, SETTINGS, output_dir=out, now=NOW.replace(tzinfo=UTC))


def load(out: Path, rel: str):
    return json.loads((out / rel).read_text(encoding="utf-8"))


def svg_of(html: str) -> str:
    found = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(found) == 1
    return found[0]


def test_list_page_and_twin(dataset, tmp_path):
    out, ids = tmp_path / "site", dataset.ids
    stats = render(dataset, out)
    # overview, packages, module, chain, compose lists: 5 pages; 4 module builds: 4 more;
    # each with a twin + operators page, search page, their twins, the global feed
    # + the (empty) module streams list and its twin
    assert stats.pages == 2 * (5 + 4) + 5 + 2 and stats.skipped == 0
    listing = load(out, "api/v1/module-builds.json")
    rows = listing["module_builds"]
    assert [r["id"] for r in rows] == [ids["fresh"], ids["evil"], ids["cur"], ids["old"]]
    cur = next(r for r in rows if r["id"] == ids["cur"])
    assert cur["nsvc"] == "nodejs:20:20240501000000:c0ffee00" and cur["state"] == "build"
    assert (cur["batch"], cur["batch_count"]) == (2, 3)
    assert (cur["components_done"], cur["components_total"]) == (2, 5)  # complete + reused
    assert cur["href"] == f"modules/{ids['cur']}.html" and "state_class" not in cur
    assert {c["state"]: c["count"] for c in listing["state_counts"]} == {
        "init": 1,
        "wait": 0,
        "build": 1,
        "done": 0,
        "ready": 1,
        "failed": 1,
    }

    html = (out / "modules/index.html").read_text(encoding="utf-8")
    for r in rows:
        assert f'data-id="{r["id"]}" data-state="{r["state"]}"' in html
    assert "nodejs:20:20240401000000:c0ffee00" in html
    assert f'<a href="../modules/{ids["cur"]}.html">nodejs:20:20240501000000:c0ffee00</a>' in html
    assert 'data-name="perl" data-owner="bob"' in html
    assert 'class="state state-building">build<' in html
    assert 'class="state state-complete">ready<' in html
    assert 'class="state state-failed">failed<' in html
    assert "2 / 3" in html and "2 / 5" in html  # batch, components
    assert (
        html.index(">perl:")
        < html.index(">nodejs:20:20240501000000")
        < html.index(">nodejs:20:20240401000000")
    )  # newest first


def test_detail_groups_components_by_batch(dataset, tmp_path):
    out, ids = tmp_path / "site", dataset.ids
    render(dataset, out)
    twin = load(out, f"api/v1/module-builds/{ids['cur']}.json")
    assert twin["module_build"]["koji_tag_url"] == (
        f"{KOJI}/taginfo?tagID=module-nodejs-20-20240501000000-c0ffee00"
    )
    batches = [
        (b["batch"], b["current"], [c["package"] for c in b["components"]]) for b in twin["batches"]
    ]
    assert batches == [
        (1, False, ["libuv", "nodejs-packaging"]),
        (2, True, ["nodejs", "npm"]),
        (3, False, ["yarn"]),
    ]
    libuv = twin["batches"][0]["components"][0]
    assert libuv["state"] == "reused" and libuv["reused_from_module_build_id"] == ids["old"]
    assert "timeline" not in twin and [t["to_state"] for t in twin["transitions"]] == [
        "init",
        "wait",
        "build",
    ]

    html = (out / f"modules/{ids['cur']}.html").read_text(encoding="utf-8")
    starts = [html.index(f'<h3 id="h-batch-{n}">Batch {n}') for n in (1, 2, 3)]
    assert starts == sorted(starts) and ">Batch 2 (current)<" in html
    sections = [html[a:b] for a, b in zip(starts, [*starts[1:], len(html)], strict=True)]
    assert "nodejs-packaging-2021.06-1.module" in sections[0] and "npm" not in sections[0]
    assert sections[0].index(">libuv<") < sections[0].index(">nodejs-packaging<")
    assert f'<a href="{KOJI}/taskinfo?taskID=3001">task 3001</a>' in sections[0]
    assert f'<a href="{KOJI}/buildinfo?buildID=4001">build 4001</a>' in sections[0]
    assert f'<a href="{KOJI}/taskinfo?taskID=3003">task 3003</a>' in sections[1]
    assert ">yarn<" in sections[2] and "taskinfo" not in sections[2]
    assert (
        f'reused from <a href="../modules/{ids["old"]}.html">module build #{ids["old"]}</a>'
        in sections[0]
    )
    assert f'href="{KOJI}/taginfo?tagID=module-nodejs-20-20240501000000-c0ffee00"' in html
    assert 'href="../static/style.css"' in html and "<code>git+https://src.example/" in html


def test_timeline_has_one_marker_per_transition(dataset, tmp_path):
    out, ids = tmp_path / "site", dataset.ids
    render(dataset, out)
    for key, expected in (("old", 5), ("cur", 3), ("evil", 2), ("fresh", 1)):
        html = (out / f"modules/{ids[key]}.html").read_text(encoding="utf-8")
        svg = svg_of(html)
        assert svg.count('<g class="marker ') == expected, key
        assert svg.count("<circle ") == expected and svg.count("<title>") == expected, key
        listed = re.search(r'<ol class="timeline-list">(.*?)</ol>', html, flags=re.S)
        assert listed is not None and listed.group(1).count("<li>") == expected, key
        assert "<script" not in svg
    cur = svg_of((out / f"modules/{ids['cur']}.html").read_text(encoding="utf-8"))
    titles = re.findall(r"<title>(.*?)</title>", cur, flags=re.S)
    assert titles[0] == "(new) → init, 2024-05-01 10:00 UTC: submitted by alice"
    assert titles[1] == "init → wait, 2024-05-01 10:01 UTC: deps resolved"
    xs = [int(x) for x in re.findall(r'<circle cx="(\d+)"', cur)]
    assert xs == sorted(xs) and len(set(xs)) == 3  # left to right, never on top of each other
    assert 'class="marker state-building"' in cur  # the marker of "build"


def test_hostile_strings_are_escaped_and_stay_inside(dataset, tmp_path):
    out, ids = tmp_path / "nested" / "site", dataset.ids
    before = set(tmp_path.rglob("*"))
    render(dataset, out)
    site = out.resolve()
    for path in set(tmp_path.rglob("*")) - before:
        assert (
            path == out.parent or path.parent == out.parent or (path.resolve().is_relative_to(site))
        ), path
    assert not any("etc" in p.name for p in tmp_path.rglob("*"))
    numbered = {f"{i}.html" for i in ids.values()}
    assert {p.name for p in (out / "modules").iterdir()} == {"index.html", *numbered}
    assert {p.name for p in (out / "api/v1/module-builds").iterdir()} == {
        f"{i}.json" for i in ids.values()
    }

    for rel in ("index.html", "modules/index.html", f"modules/{ids['evil']}.html"):
        text = (out / rel).read_text(encoding="utf-8")
        assert "<script" not in text and "<img" not in text, rel
        assert XSS_ESCAPED in text, rel  # the owner at least, escaped
        assert "../../etc:" in text, rel  # shown as text, never used as a path
    evil = (out / f"modules/{ids['evil']}.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(2)&gt;" in evil
    assert f"<h1>Module build {ids['evil']}: <bdi>../../etc:{XSS_ESCAPED}:1:" in evil
    assert UNICODE in evil  # reason in the trace list and state reason, verbatim
    assert evil.count(XSS_ESCAPED) >= 5  # stream, owner, state reason, trace reason, component
    assert f'data-owner="{XSS_ESCAPED}"' in (out / "modules/index.html").read_text("utf-8")
    assert "taginfo?tagID=module-%22%3E%3Cscript%3E%26x%3D1%23" in evil
    twin = load(out, f"api/v1/module-builds/{ids['evil']}.json")
    assert twin["module_build"]["owner"] == XSS and twin["module_build"]["name"] == "../../etc"
    assert twin["transitions"][-1]["reason"] == UNICODE
    assert twin["batches"][0]["components"][0]["package"] == IMG


def test_overview_links_module_builds(dataset, tmp_path):
    out, ids = tmp_path / "site", dataset.ids
    render(dataset, out)
    data = load(out, "api/v1/overview.json")["modules"]
    assert data["total"] == 4 and data["href"] == "modules/index.html"
    assert data["api_href"] == "api/v1/module-builds.json"
    assert [m["id"] for m in data["in_progress"]] == [ids["cur"], ids["fresh"]]  # oldest first
    assert [m["id"] for m in data["recent_failures"]] == [ids["evil"]]
    assert {c["state"]: c["count"] for c in data["state_counts"]}["ready"] == 1

    overview = (out / "index.html").read_text(encoding="utf-8")
    section = overview[overview.index('id="h-modules"') : overview.index('id="h-consumers"')]
    assert '<a href="modules/index.html">All 4 module builds</a>' in section
    assert f'<a href="modules/{ids["cur"]}.html">' in section
    assert f'<a href="modules/{ids["fresh"]}.html">' in section
    assert "nodejs:20:20240401000000" not in section  # ready: neither in progress nor failed
    for rel, link in (
        ("index.html", '<a href="modules/index.html">Module builds</a>'),
        ("packages/index.html", '<a href="../modules/index.html">Module builds</a>'),
        (f"modules/{ids['cur']}.html", '<a href="../modules/index.html">Module builds</a>'),
    ):
        assert link in (out / rel).read_text(encoding="utf-8"), rel


def test_old_failures_leave_the_overview(session_factory, tmp_path):
    with session_factory.begin() as s:
        add_module(s, "old", "1", 1, "failed", at=NOW - timedelta(days=8), koji_tag=None)
    out = tmp_path / "site"
    render(session_factory, out)
    data = load(out, "api/v1/overview.json")["modules"]
    assert data["total"] == 1 and data["recent_failures"] == [] and data["in_progress"] == []
    assert "No module build failed in the last 7 days." in (out / "index.html").read_text()
    assert (out / "modules/1.html").is_file()


def test_no_module_build_means_no_module_pages(session_factory, tmp_path):
    with session_factory.begin() as s:
        s.add(Package(namespace="rpms", name="bash"))
    out = tmp_path / "site"
    stats = render(session_factory, out)
    # + operators page, search page, their twins, the global feed, bash's feed,
    # the (empty) chain and compose lists and their twins, the packages index page "B"
    # and its twin, the (empty) module streams list and its twin
    assert stats.pages == 6 + 5 + 1 + 4 + 2 + 2 and not (out / "modules").exists()
    assert not (out / "api/v1/module-builds.json").exists()
    data = load(out, "api/v1/overview.json")["modules"]
    assert data["total"] == 0 and data["href"] is None and data["in_progress"] == []
    overview = (out / "index.html").read_text(encoding="utf-8")
    assert "No module build yet." in overview and "modules/index.html" not in overview


def _populate(factory, module_builds: int) -> None:
    with factory.begin() as s:
        for i in range(module_builds):
            build = add_module(
                s,
                f"mod{i}",
                "1",
                i,
                "build",
                at=NOW,
                batch=1,
                trace=[(None, "init", ""), ("init", "wait", ""), ("wait", "build", "")],
            )
            origin = add_component(s, build, "a", 1, "building", koji_task_id=i + 1)
            add_component(s, build, "b", 1, "reused", reused_from_id=origin.id, nvr="b-1-1")
            add_component(s, build, "c", 2, "waiting")


def _statements(factory) -> list[str]:
    engine = factory.kw["bind"]
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        data = gather(factory)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(data.modules.components) == 3 * len(data.modules.module_builds)
    return statements


def test_gather_query_count_does_not_grow_with_module_builds(tmp_path):
    counts = []
    for n in (2, 25):
        factory = make_session_factory(f"sqlite:///{tmp_path / f'q{n}.sqlite'}")
        models.Base.metadata.create_all(factory.kw["bind"])
        _populate(factory, n)
        statements = _statements(factory)
        counts.append(len(statements))
        touching = [st for st in statements if re.match(r"SELECT module_build", st)]
        assert len(touching) == 2, touching  # builds + components joined; traces
        data = gather(factory)
        assert len(data.modules.module_builds) == n and len(data.modules.transitions) == 3 * n
        reused = [c for c in data.modules.components if c.state == "reused"]
        assert len(reused) == n and all(c.reused_from_module_build_id for c in reused)
        factory.kw["bind"].dispose()
    assert counts[0] == counts[1] <= 28  # the whole site: see test_site_generator.py


def test_paths_and_state_classes_never_come_from_data():
    assert module_build_paths(7) == (
        PurePosixPath("modules/7.html"),
        PurePosixPath("api/v1/module-builds/7.json"),
    )
    for bad in (0, -1, True, "7", "../7", 7.0, None):
        assert module_build_paths(bad) is None, bad  # type: ignore[arg-type]
    assert module_state_class("failed") == "state-failed"
    assert module_state_class('x" onmouseover="y') == "state-unknown"
    assert component_state_class("reused") == "state-reused"
    assert component_state_class("<b>") == "state-unknown"


def test_incremental_render_reads_only_the_dirty_module_builds_components(dataset, tmp_path):
    """One module build changes: only its page is rewritten, yet the list's component counts
    (counted by the database for the others) are what a full render shows."""
    ids = dataset.ids  # type: ignore[attr-defined]
    out, fresh = tmp_path / "site", tmp_path / "fresh"
    render(dataset, out)
    pages = {i: out / f"modules/{i}.html" for i in ids.values()}
    before = {i: p.stat().st_ino for i, p in pages.items()}
    with dataset.begin() as s:
        component = s.query(ComponentBuild).filter_by(module_build_id=ids["cur"], package="npm")
        npm = component.one()
        npm.koji_task_id = 3002
        npm.transition(s, "building", cause="m")
    stats = render_site(dataset, SETTINGS, output_dir=out, now=NOW.replace(tzinfo=UTC), full=False)
    assert stats.mode == "incremental" and stats.dirty == 1
    after = {i: p.stat().st_ino for i, p in pages.items()}
    assert {i for i in ids.values() if after[i] != before[i]} == {ids["cur"]}
    twin = load(out, f"api/v1/module-builds/{ids['cur']}.json")
    states = {c["package"]: c["state"] for b in twin["batches"] for c in b["components"]}
    assert states["npm"] == "building" and len(states) == 5
    render(dataset, fresh)
    for rel in ("api/v1/module-builds.json", "modules/index.html", "api/v1/overview.json",
                f"api/v1/module-builds/{ids['cur']}.json"):  # fmt: skip
        assert (out / rel).read_text() == (fresh / rel).read_text(), rel
    assert load(out, "api/v1/module-builds.json") == load(fresh, "api/v1/module-builds.json")


def test_the_modules_list_is_rewritten_only_when_a_module_build_is_dirty(dataset, tmp_path):
    """A package change leaves the modules list alone (at Fedora scale it is 1,000 rows);
    a module build change rewrites it; the overview is rewritten either way."""
    from models.site_dirty import mark_dirty

    out = tmp_path / "site"
    render(dataset, out)
    listed = ("modules/index.html", "api/v1/module-builds.json", "index.html")

    def inodes() -> dict[str, int]:
        return {rel: (out / rel).stat().st_ino for rel in listed}

    before = inodes()
    with dataset.begin() as s:
        mark_dirty(s, "package", 424242)  # no such package: only index pages to write
    render_site(dataset, SETTINGS, output_dir=out, now=NOW.replace(tzinfo=UTC), full=False)
    after = inodes()
    assert [rel for rel in listed if after[rel] != before[rel]] == ["index.html"]
    with dataset.begin() as s:
        mark_dirty(s, "module_build", dataset.ids["cur"])  # type: ignore[attr-defined]
    render_site(dataset, SETTINGS, output_dir=out, now=NOW.replace(tzinfo=UTC), full=False)
    assert all(inodes()[rel] != after[rel] for rel in listed)
