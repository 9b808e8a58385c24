"""Module stream pages: streams/index.html, streams/<name>/<stream>.html and their twins.

Two graphs: site_world's small one (nodejs:20 with two definitions, perl:20 and
ruby:20 buildrequiring it, a hostile name) and the real Fedora 29 metadata
(expected answers read from the YAML, as in test_deps_f29.py).
"""

from __future__ import annotations

import json
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from sqlalchemy import event

from conveyor.deps.graph import DepGraph
from conveyor.deps.load import LoadReport, load_text
from models.module_build import ModuleBuild
from models.module_dependency import ModuleDependency
from models.module_stream import ModuleStreamDefinition
from models.package import Package
from models.site_dirty import DirtyRow, mark_dirty
from site_generator import INCREMENTAL, render_site, schemas
from site_generator.context_streams import (
    HTML_LIMIT,
    JSON_LIMIT,
    StreamsSite,
    TransitiveCounts,
    build_streams,
    first,
)
from site_generator.gather_site import Reader
from site_generator.gather_streams import StreamsGathered, gather_streams
from site_generator.paths import stream_hrefs
from site_generator.render import environment
from site_generator.render_streams import stream_pages
from site_generator.streams import changed_stream_pages
from site_generator.write import SiteDir
from tests.unit.site_world import NOW, SETTINGS, XSS, load, populate, render

F29 = Path(__file__).resolve().parents[1] / "data" / "modulemd"
F29 /= "libmodulemd__modulemd__tests__test_data__f29.yaml"


def _validator(name: str) -> Draft202012Validator:
    registry = Registry().with_resources(
        (uri, Resource.from_contents(schema)) for uri, schema in schemas.load().items()
    )
    return Draft202012Validator({"$ref": schemas.BASE + name}, registry=registry)


def _valid(name: str, document: dict) -> None:
    errors = [e.message for e in _validator(name).iter_errors(document)]
    assert errors == []


@pytest.fixture
def site(session_factory, tmp_path) -> Path:
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    return out


@pytest.fixture
def f29_factory(session_factory):
    report = LoadReport()
    with session_factory.begin() as s:
        load_text(s, F29.read_text(encoding="utf-8"), origin="f29.yaml", report=report)
        s.add(Package(namespace="rpms", name="perl"))  # a component with a package page
    assert report.invalid == []
    return session_factory


def _f29_site(factory):
    with factory() as s:
        data = gather_streams(s, default_ref="rawhide")
    return build_streams(data, now=NOW.replace(tzinfo=UTC))


# -- paths ------------------------------------------------------------------------------


UNSAFE = [(XSS, "1"), ("..", "1"), ("a/b", "1"), ("perl", ".."), ("perl", ""), ("index.html", "1")]


@pytest.mark.parametrize("name,stream", UNSAFE)
def test_an_unsafe_name_or_stream_gets_no_path(name, stream):
    assert stream_hrefs(name, stream) is None


def test_a_safe_stream_gets_its_paths():
    assert stream_hrefs("perl", "5.30") == (
        "streams/perl/5.30.html",
        "api/v1/streams/perl/5.30.json",
    )


# -- the small graph, rendered ------------------------------------------------------------


def test_the_index_lists_every_known_stream_with_counts_and_newest_build(site):
    index = load(site, "api/v1/streams.json")
    _valid("streams.schema.json", index)
    by_ns = {s["ns"]: s for s in index["streams"]}
    assert set(by_ns) == {"nodejs:20", "perl:20", "ruby:20", f"{XSS}:1"}
    assert index["defined_count"] == 4
    node = by_ns["nodejs:20"]
    assert node["href"] == "streams/nodejs/20.html"
    assert (node["requires"], node["buildrequires"], node["dependants"]) == (0, 0, 2)
    assert node["eol"] == "2025-06-01"
    assert by_ns["ruby:20"]["buildrequires"] == 2  # nodejs [] and perl [-5]: both 20
    assert by_ns[f"{XSS}:1"]["href"] is None  # unsafe as a file name: listed, no page
    html = (site / "streams/index.html").read_text(encoding="utf-8")
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;:1" in html
    assert '<a href="../streams/nodejs/20.html">nodejs:20</a>' in html  # root is "../"


