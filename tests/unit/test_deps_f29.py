"""The real Fedora 29 module metadata as the test graph.

Every expected answer below was read from
tests/data/modulemd/libmodulemd__modulemd__tests__test_data__f29.yaml (line numbers
of that file in the comments), not computed by the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.deps import DepGraph
from conveyor.deps.load import LoadReport, definitions, load_text

F29 = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "modulemd"
    / "libmodulemd__modulemd__tests__test_data__f29.yaml"
)


@pytest.fixture(scope="module")
def loaded() -> tuple[DepGraph, LoadReport]:
    report = LoadReport()
    found = definitions(F29.read_text(encoding="utf-8"), "f29", report)
    return DepGraph.from_definitions([d for d, _ in found], default_ref="rawhide"), report


@pytest.fixture(scope="module")
def f29(loaded) -> DepGraph:
    return loaded[0]


def test_every_stream_document_is_loaded_and_the_defaults_skipped(loaded):
    graph, report = loaded
    # 55 documents: 48 "document: modulemd" (one per name:stream) and 7 modulemd-defaults.
    assert report.skipped == 7 and report.invalid == []
    assert sum(graph.is_defined(ns) for ns in graph.nodes) == 48
    # platform is never defined, only depended upon (f29 by most, f30 by stratis:1).
    assert graph.streams_of("platform") == ("f29", "f30")
    assert not graph.is_defined("platform:f29")


def test_streams_stay_strings(f29):
    # reviewboard streams 3.0 and 2.5 (lines 443, 614); golang-ecosystem 2018.0 / 2017.0.
    assert f29.streams_of("reviewboard") == ("2.5", "3.0")
    assert f29.streams_of("golang-ecosystem") == ("2017.0", "2018.0")
    assert "reviewboard:3" not in f29


def test_direct_dependencies_of_reviewboard(f29):
    # lines 501-507: buildrequires and requires django [1.6] and platform [f29]
    assert f29.buildrequires("reviewboard:3.0", direct=True) == {"django:1.6", "platform:f29"}
    assert f29.requires("reviewboard:3.0", direct=True) == {"django:1.6", "platform:f29"}


def test_transitive_buildrequires_of_eog(f29):
    # eog:main buildrequires flatpak-runtime [f29] (lines 11918-11920), which buildrequires
    # platform [f29]; eog itself names no platform.
    assert f29.buildrequires("eog:main", direct=True) == {"flatpak-runtime:f29"}
    assert f29.buildrequires("eog:main") == {"flatpak-runtime:f29", "platform:f29"}


def test_empty_stream_list_expands_to_every_known_platform(f29):
    # scala:2.10 "requires: platform: []" (lines 265-266): any known platform stream.
    assert f29.requires("scala:2.10") == {"platform:f29", "platform:f30"}
    # meson:main requires ninja [] (line 7562): ninja has one stream, main.
    assert f29.requires("meson:main") == {"ninja:main", "platform:f29"}


def test_dependants_of_container_tools(f29):
    # docker:2017.0, cri-o:2018.0 and cri-o:2017.0 require container-tools [2017.0].
    expected = {"docker:2017.0", "cri-o:2018.0", "cri-o:2017.0"}
    assert f29.dependants("container-tools:2017.0") == expected
    assert f29.dependants("container-tools:2018.0") == frozenset()


def test_transitive_dependants_of_flatpak_runtime_and_django(f29):
    assert f29.dependants("flatpak-runtime:f29") == {"eog:main"}
    assert f29.dependants("django:1.6") == {"reviewboard:3.0", "reviewboard:2.5"}
    assert f29.buildrequired_by("django:1.6") == {"reviewboard:3.0", "reviewboard:2.5"}
    # every defined stream but eog (which reaches platform only through flatpak-runtime)
    # depends on platform:f29 directly; all of them reach it.
    assert f29.dependants("platform:f29") == {ns for ns in f29.nodes if f29.is_defined(ns)}
    assert "eog:main" not in f29.dependants("platform:f29", direct=True)


def test_which_streams_include_an_rpm_and_at_which_ref(f29):
    # rpms/perl: ref f28 in perl:5.26 and perl-bootstrap:5.26, f26 in the 5.24 streams.
    assert f29.including("perl") == {
        "perl:5.26": "f28", "perl-bootstrap:5.26": "f28",
        "perl:5.24": "f26", "perl-bootstrap:5.24": "f26",
    }  # fmt: skip
    # python-django-evolution at ref "0.7" (a string) in both reviewboard streams
    assert f29.including("python-django-evolution") == {
        "reviewboard:3.0": "0.7", "reviewboard:2.5": "0.7",
    }  # fmt: skip
    assert f29.including("ninja-build") == {"ninja:main": "main"}


def test_no_cycles_and_no_eol_in_f29(f29):
    assert f29.cycles() == []
    assert f29.eol("perl:5.26") is None and f29.servicelevels("perl:5.26") == {}


def test_the_database_graph_answers_the_same(session_factory, f29):
    report = LoadReport()
    with session_factory.begin() as session:
        load_text(session, F29.read_text(encoding="utf-8"), origin="f29", report=report)
    assert len(report.recorded) == 48
    with session_factory() as session:
        stored = DepGraph.load(session, default_ref="rawhide")
    assert stored.nodes == f29.nodes
    for ns in sorted(f29.nodes):
        assert stored.requires(ns) == f29.requires(ns), ns
        assert stored.buildrequires(ns) == f29.buildrequires(ns), ns
        assert stored.dependants(ns) == f29.dependants(ns), ns
    assert stored.including("perl") == f29.including("perl")
