"""modulemd: the real corpus (MBS, ODCS, pdc-updater, libmodulemd) and ``load_stream``.

Every file under tests/data/modulemd/ has its expected verdict written out below, decided
by reading the file against the libmodulemd YAML specs that sit beside it.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from conveyor.errors import Invalid
from conveyor.modulemd import (
    Dependencies,
    ModulemdInvalid,
    ModuleStream,
    load_stream,
    validate_text,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "modulemd"

# The 48 streams of the real Fedora 29 modules.yaml, in file order, then its 7 defaults.
F29_STREAMS = [
    "testmodule:main",
    "stratis:main",
    "stratis:1",
    "scala:2.10",
    "ripgrep:main",
    "reviewboard:3.0",
    "reviewboard:2.5",
    "postgresql:9.6",
    "pki:10.6",
    "perl-bootstrap:5.26",
    "perl-bootstrap:5.24",
    "perl:5.26",
    "perl:5.24",
    "nodejs:8",
    "nodejs:10",
    "ninja:main",
    "mysql:5.7",
    "mongodb:3.6",
    "mongodb:3.4",
    "meson:main",
    "maven:3.5",
    "mariadb:10.1",
    "lizardfs:devel",
    "libgit2:0.27",
    "libgit2:0.26",
    "kubernetes:openshift-3.10",
    "kubernetes:1.10",
    "hub:pre-release",
    "golang-ecosystem:2018.0",
    "golang-ecosystem:2017.0",
    "golang:1.10",
    "gimp:2.10",
    "gcsf:main",
    "flatpak-runtime:f29",
    "eog:main",
    "dwm:latest",
    "dwm:6.1",
    "dwm:6.0",
    "docker:2017.0",
    "django:1.6",
    "cri-o:2018.0",
    "cri-o:2017.0",
    "cri-o:1.11",
    "container-tools:2018.0",
    "container-tools:2017.0",
    "avocado:stable",
    "avocado:latest",
    "ant:1.10",
]
F29_DEFAULTS = ["nodejs", "reviewboard", "ant", "dwm", "maven", "django", "stratis"]


def ok(label: str, kind: str = "stream") -> tuple[str, str, str, str]:
    return (label, kind, "OK", "")


# file -> one (label, kind, OK/INVALID/SKIP, substring of the reasons) per document.
# Files without data.name/data.stream (dist-git input: the repo and branch supply them)
# are labelled "document N".
EXPECTED: dict[str, list[tuple[str, str, str, str]]] = {
    "libmodulemd__modulemd__tests__test_data__f29.yaml": [
        *(ok(label) for label in F29_STREAMS),
        *((module, "defaults", "SKIP", "") for module in F29_DEFAULTS),
    ],
    # The spec files are complete examples of their format and validate as such.
    "libmodulemd__yaml_specs__modulemd_defaults_v1.yaml": [("foo", "defaults", "SKIP", "")],
    "libmodulemd__yaml_specs__modulemd_packager_v3.yaml": [ok("foo:latest", "packager")],
    "libmodulemd__yaml_specs__modulemd_stream_v1.yaml": [ok("foo:stream-name")],
    "libmodulemd__yaml_specs__modulemd_stream_v2.yaml": [ok("foo:latest")],
    "mbs__staged_data__build_metadata_module.yaml": [ok("build:product1.2")],
    "mbs__staged_data__formatted_python3-no-components.yaml": [ok("document 1")],
    "mbs__staged_data__formatted_testmodule.yaml": [ok("testmodule:master")],
    "mbs__staged_data__includedmodules.yaml": [ok("document 1")],
    "mbs__staged_data__local_builds__module-child-master-20170816080815__results__modules.yaml": [
        ok("child:master")
    ],
    "mbs__staged_data__local_builds__module-platform-f28-3__results__modules.yaml": [
        ok("platform:f28")
    ],
    "mbs__staged_data__local_builds__module-testmodule2-master-20170816093656__results__modules.yaml": [  # noqa: E501
        ok("testmodule2:master")
    ],
    "mbs__staged_data__python3-no-components.yaml": [ok("document 1")],
    "mbs__staged_data__shared-userspace-570.yaml": [ok("shared-userspace:f26")],
    "mbs__staged_data__shared-userspace-577.yaml": [ok("shared-userspace:f26")],
    "mbs__staged_data__static_context_v2.yaml": [ok("app:test")],
    "mbs__staged_data__testmodule-more-components.yaml": [ok("document 1")],
    # platform: [Go] is an odd stream but a valid one; "no base module" is MBS policy.
    "mbs__staged_data__testmodule-no-base-module.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule-no-deps.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule-version-set.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule-with-filters.yaml": [ok("document 1")],
    # Only wrong against a branch: see test_wrong_stream_is_only_wrong_against_a_branch.
    "mbs__staged_data__testmodule-wrong-stream.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule_dependencies.yaml": [ok("testmodule:master")],
    "mbs__staged_data__testmodule_el8.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule_el821.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule_init.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule_mse.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule_platform_f290000.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule_v2.yaml": [ok("document 1")],
    "mbs__staged_data__testmodule_v2_buildonly.yaml": [ok("document 1")],
    "mbs__staged_data__v3__mmd_packager.yaml": [ok("foo:master", "packager")],
    "mbs__test_common__test_models__data__base-runtime.yaml": [ok("base-runtime:master")],
    "mbs__test_common__test_models__data__testmodule.yaml": [ok("testmodule:master")],
    # A 2017 repo whose artifacts lack the epoch the specs make mandatory.
    "odcs__repodata__modules.yaml": [
        ("testmodule:master", "stream", "INVALID", "(the epoch is mandatory)")
    ],
    "pdc-updater__test_modules_data__modulemd.yaml": [ok("testmodule:master")],
}


def read(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def test_every_corpus_file_has_an_expected_verdict():
    on_disk = {p.name for p in CORPUS.iterdir() if p.name != "SOURCES.txt"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_verdicts(name):
    verdicts = validate_text(read(name))
    got = [
        (v.label, v.kind, "SKIP" if v.skipped else "OK" if v.ok else "INVALID") for v in verdicts
    ]
    assert got == [(label, kind, status) for label, kind, status, _ in EXPECTED[name]]
    for verdict, (_, _, status, fragment) in zip(verdicts, EXPECTED[name], strict=True):
        assert verdict.index == verdicts.index(verdict) + 1
        if status == "INVALID":
            assert fragment and fragment in "; ".join(verdict.reasons)
        else:
            assert verdict.reasons == ()


def test_odcs_artifacts_without_epoch_are_each_reported():
    (verdict,) = validate_text(read("odcs__repodata__modules.yaml"))
    assert len(verdict.reasons) == 5
    assert verdict.reasons[1] == (
        "data.artifacts.rpms[1]: 'ed-1.14.1-2.module_fd8ca23e.src' is not "
        "name-epoch:version-release.arch (the epoch is mandatory)"
    )


def test_wrong_stream_is_only_wrong_against_a_branch():
    text = read("mbs__staged_data__testmodule-wrong-stream.yaml")
    stream = load_stream(text, name="testmodule", stream="wrong_stream")
    assert (stream.name, stream.stream) == ("testmodule", "wrong_stream")
    with pytest.raises(ModulemdInvalid) as caught:
        load_stream(text, name="testmodule", stream="master")
    assert caught.value.reasons == [
        "data.stream: 'wrong_stream' does not match the branch name 'master'"
    ]
    (verdict,) = validate_text(text, name="testmodule", stream="master")
    assert not verdict.ok and verdict.label == "testmodule:wrong_stream"


def test_name_from_the_repository_must_match():
    text = read("mbs__test_common__test_models__data__testmodule.yaml")
    with pytest.raises(ModulemdInvalid) as caught:
        load_stream(text, name="othermodule", stream="master")
    assert caught.value.reasons == [
        "data.name: 'testmodule' does not match the repository name 'othermodule'"
    ]
    assert str(caught.value) == caught.value.reasons[0]
    assert isinstance(caught.value, Invalid)


def test_dist_git_file_gets_name_and_stream_from_repo_and_branch():
    stream = load_stream(read("mbs__staged_data__testmodule.yaml"), name="testmodule", stream="f28")
    assert isinstance(stream, ModuleStream)
    assert (stream.mdversion, stream.name, stream.stream) == (1, "testmodule", "f28")
    assert stream.version is None and stream.context is None
    assert stream.summary == "A test module in all its beautiful beauty"
    assert stream.module_licenses == ("MIT",)
    assert stream.dependencies == (Dependencies({"platform": ("f28",)}, {"platform": ("f28",)}),)
    assert stream.buildrequired_streams == {"platform": ("f28",)}
    assert [[c.name for c in batch] for batch in stream.batches()] == [
        ["perl-List-Compare", "perl-Tangerine"],
        ["tangerine"],
    ]
    tangerine = stream.batches()[1][0]
    assert (tangerine.buildorder, tangerine.ref, tangerine.repository) == (10, "master", None)
    assert stream.document["data"]["components"]["rpms"]["tangerine"]["buildorder"] == "10"
    assert "name" not in stream.document["data"]  # the stored document is what was parsed


def test_missing_name_without_repository_is_invalid():
    with pytest.raises(ModulemdInvalid) as caught:
        load_stream(read("mbs__staged_data__testmodule.yaml"))
    assert caught.value.reasons == [
        "data.name: missing, and no repository name was given to fill it in",
        "data.stream: missing, and no branch name was given to fill it in",
    ]


def test_strings_stay_strings_in_real_files():
    f29 = {
        v.label for v in validate_text(read("libmodulemd__modulemd__tests__test_data__f29.yaml"))
    }
    assert "scala:2.10" in f29 and "scala:2.1" not in f29
    meta = load_stream(read("mbs__staged_data__build_metadata_module.yaml"))
    assert meta.context == "00000000"  # YAML 1.1 would read an octal 0
    assert (meta.version, meta.stream) == (1, "product1.2")
    version_set = load_stream(
        read("mbs__staged_data__testmodule-version-set.yaml"), name="testmodule", stream="master"
    )
    assert version_set.version == 123456789  # digits with a leading zero: still decimal
    f290 = load_stream(
        read("mbs__staged_data__testmodule_platform_f290000.yaml"), name="t", stream="s"
    )
    assert f290.buildrequired_streams == {"platform": ("f29.0.0",)}


def test_v2_spec_example_parses_completely():
    stream = load_stream(read("libmodulemd__yaml_specs__modulemd_stream_v2.yaml"))
    assert (stream.mdversion, stream.version, stream.context) == (2, 20160927144203, "c0ffee43")
    assert stream.eol is None
    assert stream.servicelevels["rawhide"] == datetime.date(2077, 10, 23)
    assert set(stream.servicelevels) == {"rawhide", "stable_api", "bug_fixes", "security_fixes"}
    assert len(stream.dependencies) == 4
    assert stream.dependencies[0].buildrequires == {"platform": ("-f27", "-f28", "-epel7")}
    assert stream.dependencies[3].requires["extras"] == ()
    assert stream.buildrequired_streams == {
        "platform": ("-f27", "-f28", "-epel7", "f27", "f28", "epel7"),
        "buildtools": ("v1", "v2"),
        "compatible": ("v3",),
        "extras": (),
        "moreextras": ("foo", "bar"),
    }
    # baz has buildorder -1 (macros first), xyz 10, the others the default 0.
    assert [[c.name for c in b] for b in stream.batches()] == [["baz"], ["bar", "xxx"], ["xyz"]]
    xxx = next(c for c in stream.components if c.name == "xxx")
    assert xxx.arches == ("i686", "x86_64") and xxx.rationale.startswith("xxx demonstrates")
    assert stream.module_components == ("includedmodule",)


def test_v1_spec_example_eol_and_single_dependency_block():
    stream = load_stream(read("libmodulemd__yaml_specs__modulemd_stream_v1.yaml"))
    assert stream.eol == datetime.date(2077, 10, 23)
    assert stream.dependencies == (
        Dependencies(
            {"platform": ("and-its-stream-name",), "extra-build-env": ("and-its-stream-name-too",)},
            {"platform": ("and-its-stream-name",)},
        ),
    )


def test_many_batches_in_buildorder_order():
    stream = load_stream(read("mbs__staged_data__shared-userspace-570.yaml"))
    orders = [batch[0].buildorder for batch in stream.batches()]
    assert orders == sorted(set(orders)) and len(orders) > 5
    for batch in stream.batches():
        assert [c.name for c in batch] == sorted(c.name for c in batch)
        assert len({c.buildorder for c in batch}) == 1
    assert sum(len(b) for b in stream.batches()) == len(stream.components)


def test_module_components_are_listed_apart():
    stream = load_stream(read("mbs__staged_data__includedmodules.yaml"), name="m", stream="s")
    assert stream.module_components == ("fakemodule",)
    assert sorted(c.name for c in stream.components) == ["file", "foo"]


def test_packager_v3_seen_as_a_stream():
    stream = load_stream(read("mbs__staged_data__v3__mmd_packager.yaml"))
    assert (stream.mdversion, stream.name, stream.stream) == (3, "foo", "master")
    assert stream.module_licenses == ("MIT",)
    assert stream.dependencies == (
        Dependencies({"platform": ("f28",)}, {"nginx": ("1",), "platform": ("f28",)}),
        Dependencies({"platform": ("f29",)}, {"platform": ("f29",)}),
    )
    assert stream.buildrequired_streams == {"platform": ("f28", "f29")}
    spec = load_stream(read("libmodulemd__yaml_specs__modulemd_packager_v3.yaml"))
    assert [[c.name for c in b] for b in spec.batches()] == [["bar", "baz"], ["xxx"]]


def test_repodata_file_is_not_one_stream():
    with pytest.raises(ModulemdInvalid) as caught:
        load_stream(read("libmodulemd__modulemd__tests__test_data__f29.yaml"))
    reasons = caught.value.reasons
    assert len(reasons) == 54  # 47 extra streams and 7 defaults documents
    assert reasons[0] == "stratis:main: a second module stream document; one is expected"
    assert reasons[-1].startswith("stratis: a defaults document does not belong here")


def test_defaults_alone_is_not_a_stream():
    with pytest.raises(ModulemdInvalid) as caught:
        load_stream(read("libmodulemd__yaml_specs__modulemd_defaults_v1.yaml"))
    assert caught.value.reasons == [
        "foo: a defaults document does not belong here; "
        "the file must hold exactly one module stream document"
    ]