def test_a_stream_page_answers_like_the_cli(site):
    page = load(site, "api/v1/streams/nodejs/20.json")
    _valid("stream.schema.json", page)
    assert page["dependants"] == ["perl:20", "ruby:20"]
    assert page["dependants_transitive"] == ["perl:20", "ruby:20"]
    assert page["requires"] == [] and page["buildrequires_transitive"] == []
    assert page["components"] == [
        {"rpm": "bash", "ref": "f41", "href": "packages/rpms/bash.html"},
        {"rpm": "libuv", "ref": "rawhide", "href": None},  # no package libuv
    ]
    assert page["source"]["source"] == "c1" and page["source"]["older_definitions"] == 1
    assert page["servicelevels"] == [
        {"name": "bug_fixes", "eol": None},
        {"name": "rawhide", "eol": "2025-06-01"},
    ]
    ruby = load(site, "api/v1/streams/ruby/20.json")
    assert ruby["buildrequires"] == ["nodejs:20", "perl:20"]
    assert ruby["dependants"] == [] and ruby["cycles"] == [] and ruby["unresolved"] == []
    html = (site / "streams/ruby/20.html").read_text(encoding="utf-8")
    assert '<a href="../../streams/nodejs/20.html">nodejs:20</a>' in html
    assert '<a href="../../streams/index.html">all module streams</a>' in html


def test_the_hostile_stream_gets_no_file_and_pages_link_streams(site):
    assert not [p for p in site.rglob("*") if "<" in p.name or "script" in p.name]
    bash = (site / "packages/rpms/bash.html").read_text(encoding="utf-8")
    assert '<a href="../../streams/nodejs/20.html"><bdi>nodejs:20</bdi></a>' in bash
    assert XSS not in bash and "&lt;script&gt;alert(1)&lt;/script&gt;:1" in bash
    modules = (site / "modules/index.html").read_text(encoding="utf-8")
    assert 'href="../streams/index.html"' in modules


def test_a_module_build_page_links_its_stream(site):
    index = load(site, "api/v1/streams.json")
    built = [s for s in index["streams"] if s["newest_module_build_id"] is not None]
    assert built, "site_world has a module build of a defined stream"
    stream = built[0]
    module = (site / stream["newest_module_build_href"]).read_text(encoding="utf-8")
    assert f'<a href="../{stream["href"]}">{stream["ns"]}</a>' in module


# -- the real Fedora 29 metadata ------------------------------------------------------------


def test_f29_transitive_answers(f29_factory):
    pages = {p.stream.ns: p for p in _f29_site(f29_factory).pages}
    assert pages["eog:main"].buildrequires == ("flatpak-runtime:f29",)
    assert pages["eog:main"].buildrequires_transitive == ("flatpak-runtime:f29", "platform:f29")
    assert pages["container-tools:2017.0"].dependants_transitive == (
        "cri-o:2017.0",
        "cri-o:2018.0",
        "docker:2017.0",
    )
    assert pages["container-tools:2018.0"].dependants_transitive == ()
    assert pages["reviewboard:3.0"].requires == ("django:1.6", "platform:f29")
    assert pages["django:1.6"].dependants == ("reviewboard:2.5", "reviewboard:3.0")
    perl = {c.rpm: c for c in pages["perl:5.26"].components}
    assert perl["perl"].ref == "f28" and perl["perl"].href == "packages/rpms/perl.html"
    assert "platform:f29" not in pages  # depended upon, never defined: no page
    assert all(p.cycles == () for p in pages.values())


def test_f29_index_marks_depended_upon_only_streams(f29_factory):
    index = _f29_site(f29_factory).index
    by_ns = {s.ns: s for s in index.streams}
    assert index.defined_count == 48  # 48 "document: modulemd" in the file
    platform = by_ns["platform:f29"]
    assert not platform.defined and platform.href is None and platform.dependants > 40


