"""DepGraph on small graphs: stream expansion, exclusions, v1 and v2, cycles, string streams."""

from __future__ import annotations

import pytest

from conveyor.deps import DepGraph, StreamDefinition, UnknownModuleStream
from conveyor.deps.definition import Dependency, from_module_streams
from conveyor.deps.load import LoadReport, definitions, split_documents
from conveyor.modulemd import load_stream


def v2(name: str, stream: str, blocks: str = "", components: str = "", extra: str = "") -> str:
    """A minimal valid modulemd v2 document; ``blocks`` is the YAML of data.dependencies."""
    deps = f"  dependencies:\n{blocks}" if blocks else ""
    comps = f"  components:\n    rpms:\n{components}" if components else ""
    return (
        "---\ndocument: modulemd\nversion: 2\ndata:\n"
        f"  name: {name}\n  stream: {stream}\n  summary: s\n  description: d\n"
        f"  license:\n    module: [MIT]\n{extra}{deps}{comps}"
    )


def graph(*texts: str) -> DepGraph:
    return DepGraph.from_definitions(from_module_streams([load_stream(t)]) for t in texts)


def test_stream_strings_keep_their_trailing_zero():
    g = graph(
        v2("perl", "5.30"),
        v2("perl", "5.3"),
        v2("app", "1", "  - requires:\n      perl: [5.30]\n"),
    )
    assert g.streams_of("perl") == ("5.3", "5.30")
    assert g.requires("app:1") == {"perl:5.30"}
    assert g.dependants("perl:5.3") == frozenset()


def test_empty_stream_list_means_every_known_stream():
    g = graph(
        v2("nodejs", "8"),
        v2("nodejs", "10"),
        v2("app", "1", "  - buildrequires:\n      nodejs: []\n"),
        # a stream only named by a dependency is known too
        v2("tool", "1", "  - requires:\n      nodejs: [12]\n"),
    )
    assert g.buildrequires("app:1", direct=True) == {"nodejs:8", "nodejs:10", "nodejs:12"}
    assert g.buildrequired_by("nodejs:12") == {"app:1"}
    assert g.dependants("nodejs:12") == {"app:1", "tool:1"}


def test_any_stream_of_an_unknown_module_is_reported_unresolved():
    g = graph(
        v2("app", "1", "  - requires:\n      ghost: []\n      platform: [f29]\n"),
        v2("lone", "1", "  - requires:\n      lone: [-1]\n"),
    )
    assert g.requires("app:1") == {"platform:f29"}
    assert g.unresolved("app:1") == {"ghost"}
    assert g.unresolved("lone:1") == {"lone"}  # its only known stream is excluded
    assert g.unresolved("platform:f29") == frozenset()


def test_excluded_streams_are_every_known_stream_but_those():
    g = graph(
        v2("platform", "f28"),
        v2("platform", "f29"),
        v2("platform", "f30"),
        v2("app", "1", "  - buildrequires:\n      platform: [-f28, -f30]\n"),
    )
    assert g.buildrequires("app:1") == {"platform:f29"}


def test_undefined_dependency_is_a_node_and_unknown_stream_is_an_error():
    g = graph(v2("app", "1", "  - buildrequires:\n      platform: [f29]\n"))
    assert "platform:f29" in g and not g.is_defined("platform:f29")
    assert g.requires("platform:f29") == frozenset()
    assert g.dependants("platform:f29") == {"app:1"}
    with pytest.raises(UnknownModuleStream):
        g.requires("platform:f30")
    assert g.buildrequired_by("nothing:here") == frozenset()


def test_alternative_blocks_are_united():
    blocks = (
        "  - buildrequires:\n      platform: [f29]\n    requires:\n      platform: [f29]\n"
        "  - buildrequires:\n      platform: [f30]\n    requires:\n      python: [3]\n"
    )
    g = graph(v2("app", "1", blocks))
    assert g.buildrequires("app:1") == {"platform:f29", "platform:f30"}
    assert g.requires("app:1") == {"platform:f29", "python:3"}


def test_v1_plain_mapping_and_eol():
    text = (
        "document: modulemd\nversion: 1\ndata:\n  name: old\n  stream: '1.10'\n"
        "  summary: s\n  description: d\n  eol: 2019-06-01\n  license:\n    module: [MIT]\n"
        "  dependencies:\n    buildrequires:\n      base-runtime: '1.0'\n"
        "    requires:\n      python3: 3.10\n"
        "  components:\n    rpms:\n      bash:\n        rationale: r\n"
    )
    g = graph(text)
    assert g.buildrequires("old:1.10") == {"base-runtime:1.0"}
    assert g.requires("old:1.10") == {"python3:3.10"}  # not the float 3.1
    assert str(g.eol("old:1.10")) == "2019-06-01"
    assert g.including("bash") == {"old:1.10": "master"}  # no ref: the default branch


