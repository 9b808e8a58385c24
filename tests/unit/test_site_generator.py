"""The status site: gather -> context -> render -> write, against a temporary SQLite file."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import pytest
from sqlalchemy import event

import models
from conveyor.db import make_session_factory
from conveyor.settings import Settings, SiteSettings
from models import (
    BranchRef,
    Build,
    BuildTransition,
    InboxEntry,
    OutboxMessage,
    Package,
    RejectedMessage,
)
from site_generator import render_site, write
from site_generator.gather import gather
from site_generator.paths import Page, package_paths, valid_component
from site_generator.render import environment
from tests.unit.site_world import listed_packages

NOW = datetime(2024, 5, 1, 12, 0)  # naive UTC, as stored
XSS = "<script>alert(1)</script>"
SETTINGS = Settings(site=SiteSettings(recent_days=7))


@pytest.fixture
def session_factory(tmp_path):
    factory = make_session_factory(f"sqlite:///{tmp_path / 'conveyor.sqlite'}")
    models.Base.metadata.create_all(factory.kw["bind"])
    yield factory
    factory.kw["bind"].dispose()


def add_build(session, package, commit, state, *, at=NOW, trace=(), **extra):
    build = Build(
        package_id=package.id,
        branch="rawhide",
        commit=commit,
        target="rawhide",
        source=f"git+https://src.fedoraproject.org/{package.path}#{commit}",
        state=state,
        created_at=at,
        updated_at=at,
        **extra,
    )
    session.add(build)
    session.flush()
    for i, (old, new, reason) in enumerate(trace):
        session.add(
            BuildTransition(
                build_id=build.id,
                from_state=old,
                to_state=new,
                cause=f"msg-{build.id}-{i}",
                reason=reason,
                at=at + timedelta(minutes=i),
            )
        )
    return build


@pytest.fixture
def dataset(session_factory):
    with session_factory.begin() as s:
        bash = Package(namespace="rpms", name="bash")
        evil = Package(namespace="rpms", name="python-evil")
        s.add_all([bash, evil])
        s.flush()
        add_build(
            s,
            bash,
            "a" * 40,
            "complete",
            koji_task_id=1001,
            koji_build_id=2001,
            nvr="bash-5.2.26-1.fc41",
            completed_at=NOW,
            reason="push by alice",
            trace=[("queued", "building", ""), ("building", "complete", "koji says done")],
        )
        add_build(
            s,
            bash,
            "b" * 40,
            "failed",
            at=NOW - timedelta(hours=1),
            koji_task_id=1002,
            state_reason="rpmbuild failed: %check exited 1",
            trace=[("queued", "building", ""), ("building", "failed", "task 1002 failed")],
        )
        add_build(s, bash, "c" * 40, "queued", at=NOW - timedelta(days=30))
        add_build(s, evil, "d" * 40, "canceled", pusher=XSS, state_reason=XSS)
        s.add_all(
            [
                BranchRef(
                    package_id=bash.id,
                    branch="rawhide",
                    old_commit="b" * 40,
                    new_commit="a" * 40,
                    pusher="alice",
                    pushed_at=NOW,
                    message_id="m1",
                    decision="build queued for rawhide",
                ),
                BranchRef(
                    package_id=bash.id,
                    branch="private-foo",
                    old_commit=None,
                    new_commit="e" * 40,
                    pusher="bob",
                    pushed_at=NOW,
                    message_id="m2",
                    decision="ignored: branch private-foo maps to no koji target",
                ),
                BranchRef(
                    package_id=evil.id,
                    branch="rawhide",
                    old_commit=None,
                    new_commit="d" * 40,
                    pusher=XSS,
                    pushed_at=NOW,
                    message_id="m3",
                    decision=XSS,
                ),
                RejectedMessage(
                    message_id="r1",
                    topic="org.fedoraproject.prod.git.receive",
                    body='{"SECRET-RAW-BODY": 1}',
                    headers={},
                    consumer="distgit",
                    kind="invalid",
                    reason="commit.branch missing",
                    rejected_at=NOW,
                ),
                OutboxMessage(message_id="o1", topic="conveyor.build.state.change.v1", body={}),
                OutboxMessage(
                    message_id="o2", topic="conveyor.build.state.change.v1", body={}, sent_at=NOW
                ),
                InboxEntry(
                    message_id="i1",
                    topic="t",
                    consumer="koji",
                    outcome="handled",
                    processed_at=NOW - timedelta(minutes=5),
                ),
                InboxEntry(
                    message_id="i2", topic="t", consumer="koji", outcome="handled", processed_at=NOW
                ),
                InboxEntry(
                    message_id="i3",
                    topic="t",
                    consumer="distgit",
                    outcome="ignored",
                    processed_at=NOW - timedelta(hours=2),
                ),
            ]
        )
    return session_factory


def render(factory, out: Path):
    return render_site(factory, SETTINGS, output_dir=out, now=NOW.replace(tzinfo=UTC))


def load(out: Path, rel: str):
    return json.loads((out / rel).read_text(encoding="utf-8"))


def test_pages_and_json_twins(dataset, tmp_path):
    out = tmp_path / "site"
    stats = render(dataset, out)
    # + operators page, search page, their twins, the global feed, 2 package feeds,
    # chains and composes list pages and their twins, the packages index pages "B" and
    # "python-E" and their twins, the (empty) module streams list and its twin
    assert stats.pages == 8 + 5 + 2 + 4 + 4 + 2 and stats.skipped == 0 and stats.seconds > 0
    for rel in (
        "index.html",
        "packages/index.html",
        "packages/rpms/bash.html",
        "packages/rpms/python-evil.html",
        "static/style.css",
        "api/v1/overview.json",
        "api/v1/packages.json",
        "api/v1/packages/rpms/bash.json",
    ):
        assert (out / rel).is_file(), rel

    page = (out / "packages/rpms/bash.html").read_text()
    assert "bash-5.2.26-1.fc41" in page and 'class="state state-complete">complete<' in page
    assert "ignored: branch private-foo maps to no koji target" in page
    assert "taskinfo?taskID=1001" in page and "buildinfo?buildID=2001" in page
    assert "koji says done" in page  # the state trace
    assert 'href="../../static/style.css"' in page and '<html lang="en">' in page

    twin = load(out, "api/v1/packages/rpms/bash.json")
    assert [b["state"] for b in twin["builds"]] == ["complete", "failed", "queued"]
    assert twin["builds"][0]["nvr"] == "bash-5.2.26-1.fc41"
    assert [t["to_state"] for t in twin["builds"][0]["transitions"]] == ["building", "complete"]
    decisions = {p["branch"]: p["decision"] for p in twin["branch_history"]}
    assert decisions["private-foo"].startswith("ignored:")
    assert decisions["rawhide"] == "build queued for rawhide"
    assert twin["generated_at"] == "2024-05-01T12:00:00+00:00"
    assert "state_class" not in twin["builds"][0]

    overview = (out / "index.html").read_text()
    assert "rpmbuild failed: %check exited 1" in overview
    assert "commit.branch missing" in overview and "SECRET-RAW-BODY" not in overview
    data = load(out, "api/v1/overview.json")
    assert [b["state"] for b in data["in_flight"]] == ["queued"]
    assert {b["state"] for b in data["recent_failures"]} == {"failed", "canceled"}
    assert "queued" not in {b["state"] for b in data["recent_builds"]}  # 30 days old
    assert {c["state"]: c["count"] for c in data["state_counts"]}["failed"] == 1
    assert data["rejected_count"] == 1 and data["outbox_pending"] == 1
    assert "SECRET-RAW-BODY" not in json.dumps(data)
    assert data["consumers"] == [
        {"consumer": "distgit", "last_processed_at": "2024-05-01T10:00:00+00:00"},
        {"consumer": "koji", "last_processed_at": "2024-05-01T12:00:00+00:00"},
    ]
    assert "transitions" not in data["recent_builds"][0]

    index = load(out, "api/v1/packages.json")
    assert index["package_count"] == 2
    assert [(p["key"], p["count"]) for p in index["pages"]] == [("B", 1), ("python-E", 1)]
    latest = {p["name"]: p["latest_build"]["state"] for p in listed_packages(out)}
    assert latest == {"bash": "complete", "python-evil": "canceled"}
    assert (out / "api/v1/packages.json").read_text() == json.dumps(
        index, sort_keys=True, separators=(",", ":")
    ) + "\n"


def test_database_text_is_escaped_everywhere(dataset, tmp_path):
    out = tmp_path / "site"
    render(dataset, out)
    for rel in ("index.html", "packages/index.html", "packages/rpms/python-evil.html"):
        text = (out / rel).read_text()
        assert "<script" not in text, rel
    evil = (out / "packages/rpms/python-evil.html").read_text()
    assert evil.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # pusher, reason, decision
    assert load(out, "api/v1/packages/rpms/python-evil.json")["builds"][0]["pusher"] == XSS


def test_templates_never_mark_data_safe():
    env = environment()
    for name in env.list_templates():
        source = env.loader.get_source(env, name)[0]
        assert "|safe" not in source.replace(" ", "") and "Markup" not in source, name
    assert env.from_string("{{ x }}").render(x=XSS) == "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.mark.parametrize(
    "namespace,name",
    [
        ("rpms", "../../../escaped"),
        ("..", "x"),
        ("rpms", ".."),
        ("rpms", "a/b"),
        ("rpms", "x\n"),
        ("/etc", "passwd"),
        ("rpms", "-rf"),
        ("rpms", "a" * 201),
    ],
)
def test_unsafe_package_names_get_no_file(session_factory, tmp_path, caplog, namespace, name):
    with session_factory.begin() as s:
        good, bad = Package(namespace="rpms", name="bash"), Package(namespace=namespace, name=name)
        s.add_all([good, bad])
        s.flush()
        add_build(s, bad, "f" * 40, "failed", state_reason="unsafe one")
    out = tmp_path / "nested" / "site"
    before = {p for p in tmp_path.rglob("*")}
    with caplog.at_level(logging.WARNING):
        render(session_factory, out)
    assert "no page" in caplog.text
    site = out.resolve()
    for path in set(tmp_path.rglob("*")) - before:  # only the site and its siblings
        assert (
            path == out.parent or path.parent == out.parent or (path.resolve().is_relative_to(site))
        ), path
    assert not (tmp_path / "escaped.html").exists()
    assert {p.name for p in (out / "packages/rpms").iterdir()} == {"bash.html"}
    listed = listed_packages(out)
    assert {(p["name"], p["href"]) for p in listed} >= {(name, None)}
    assert "unsafe one" in (out / "index.html").read_text()


def test_write_refuses_unsafe_paths(tmp_path, caplog):
    pages = [
        Page(PurePosixPath("ok.html"), "ok"),
        Page(PurePosixPath("../out.html"), "x"),
        Page(PurePosixPath("/abs.html"), "x"),
        Page(PurePosixPath("a/./.hidden"), "x"),
        Page(PurePosixPath("ok.html"), "twice"),
    ]
    with caplog.at_level(logging.WARNING):
        result = write.write_site(pages, tmp_path / "site")
    assert (result.written, result.skipped) == (1, 4)
    assert (tmp_path / "site/ok.html").read_text() == "ok"
    assert not (tmp_path / "out.html").exists()
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["ok.html"]


def test_path_validation():
    assert valid_component("python-foo_bar+1.2") and not valid_component("..")
    assert not valid_component(".hidden") and not valid_component("") and not valid_component("a b")
    assert package_paths("rpms", "bash") == (
        PurePosixPath("packages/rpms/bash.html"),
        PurePosixPath("api/v1/packages/rpms/bash.json"),
    )
    assert package_paths("rpms", "../x") is None


def test_render_twice_swaps_atomically(dataset, tmp_path, monkeypatch):
    out = tmp_path / "site"
    first = render(dataset, out)
    assert out.is_symlink() and out.resolve() == first.version_dir.resolve()
    (first.version_dir / "marker").write_text("old")

    seen = []
    real_replace = os.replace

    def checking_replace(src, dst):
        # At the moment of the swap: the old site is still whole, the new one complete.
        assert Path(dst) == out and (out / "marker").exists() and (out / "index.html").is_file()
        new = Path(src).parent / os.readlink(src)
        assert (new / "packages/rpms/bash.html").is_file() and not (new / "marker").exists()
        seen.append(new)
        real_replace(src, dst)

    monkeypatch.setattr(write.os, "replace", checking_replace)
    second = render(dataset, out)
    assert seen == [second.version_dir]
    assert out.resolve() == second.version_dir.resolve() != first.version_dir.resolve()
    assert not first.version_dir.exists()  # old version removed after the swap
    assert (out / "index.html").is_file() and not (out / "marker").exists()
    siblings = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site."))
    assert siblings == [".site.lock", second.version_dir.name]


def test_failed_render_keeps_the_old_site(dataset, tmp_path, monkeypatch):
    out = tmp_path / "site"
    first = render(dataset, out)

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(write, "_swap", broken)
    with pytest.raises(OSError, match="disk full"):
        render(dataset, out)
    assert out.resolve() == first.version_dir.resolve() and (out / "index.html").is_file()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".site.v-")] == [first.version_dir]


def test_plain_directory_is_moved_aside_once(dataset, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.html").write_text("from before")
    render(dataset, out)
    assert out.is_symlink() and (out / "index.html").is_file()
    kept = [p for p in tmp_path.iterdir() if p.name.startswith(".site.previous-")]
    assert len(kept) == 1 and (kept[0] / "old.html").read_text() == "from before"


def _populate(factory, packages: int) -> None:
    with factory.begin() as s:
        for i in range(packages):
            pkg = Package(namespace="rpms", name=f"pkg{i}")
            s.add(pkg)
            s.flush()
            add_build(s, pkg, f"{i:040x}", "failed", trace=[("queued", "failed", "no")])
            add_build(s, pkg, f"{i + 1000:040x}", "queued")
            s.add(
                BranchRef(
                    package_id=pkg.id,
                    branch="rawhide",
                    new_commit=f"{i:040x}",
                    pusher="p",
                    message_id=f"m{i}",
                    decision="build queued",
                )
            )


def _count_queries(factory) -> int:
    engine = factory.kw["bind"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        gather(factory)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_gather_query_count_does_not_grow(tmp_path):
    counts = []
    for n in (3, 30):
        factory = make_session_factory(f"sqlite:///{tmp_path / f'q{n}.sqlite'}")
        models.Base.metadata.create_all(factory.kw["bind"])
        _populate(factory, n)
        counts.append(_count_queries(factory))
        data = gather(factory)
        assert len(data.packages) == n and len(data.builds) == 2 * n
        factory.kw["bind"].dispose()
    # 6 base + 2 module + 5 module extras + 4 package extras + 9 chains/composes + counters
    assert counts[0] == counts[1] <= 28


def test_overview_lists_are_bounded_with_counts(dataset, tmp_path, monkeypatch):
    from site_generator import context

    monkeypatch.setattr(context, "OVERVIEW_LIST_LIMIT", 1)
    out = tmp_path / "site"
    render(dataset, out)
    data = load(out, "api/v1/overview.json")
    assert len(data["recent_builds"]) == 1 and data["recent_builds_count"] > 1
    assert len(data["recent_failures"]) == 1 and data["recent_failures_count"] == 2
    overview = (out / "index.html").read_text()
    assert f"The 1 most recent of {data['recent_builds_count']} builds changed" in overview
    assert "The 1 most recent of 2 failed or canceled" in overview