def test_f29_pages_render_escaped_and_valid(f29_factory):
    site = _f29_site(f29_factory)
    pages = list(stream_pages(environment(), site, nav=True))
    assert len(pages) == 2 * (1 + len(site.pages))
    for page in pages:
        if page.path.suffix == ".json":
            name = schemas.schema_name(str(page.path))
            assert name is not None
            _valid(name, json.loads(page.content))
    eog = next(p for p in pages if str(p.path) == "streams/eog/main.html").content
    assert '<a href="../../streams/flatpak-runtime/f29.html">flatpak-runtime:f29</a>' in eog
    assert "<li><bdi>platform:f29</bdi></li>" in eog  # no page: plain text


def test_gather_is_a_fixed_number_of_queries(session_factory, f29_factory):
    engine = f29_factory.kw["bind"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not the factory's BEGIN
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        _f29_site(f29_factory)
        big = len(statements)
        with f29_factory.begin() as s:  # one more stream, and a cycle: same number of queries
            d = ModuleStreamDefinition(
                name="loop", stream="1", source_kind="file", source="x", origin="", mdversion=2
            )
            s.add(d)
            s.flush()
            s.add(ModuleDependency(definition_id=d.id, block=0, kind="requires",
                                   module="loop", streams=["1"]))  # fmt: skip
        statements.clear()
        site = _f29_site(f29_factory)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert big == len(statements) == 6
    loop = next(p for p in site.pages if p.stream.ns == "loop:1")
    assert loop.cycles == (("loop:1",),)


# -- incremental renders ------------------------------------------------------------------


def test_a_new_definition_rewrites_the_stream_pages_incrementally(session_factory, site):
    later = NOW.replace(tzinfo=UTC) + timedelta(minutes=5)
    with session_factory.begin() as s:
        d = ModuleStreamDefinition(
            name="python", stream="3", source_kind="commit", source="c9", origin="",
            mdversion=2, eol=date(2030, 1, 1),
        )  # fmt: skip
        s.add(d)
        s.flush()
        s.add(ModuleDependency(definition_id=d.id, block=0, kind="requires",
                               module="nodejs", streams=["20"]))  # fmt: skip
    stats = render_site(session_factory, SETTINGS, full=False, output_dir=site, now=later)
    assert stats.mode == INCREMENTAL and stats.dirty >= 1
    assert load(site, "api/v1/streams/python/3.json")["requires"] == ["nodejs:20"]
    assert load(site, "api/v1/streams/nodejs/20.json")["dependants"] == [
        "perl:20",
        "python:3",
        "ruby:20",
    ]
    assert load(site, "api/v1/streams.json")["generated_at"] == later.isoformat()


def test_an_unrelated_change_leaves_the_stream_pages_alone(session_factory, site):
    later = NOW.replace(tzinfo=UTC) + timedelta(minutes=5)
    with session_factory.begin() as s:
        package = s.query(Package).filter_by(namespace="rpms", name="bash").one()
        mark_dirty(s, "package", package.id)  # as a consumer does with a package's change
    stats = render_site(session_factory, SETTINGS, full=False, output_dir=site, now=later)
    assert stats.mode == INCREMENTAL and stats.dirty == 1
    before = NOW.replace(tzinfo=UTC).isoformat()
    assert load(site, "api/v1/streams.json")["generated_at"] == before
    assert load(site, "api/v1/streams/nodejs/20.json")["generated_at"] == before


# -- bounded transitive answers on a deep graph -------------------------------------------


def _deep_site(count: int):
    """Each stream buildrequires the previous three: transitive answers grow with the graph."""
    nodes = [f"m{i:04d}:1" for i in range(count)]
    edges = [(nodes[i], "buildrequires", nodes[j]) for i in range(count)
             for j in range(max(0, i - 3), i)]  # fmt: skip
    data = StreamsGathered(graph=DepGraph.from_edges(edges, defined=nodes))
    return nodes, build_streams(data, now=NOW.replace(tzinfo=UTC))


def test_deep_graph_pages_are_bounded_with_counts_and_the_cli_named():
    nodes, site = _deep_site(JSON_LIMIT + 150)
    pages = {p.stream.ns: p for p in site.pages}
    top, bottom, small, mid = (pages[nodes[i]] for i in (-1, 0, 5, 600))
    assert top.transitive_counts.buildrequires == len(nodes) - 1
    assert top.buildrequires_transitive == tuple(sorted(nodes[:-1]))[:JSON_LIMIT]
    assert top.truncated and bottom.truncated and small.truncated  # 1,144 dependants
    assert not mid.truncated and len(mid.dependants_transitive) == len(nodes) - 601
    assert bottom.transitive_counts.dependants == len(nodes) - 1
    assert small.buildrequires_transitive == tuple(nodes[:5]) and small.transitive_counts == (
        TransitiveCounts(requires=0, buildrequires=5, dependants=len(nodes) - 6)
    )
    one = StreamsSite(site.index, (top, small, mid), site.hrefs)
    rendered = {str(p.path): p.content for p in stream_pages(environment(), one, nav=True)}
    document = json.loads(rendered[f"api/v1/streams/m{len(nodes) - 1:04d}/1.json"])
    _valid("stream.schema.json", document)
    assert len(document["buildrequires_transitive"]) == JSON_LIMIT and document["truncated"]
    assert document["transitive_counts"]["buildrequires"] == len(nodes) - 1
    html = rendered[f"streams/m{len(nodes) - 1:04d}/1.html"]
    section = html.split('id="h-buildrequires"')[1].split("</section>")[0]
    assert section.count("<li>") == 3 + HTML_LIMIT  # direct three, then the first HTML_LIMIT
    more = len(nodes) - 1 - HTML_LIMIT
    assert f"and {more} more: {len(nodes) - 1} in all" in section
    assert f"its JSON twin the first {JSON_LIMIT}" in section
    assert "conveyor deps buildrequires <bdi>m1149:1</bdi> --json" in section
    small_html = rendered["streams/m0005/1.html"]
    assert "more:" not in small_html.split('id="h-buildrequires"')[1].split("</section>")[0]
    _valid("stream.schema.json", json.loads(rendered["api/v1/streams/m0005/1.json"]))
    mid_json = json.loads(rendered["api/v1/streams/m0600/1.json"])
    assert not mid_json["truncated"] and len(mid_json["buildrequires_transitive"]) == 600
    mid_html = rendered["streams/m0600/1.html"].split('id="h-buildrequires"')[1]
    assert f"and {600 - HTML_LIMIT} more: 600 in all" in mid_html.split("</section>")[0]
    assert "its JSON twin the first" not in mid_html.split("</section>")[0]


def test_first_is_the_sorted_prefix():
    streams = frozenset(f"s:{i}" for i in range(50))
    assert first(streams, 7) == tuple(sorted(streams))[:7]
    assert first(streams, 80) == tuple(sorted(streams))


# -- which stream pages an incremental render writes ----------------------------------------


def _changed(session_factory, site: Path, dirty: list[DirtyRow]) -> set[str]:
    reader = Reader.of(session_factory)
    try:
        pages = changed_stream_pages(
            environment(), reader, SETTINGS, NOW.replace(tzinfo=UTC), nav=True, dirty=dirty,
            site=SiteDir(site),
        )  # fmt: skip
        return {str(p.path) for p in pages}
    finally:
        reader.close()


def _new_module_build(session_factory, name: str) -> int:
    with session_factory.begin() as s:
        build = ModuleBuild(name=name, stream="20", version=20250101000000, context="c0ffee00",
                            scmurl="git+https://src.example.org/x.git?#1", commit="1" * 40,
                            owner="alice", modulemd="document: modulemd", state="init")  # fmt: skip
        s.add(build)
        s.flush()
        return build.id


def test_a_new_module_build_rewrites_only_its_streams_page_and_the_index(session_factory, site):
    new = _new_module_build(session_factory, "perl")
    written = _changed(session_factory, site, [DirtyRow("module_build", new, 1)])
    assert written == {
        "streams/index.html", "api/v1/streams.json",
        "streams/perl/20.html", "api/v1/streams/perl/20.json",
    }  # fmt: skip
    assert _changed(session_factory, site, [DirtyRow("package", 1, 1)]) == set()
    both = [DirtyRow("module_build", new, 1), DirtyRow("stream", 1, 1)]  # a new definition
    everything = _changed(session_factory, site, both)
    assert {"streams/nodejs/20.html", "streams/ruby/20.html"} <= everything
    assert len(everything) == 2 * (1 + 3)  # the index and the three safe streams, twins too