def test_servicelevels_and_component_refs():
    extra = (
        "  servicelevels:\n    rawhide:\n      eol: 2026-12-01\n"
        "    bug_fixes:\n      eol: 2025-06-01\n"
    )
    comps = (
        "      perl:\n        rationale: r\n        ref: f29\n      bash:\n        rationale: r\n"
    )
    g = DepGraph.from_definitions(
        [from_module_streams([load_stream(v2("perl", "5.26", "", comps, extra))])],
        default_ref="rawhide",
    )
    assert g.servicelevels("perl:5.26") == {"rawhide": "2026-12-01", "bug_fixes": "2025-06-01"}
    assert str(g.eol("perl:5.26")) == "2026-12-01"
    assert g.components("perl:5.26") == {"perl": "f29", "bash": "rawhide"}
    assert g.including("perl") == {"perl:5.26": "f29"}
    assert g.including("zsh") == {}


def test_transitive_queries_follow_their_own_edges():
    g = graph(
        v2("a", "1", "  - buildrequires:\n      b: [1]\n    requires:\n      c: [1]\n"),
        v2("b", "1", "  - buildrequires:\n      d: [1]\n    requires:\n      e: [1]\n"),
        v2("c", "1", "  - requires:\n      f: [1]\n"),
    )
    assert g.buildrequires("a:1") == {"b:1", "d:1"}
    assert g.buildrequires("a:1", direct=True) == {"b:1"}
    assert g.requires("a:1") == {"c:1", "f:1"}
    assert g.dependants("f:1") == {"c:1", "a:1"}
    assert g.dependants("d:1") == {"b:1", "a:1"}
    assert g.dependants("d:1", direct=True) == {"b:1"}


def test_cycles_terminate_and_are_reported():
    g = graph(
        v2("a", "1", "  - buildrequires:\n      b: [1]\n"),
        v2("b", "1", "  - requires:\n      c: [1]\n"),
        v2("c", "1", "  - buildrequires:\n      a: [1]\n"),
        v2("self", "1", "  - buildrequires:\n      self: []\n"),
        v2("free", "1", "  - buildrequires:\n      a: [1]\n"),
    )
    assert g.dependants("a:1") == {"b:1", "c:1", "free:1"}  # a itself is left out
    assert g.buildrequires("a:1") == {"b:1"}
    assert g.cycles() == [["a:1", "b:1", "c:1"], ["self:1"]]


def test_long_chain_has_no_recursion_limit():
    edges = [(f"m{i}:1", "buildrequires", f"m{i + 1}:1") for i in range(5000)]
    edges.append(("m5000:1", "requires", "m0:1"))
    g = DepGraph.from_edges(edges)
    assert len(g.buildrequires("m0:1")) == 5000
    assert len(g.cycles()) == 1 and len(g.cycles()[0]) == 5001


def test_from_edges_rejects_unknown_kinds_and_bad_names():
    with pytest.raises(ValueError, match="edge kind"):
        DepGraph.from_edges([("a:1", "suggests", "b:1")])
    with pytest.raises(UnknownModuleStream):
        DepGraph.from_edges([("a", "requires", "b:1")])


def test_plain_definitions_need_no_modulemd():
    g = DepGraph.from_definitions(
        [StreamDefinition("x", "1", dependencies=(Dependency("requires", "y", ("-2",)),))]
        + [StreamDefinition("y", s) for s in ("1", "2", "3")]
    )
    assert g.requires("x:1") == {"y:1", "y:3"}


def test_repository_file_contexts_merge_and_other_documents_are_skipped():
    text = (
        v2("app", "1", "  - buildrequires:\n      platform: [f29]\n", extra="  context: aaa\n")
        + v2("app", "1", "  - buildrequires:\n      platform: [f30]\n", extra="  context: bbb\n")
        + "---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: app\n  stream: '1'\n"
        + "...\n"
    )
    assert len(list(split_documents(text))) == 3
    report = LoadReport()
    found = definitions(text, "repo.yaml", report)
    assert report.skipped == 1 and report.invalid == []
    ((definition, digest),) = found
    assert digest.startswith("sha256:")
    assert [(d.block, d.streams) for d in definition.dependencies] == [(0, ("f29",)), (1, ("f30",))]
    assert DepGraph.from_definitions([definition]).buildrequires("app:1") == {
        "platform:f29", "platform:f30",
    }  # fmt: skip


def test_invalid_documents_are_reported_not_loaded():
    report = LoadReport()
    found = definitions(
        v2("ok", "1") + "---\ndocument: modulemd\nversion: 2\ndata: {}\n", "f", report
    )
    assert [d.ns for d, _ in found] == ["ok:1"]
    assert len(report.invalid) == 1 and report.invalid[0].startswith("f: document 2: ")
