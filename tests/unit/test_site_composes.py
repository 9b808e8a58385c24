"""Compose pages: the list, one page per compose with contents and expiry, membership, marks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from models.compose import Compose, record
from models.compose_content import ComposeContent
from models.site_dirty import pending
from site_generator import render_site
from site_generator.gather_extras import package_extras
from site_generator.gather_pipeline import gather_pipeline
from site_generator.paths import compose_paths
from site_generator.views_pipeline import safe_url
from tests.unit.site_world import HOSTILE, NOW, SETTINGS, XSS, load, populate, render


def _site(factory, tmp_path):
    ids = populate(factory)
    out = tmp_path / "site"
    render(factory, out)
    return ids, out


def test_list_page_and_twin(session_factory, tmp_path):
    ids, out = _site(session_factory, tmp_path)
    listing = load(out, "api/v1/composes.json")
    rows = {c["id"]: c for c in listing["composes"]}
    assert [c["id"] for c in listing["composes"]] == sorted(rows, reverse=True)
    assert {rows[ids[k]]["state"] for k in ("compose_done", "compose_removed")} == {
        "done",
        "removed",
    }
    generating = rows[ids["compose_generating"]]
    assert generating["origin"] == "odcs" and generating["external_id"] == "4242"
    assert rows[ids["compose_done"]]["content_count"] == 3  # bash, nodejs, the hostile one
    counts = {c["state"]: c["count"] for c in listing["state_counts"]}
    assert counts == {"wait": 0, "generating": 1, "done": 1, "removed": 1, "failed": 1}
    html = (out / "composes/index.html").read_text()
    assert "<script" not in html and "&lt;script&gt;" in html  # hostile owner and source
    assert f'<a href="../composes/{ids["compose_done"]}.html">Compose' in html


def test_compose_page_lists_contents_with_links_and_expiry(session_factory, tmp_path):
    ids, out = _site(session_factory, tmp_path)
    html = (out / f"composes/{ids['compose_done']}.html").read_text()
    assert '<a href="../packages/rpms/bash.html">bash</a>' in html
    assert "x86_64, aarch64" in html or "aarch64, x86_64" in html
    assert f'<a href="../modules/{ids["ready"]}.html">nodejs</a>' in html
    # Result repo: a link; a javascript: repo file URL stays text.
    assert '<a href="https://odcs.example.org/composes/odcs-1/compose/Temporary">' in html
    assert 'href="javascript' not in html and "<code>javascript:alert(1)</code>" in html
    assert "<script" not in html  # the hostile artifact has no package page: no link, escaped
    assert '<time datetime="2024-05-02T12:00:00+00:00">' in html  # expiry
    twin = load(out, f"api/v1/composes/{ids['compose_done']}.json")
    kinds = [(c["kind"], c["artifact"], c["href"]) for c in twin["contents"]]
    assert kinds[0] == (
        "module",
        "nodejs:20:20240401000000:c0ffee00",
        f"modules/{ids['ready']}.html",
    )
    assert ("rpm", "bash-5.2.26-1.fc41", "packages/rpms/bash.html") in kinds
    assert ("rpm", f"{XSS}-1-1", None) in kinds
    bash = next(c for c in twin["contents"] if c["name"] == "bash")
    assert sorted(bash["arches"]) == ["aarch64", "x86_64"]
    assert [t["to_state"] for t in twin["transitions"]] == ["wait", "done"]
    failed = (out / f"composes/{ids['compose_failed']}.html").read_text()
    assert "pungi failed" in failed and HOSTILE not in failed and "<script" not in failed


def test_reused_and_regenerated(session_factory, tmp_path):
    ids = populate(session_factory)
    with session_factory.begin() as s:
        removed = s.get(Compose, ids["compose_removed"])
        removed.transition(s, "wait", cause="api:bob", reason="regenerate")
        s.get(Compose, ids["compose_generating"]).reused_id = ids["compose_done"]
    out = tmp_path / "site"
    render(session_factory, out)
    twin = load(out, f"api/v1/composes/{ids['compose_removed']}.json")
    assert twin["compose"]["regenerations"] == 1 and twin["compose"]["state"] == "wait"
    html = (out / f"composes/{ids['compose_generating']}.html").read_text()
    assert f'the result of <a href="../composes/{ids["compose_done"]}.html">compose' in html


def test_package_and_module_pages_show_compose_membership(session_factory, tmp_path):
    ids, out = _site(session_factory, tmp_path)
    bash = load(out, "api/v1/packages/rpms/bash.json")
    held = [(c["compose_id"], c["artifact"], c["state"]) for c in bash["composes"]]
    assert held == [  # newest compose first
        (ids["compose_removed"], "bash-5.2.26-1.fc41", "removed"),
        (ids["compose_done"], "bash-5.2.26-1.fc41", "done"),
    ]
    assert ids["compose_removed"] > ids["compose_done"]
    assert "Composes containing its builds" in (out / "packages/rpms/bash.html").read_text()
    module = load(out, f"api/v1/module-builds/{ids['ready']}.json")
    assert [c["compose_id"] for c in module["composes"]] == [ids["compose_done"]]
    assert load(out, f"api/v1/module-builds/{ids['broken']}.json")["composes"] == []
    overview = load(out, "api/v1/overview.json")
    assert [c["id"] for c in overview["composes_in_progress"]] == [ids["compose_generating"]]


def test_a_compose_transition_marks_it_and_what_it_contains(session_factory, tmp_path):
    ids = populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    with session_factory.begin() as s:
        compose = s.get(Compose, ids["compose_done"])
        compose.transition(s, "removed", cause="cron", reason="expired")
    with session_factory() as s:
        marks = {(r.kind, r.key) for r in pending(s)}
    assert marks == {
        ("compose", ids["compose_done"]),
        ("package", ids["bash"]),
        ("module_build", ids["ready"]),
    }
    stats = render_site(session_factory, SETTINGS, full=False, output_dir=out,
                        now=(NOW + timedelta(minutes=1)).replace(tzinfo=None))  # fmt: skip
    assert stats.mode == "incremental"
    assert load(out, f"api/v1/composes/{ids['compose_done']}.json")["compose"]["state"] == (
        "removed"
    )
    states = {
        c["compose_id"]: c["state"] for c in load(out, "api/v1/packages/rpms/bash.json")["composes"]
    }
    assert states[ids["compose_done"]] == "removed"


def test_package_extras_are_four_queries_whatever_the_chunk(session_factory):
    ids = populate(session_factory)
    engine = session_factory.kw["bind"]
    counts = []
    for extra in (0, 30):
        with session_factory.begin() as s:
            for n in range(extra):
                s.add(ComposeContent(compose_id=ids["compose_done"], kind="rpm",
                                     artifact=f"bash-{n}", name="bash", arch="x86_64"))  # fmt: skip
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_rest, seen=statements):
            if statement.startswith("SELECT"):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        with session_factory() as s:
            data = package_extras(s, lambda column: column.is_not(None))
        event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
        assert len(data.in_composes) == 2
    assert counts == [4, 4]


def test_paths_and_urls_never_come_from_data():
    for bad in (0, -1, True, "7", None):
        assert compose_paths(bad) is None  # type: ignore[arg-type]
    assert str(compose_paths(3)[1]) == "api/v1/composes/3.json"  # type: ignore[index]
    assert safe_url("https://x.example/a") == "https://x.example/a"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:x", "//evil", "data:text/html,x",
                'https://x" onclick="y', "", None, "ftp://x"):  # fmt: skip
        assert safe_url(bad) is None, bad


def test_search_index_lists_composes_and_chains_and_learns_new_ones(session_factory, tmp_path):
    ids, out = _site(session_factory, tmp_path)
    entries = load(out, "search-index.json")["entries"]
    composes = {e["detail"]: (e["label"], e["href"]) for e in entries if e["kind"] == "compose"}
    assert composes[f"compose {ids['compose_done']}"] == (
        "nodejs:20",
        f"composes/{ids['compose_done']}.html",
    )
    chains = {e["label"]: e for e in entries if e["kind"] == "chain"}
    assert chains[f"chain {ids['chain']}"]["detail"] == "rpms/bash@rawhide: failed"
    with session_factory.begin() as s:
        expiry = NOW + timedelta(days=1)
        compose = Compose(owner="dave", source_type="tag", source="f42-build")
        compose.time_to_expire = expiry
        new_id = record(s, compose, cause="api:dave").id
    stats = render_site(session_factory, SETTINGS, full=False, output_dir=out,
                        now=(NOW + timedelta(minutes=1)).replace(tzinfo=None))  # fmt: skip
    assert stats.mode == "incremental" and (out / f"composes/{new_id}.html").is_file()
    entries = load(out, "search-index.json")["entries"]
    assert ("f42-build", f"compose {new_id}") in {(e["label"], e["detail"]) for e in entries}


def test_incremental_render_reads_only_the_dirty_composes_contents(session_factory, tmp_path):
    ids, out = _site(session_factory, tmp_path)
    with session_factory() as s:
        only = gather_pipeline(s, {ids["compose_removed"]})
        every = gather_pipeline(s)
    assert {c.compose_id for c in only.contents} == {ids["compose_removed"]}
    assert {c.compose_id for c in every.contents} == {ids["compose_done"], ids["compose_removed"]}
    assert (
        only.content_counts
        == every.content_counts
        == {
            ids["compose_done"]: 3,
            ids["compose_removed"]: 1,
        }
    )
    done_page = (out / f"composes/{ids['compose_done']}.html").read_text()
    with session_factory.begin() as s:
        s.get(Compose, ids["compose_removed"]).transition(s, "wait", cause="api:bob")
    stats = render_site(session_factory, SETTINGS, full=False, output_dir=out,
                        now=(NOW + timedelta(minutes=1)).replace(tzinfo=None))  # fmt: skip
    assert stats.mode == "incremental"
    listing = {c["id"]: c for c in load(out, "api/v1/composes.json")["composes"]}
    assert listing[ids["compose_done"]]["content_count"] == 3  # counted, not read
    assert listing[ids["compose_removed"]]["regenerations"] == 1
    assert (out / f"composes/{ids['compose_done']}.html").read_text() == done_page
    twin = load(out, f"api/v1/composes/{ids['compose_removed']}.json")
    assert [c["artifact"] for c in twin["contents"]] == ["bash-5.2.26-1.fc41"]
