"""modulemd: each strictness rule on small synthetic documents, and robustness on garbage."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import pytest
import yaml

from conveyor.modulemd import ModulemdInvalid, load_stream, validate_text

CORPUS = Path(__file__).resolve().parents[1] / "data" / "modulemd"

BASE_V2 = {
    "document": "modulemd",
    "version": 2,
    "data": {
        "name": "foo",
        "stream": "main",
        "summary": "An example",
        "description": "A longer example.",
        "license": {"module": ["MIT"]},
    },
}


def v2(**data) -> str:
    """A valid v2 document with ``data`` keys replaced (None deletes the key)."""
    doc = copy.deepcopy(BASE_V2)
    for key, value in data.items():
        if value is None:
            doc["data"].pop(key, None)
        else:
            doc["data"][key] = value
    return yaml.safe_dump(doc, sort_keys=False)


def reasons_of(text: str, **kwargs) -> list[str]:
    with pytest.raises(ModulemdInvalid) as caught:
        load_stream(text, **kwargs)
    assert str(caught.value) == "; ".join(caught.value.reasons)
    return caught.value.reasons


def raw(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def test_base_document_is_valid():
    stream = load_stream(v2())
    assert (stream.name, stream.stream, stream.components) == ("foo", "main", ())


@pytest.mark.parametrize(
    ("written", "expected"),
    [("5.30", "5.30"), ("5.3", "5.3"), ("10", "10"), ("1e3", "1e3"), ("true", "true")],
)
def test_stream_is_kept_as_written(written, expected):
    text = raw(f"""
        document: modulemd
        version: 2
        data:
          name: perl
          stream: {written}
          summary: s
          description: d
          license: {{module: [MIT]}}
          dependencies:
            - buildrequires: {{perl: [{written}]}}
        """)
    stream = load_stream(text)
    assert stream.stream == expected
    assert stream.buildrequired_streams == {"perl": (expected,)}
    assert [v.label for v in validate_text(text)] == [f"perl:{expected}"]


def test_v1_dependency_stream_is_kept_as_written():
    text = raw("""
        document: modulemd
        version: 1
        data: {summary: s, description: d, license: {module: [MIT]},
               dependencies: {buildrequires: {perl: 5.30}, requires: {perl: 5.30}}}
        """)
    stream = load_stream(text, name="m", stream="s")
    assert stream.dependencies[0].requires == {"perl": ("5.30",)}


def test_integers_only_where_the_spec_says_integer():
    text = v2(version="20180101.5")
    assert reasons_of(text) == ["data.version: must be an integer, not '20180101.5'"]
    assert reasons_of(v2(version="-1")) == [
        "data.version: -1 is out of range [0, 18446744073709551615]"
    ]
    component = {"foo": {"rationale": "r", "buildorder": "ten"}}
    assert reasons_of(v2(components={"rpms": component})) == [
        "data.components.rpms.foo.buildorder: must be an integer, not 'ten'"
    ]
    assert load_stream(v2(version="20180101000000")).version == 20180101000000


def test_unknown_fields_are_named_with_a_hint():
    text = v2(
        licence={"module": ["MIT"]},
        components={"rpms": {"foo": {"rationale": "r", "ref": "x", "refs": "y"}}},
    )
    assert reasons_of(text) == [
        "data.licence: unknown field; did you mean 'license'?",
        "data.components.rpms.foo.refs: unknown field; did you mean 'ref'?",
    ]
    top = v2() + "extra: 1\n"
    assert reasons_of(top) == ["extra: unknown field"]


def test_fields_of_another_version_are_unknown():
    assert reasons_of(v2(eol="2077-10-23")) == ["data.eol: unknown field"]
    v1_with_v2_keys = v2(demodularized={"rpms": ["x"]}).replace("version: 2", "version: 1")
    assert reasons_of(v1_with_v2_keys) == ["data.demodularized: unknown field"]
    buildafter_v1 = v2(components={"rpms": {"a": {"rationale": "r", "buildafter": ["b"]}}})
    assert reasons_of(buildafter_v1.replace("version: 2", "version: 1")) == [
        "data.components.rpms.a.buildafter: unknown field; did you mean 'buildorder'?"
    ]


def test_missing_mandatory_fields_are_all_reported():
    text = v2(summary=None, description=None, license={"content": ["GPL"]})
    assert reasons_of(text) == [
        "data.summary: missing (mandatory)",
        "data.description: missing (mandatory)",
        "data.license.module: missing (mandatory)",
    ]
    assert reasons_of(v2(license={"module": []})) == [
        "data.license.module: must list at least one entry"
    ]
    assert reasons_of("document: modulemd\n") == [
        "version: missing (mandatory)",
        "data: missing (mandatory)",
    ]
    no_rationale = v2(components={"rpms": {"a": {"ref": "main"}}, "modules": {"m": {}}})
    assert reasons_of(no_rationale) == [
        "data.components.rpms.a.rationale: missing (mandatory)",
        "data.components.modules.m.rationale: missing (mandatory)",
    ]


def test_wrong_types_name_the_path():
    text = v2(
        summary=["a", "b"],
        components={"rpms": {"foo": {"rationale": "r", "ref": ["main"], "buildonly": "yes"}}},
        profiles={"default": {"rpms": "foo"}},
        xmd="nothing",
    )
    assert reasons_of(text) == [
        "data.summary: must be a string, not a list",
        "data.xmd: must be a mapping, not the string 'nothing'",
        "data.profiles.default.rpms: must be a list, not the string 'foo'",
        "data.components.rpms.foo.ref: must be a string, not a list",
        "data.components.rpms.foo.buildonly: must be true or false, not 'yes'",
    ]
    assert reasons_of(v2(servicelevels={"rawhide": {"eol": "2077-13-01"}})) == [
        "data.servicelevels.rawhide.eol: '2077-13-01' is not a date (YYYY-MM-DD)"
    ]


def test_invalid_names():
    text = v2(
        name="foo bar",
        stream="a:b",
        components={"rpms": {"-x": {"rationale": "r"}}},
        dependencies=[{"requires": {"plat/form": ["f28"]}}],
    )
    assert reasons_of(text) == [
        "data.name: 'foo bar' is not a valid module name (letters, digits and - . _ + only)",
        "data.stream: 'a:b' is not a valid stream name (letters, digits and - . _ + only)",
        "data.dependencies[0].requires.plat/form: 'plat/form' is not a valid module name "
        "(letters, digits and - . _ + only)",
        "data.components.rpms.-x: '-x' is not a valid component name (an rpm package name) "
        "(letters, digits and - . _ + only)",
    ]


def test_duplicate_components_and_keys():
    text = raw("""
        document: modulemd
        version: 2
        data:
          summary: s
          description: d
          license: {module: [MIT]}
          xmd: {a: {b: 1, b: 2}}
          components:
            rpms:
              foo: {rationale: first}
              bar: {rationale: other}
              foo: {rationale: second}
        """)
    assert reasons_of(text, name="m", stream="s") == [
        "data.components.rpms: duplicate key 'foo' on line 12 (each key may appear once)",
        "line 7: duplicate key 'b' (YAML keys must be unique)",
    ]
    dup_list = v2(api={"rpms": ["a", "b", "a"]})
    assert reasons_of(dup_list) == ["data.api.rpms: lists 'a' more than once"]


def test_buildafter_computes_batches():
    rpms = {
        "base": {"rationale": "r"},
        "macros": {"rationale": "r"},
        "lib": {"rationale": "r", "buildafter": ["base", "macros"]},
        "app": {"rationale": "r", "buildafter": ["lib"]},
        "docs": {"rationale": "r", "buildafter": ["base"]},
        "tool": {"rationale": "r", "buildafter": ["app", "base"]},
    }
    stream = load_stream(v2(components={"rpms": rpms}))
    assert [[c.name for c in b] for b in stream.batches()] == [
        ["base", "macros"],
        ["docs", "lib"],
        ["app"],
        ["tool"],
    ]
    assert next(c for c in stream.components if c.name == "tool").buildafter == ("app", "base")


def test_buildafter_long_chain_does_not_recurse():
    rpms = {f"p{i}": {"rationale": "r", "buildafter": [f"p{i - 1}"]} for i in range(1, 3000)}
    rpms["p0"] = {"rationale": "r"}
    stream = load_stream(v2(components={"rpms": rpms}))
    assert len(stream.batches()) == 3000
    assert stream.batches()[-1][0].name == "p2999"


def test_buildafter_problems():
    cycle = {
        "a": {"rationale": "r", "buildafter": ["c"]},
        "b": {"rationale": "r", "buildafter": ["a"]},
        "c": {"rationale": "r", "buildafter": ["b"]},
        "d": {"rationale": "r"},
    }
    assert reasons_of(v2(components={"rpms": cycle})) == [
        "data.components.rpms: buildafter forms a cycle: a -> c -> b -> a"
    ]
    unknown = {"a": {"rationale": "r", "buildafter": ["a", "zz"]}}
    assert reasons_of(v2(components={"rpms": unknown})) == [
        "data.components.rpms.a.buildafter: a component cannot build after itself",
        "data.components.rpms.a.buildafter: 'zz' is not a key of data.components.rpms",
    ]


def test_buildafter_and_buildorder_must_not_be_mixed():
    rpms = {
        "a": {"rationale": "r", "buildorder": 0},
        "b": {"rationale": "r", "buildafter": ["a"]},
    }
    assert reasons_of(v2(components={"rpms": rpms})) == [
        "data.components: buildorder (used by a) and buildafter (used by b) must not be mixed "
        "in one document; use one or the other"
    ]
    modules = {"m": {"rationale": "r", "buildorder": 5}}
    only_rpms = {
        "b": {"rationale": "r", "buildafter": []},
        "c": {"rationale": "r", "buildafter": ["b"]},
    }
    assert (
        "buildorder (used by m)"
        in reasons_of(v2(components={"rpms": only_rpms, "modules": modules}))[0]
    )


def test_v2_dependency_rules():
    mixed = v2(dependencies=[{"buildrequires": {"platform": ["-f27", "f28"]}}])
    assert reasons_of(mixed) == [
        "data.dependencies[0].buildrequires.platform: mixes required and excluded ('-') "
        "streams; list either the streams to use or the streams to avoid"
    ]
    v1_shape = v2(dependencies={"buildrequires": {"platform": ["f28"]}})
    assert reasons_of(v1_shape) == [
        "data.dependencies: must be a list of dependency blocks (buildrequires/requires)"
    ]
    single = v2(dependencies=[{"requires": {"platform": "f28"}}])
    assert reasons_of(single) == [
        "data.dependencies[0].requires.platform: must be a list, not the string 'f28'"
    ]


def test_component_arches_must_fit_the_module_arches():
    text = v2(
        buildopts={"arches": ["x86_64"]},
        components={"rpms": {"a": {"rationale": "r", "arches": ["x86_64", "s390x"]}}},
    )
    assert reasons_of(text) == [
        "data.components.rpms.a.arches: s390x not in data.buildopts.arches; "
        "a component can only narrow the module's architectures"
    ]


def test_context_rules():
    assert reasons_of(v2(static_context="true")) == [
        "data.context: missing (mandatory when static_context is true)"
    ]
    assert reasons_of(v2(context="x" * 14)) == [
        f"data.context: '{'x' * 14}' is not a valid context (1-13 of A-Z a-z 0-9 _)"
    ]
    assert load_stream(v2(static_context="true", context="CTX_1")).context == "CTX_1"


def test_rpm_map_must_agree_with_the_artifacts():
    entry = {"name": "bar", "epoch": 0, "version": "1", "release": "2", "arch": "x86_64"}
    artifacts = {
        "rpms": ["bar-0:1-2.x86_64"],
        "rpm-map": {"sha256": {"abc": {**entry, "nevra": "bar-0:1-3.x86_64"}}},
    }
    assert reasons_of(v2(artifacts=artifacts)) == [
        "data.artifacts.rpm-map.sha256.abc.nevra: 'bar-0:1-3.x86_64' does not match its "
        "fields ('bar-0:1-2.x86_64')",
        "data.artifacts.rpm-map.sha256.abc.nevra: 'bar-0:1-3.x86_64' is not listed in "
        "data.artifacts.rpms",
    ]


def test_packager_v3_rules():
    text = raw("""
        document: modulemd-packager
        version: 3
        data:
          summary: s
          description: d
          configurations:
            - context: CTX1
              platform: f38
              buildrequires: {platform: [f38], app: [v1, v2]}
            - context: CTX1
        """)
    assert reasons_of(text, name="m", stream="s") == [
        "data.configurations[0].buildrequires.platform: give the platform in the "
        "configuration's 'platform' field instead",
        "data.configurations[0].buildrequires.app: must be a list of exactly one stream "
        "(one stream per configuration)",
        "data.configurations[1].platform: missing (mandatory)",
        "data.configurations[1].context: 'CTX1' is used by another configuration",
    ]
    no_configurations = (
        "document: modulemd-packager\nversion: 3\ndata: {summary: s, description: d}\n"
    )
    assert reasons_of(no_configurations) == ["data.configurations: missing (mandatory)"]


def test_unsupported_versions_and_documents():
    assert reasons_of(v2().replace("version: 2", "version: 3")) == [
        "version: modulemd version 3 is not supported (1 or 2)"
    ]
    (verdict,) = validate_text("document: modulemd-stream\nversion: 3\ndata: {}\n")
    assert verdict.kind == "unknown" and not verdict.ok
    assert verdict.reasons[0].startswith("document: 'modulemd-stream' is not a modulemd document")


def test_yaml_syntax_errors_carry_line_numbers():
    text = "document: modulemd\nversion: 2\ndata:\n  summary: s\n description: d\n"
    reasons = reasons_of(text)
    assert len(reasons) == 1
    assert reasons[0].startswith("line 5, column 2: YAML syntax error:")


def test_aliases_and_tags_are_refused():
    text = v2(summary="x").replace("summary: x", "summary: &s x\n  x-summary: *s")
    assert reasons_of(text) == [
        "line 6: this value is reused through a YAML alias (*name); aliases are not allowed "
        "in modulemd, write the value out",
        "data.x-summary: unknown field; did you mean 'summary'?",
    ]
    tagged = v2().replace("summary: An example", "summary: !python/object x")
    assert reasons_of(tagged) == ["line 6: YAML tag '!python/object' is not allowed in modulemd"]


def test_multi_document_text():
    text = raw("""
        document: modulemd-defaults
        version: 1
        data: {module: foo, stream: main}
        ---
        document: modulemd-translations
        version: 1
        data: {module: foo, stream: main, modified: 201901010000}
        ---
        document: modulemd
        version: 2
        data: {name: foo, stream: main, summary: s, description: d, license: {module: []}}
        ---
        document: modulemd-obsoletes
        version: 1
        data: {module: foo}
        ---
        document: modulemd
        version: 2
        data: [
        """)
    verdicts = validate_text(text)
    assert [(v.index, v.kind, v.label, v.skipped, v.ok) for v in verdicts] == [
        (1, "defaults", "foo", True, True),
        (2, "translations", "foo:main", True, True),
        (3, "stream", "foo:main", False, False),
        (4, "obsoletes", "foo", True, True),
        (5, "unknown", "document 5", False, False),
    ]
    assert verdicts[2].reasons == ("data.license.module: must list at least one entry",)
    assert verdicts[4].reasons[0].startswith("line 20, column 1: YAML syntax error")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "# only a comment\n",
        "---\n...\n",
        "[1, 2]",
        "just text",
        "\x00",
        "a: *unknown",
        "x: &a [*a]",
        "? [a]\n: b\n",
        "document: modulemd\nversion: 2\ndata: [1]\n",
        "document: [modulemd]\nversion: {}\ndata: x\n",
        "document: modulemd\nversion: 99999999999999999999999\ndata: {}\n",
        "[" * 5000 + "]" * 5000,
        b"\xff\xfe document",
    ],
)
def test_garbage_only_ever_raises_modulemd_invalid(garbage):
    with pytest.raises(ModulemdInvalid) as caught:
        load_stream(garbage)  # type: ignore[arg-type]
    assert caught.value.reasons and all(isinstance(r, str) for r in caught.value.reasons)
    verdicts = validate_text(garbage)  # type: ignore[arg-type]
    assert verdicts and not all(v.ok for v in verdicts)


def test_truncated_files_never_crash():
    text = (CORPUS / "libmodulemd__yaml_specs__modulemd_stream_v2.yaml").read_text()
    outcomes = set()
    for end in [*range(0, len(text), 97), len(text)]:
        try:
            load_stream(text[:end])
            outcomes.add("ok")
        except ModulemdInvalid:
            outcomes.add("invalid")
    # Cuts before the mandatory license are invalid, some later cuts are complete documents.
    assert outcomes == {"ok", "invalid"}
