"""conveyor.pdc.diff and desired: what PDC should hold, and only the difference is sent."""

from __future__ import annotations

from pathlib import Path

from conveyor.deps.definition import from_module_streams
from conveyor.modulemd import load_stream
from conveyor.pdc.desired import dependency_targets, relationships_of
from conveyor.pdc.diff import diff
from conveyor.pdc.facts import PdcState, Relationship

MODULEMD = Path(__file__).resolve().parents[1] / "data" / "modulemd"
RELEASE = "fedora-29"


def _definition(filename: str):
    stream = load_stream((MODULEMD / filename).read_text(encoding="utf-8"))
    return from_module_streams([stream])


def _relationships(*filenames: str) -> frozenset[Relationship]:
    definitions = [_definition(f) for f in filenames]
    return relationships_of(definitions, RELEASE)


def test_relationships_of_a_real_modulemd():
    rels = _relationships("mbs__staged_data__formatted_testmodule.yaml")
    assert {(r.type, r.from_name, r.to_name) for r in rels} == {
        ("ModuleBuildRequires", "testmodule:master", "platform:f28"),
        ("ModuleRequires", "testmodule:master", "platform:f28"),
        ("ModuleIncludesRPM", "testmodule:master", "perl-List-Compare"),
        ("ModuleIncludesRPM", "testmodule:master", "perl-Tangerine"),
        ("ModuleIncludesRPM", "testmodule:master", "tangerine"),
    }
    assert {r.release for r in rels} == {RELEASE}


def test_stream_lists_become_components_any_stream_names_the_module():
    assert dependency_targets("platform", ["f29", "f28"]) == ["platform:f28", "platform:f29"]
    assert dependency_targets("platform", []) == ["platform"]
    assert dependency_targets("platform", ["-f27"]) == ["platform"]


def test_nothing_to_send_when_pdc_already_agrees():
    rels = _relationships("mbs__staged_data__formatted_testmodule.yaml")
    state = PdcState(rels, {"m:s:1:c": {"uid": "m:s:1:c"}}, {"C-1": {"compose_id": "C-1"}})
    assert diff(state, state) == []


def test_only_the_difference_adds_and_removes():
    desired = _relationships("mbs__staged_data__formatted_testmodule.yaml")
    kept = sorted(desired)[:3]
    stale = Relationship(RELEASE, "ModuleIncludesRPM", "testmodule:master", "gone")
    actual = frozenset([*kept, stale])
    changes = diff(PdcState(desired), PdcState(actual))
    adds = {c.key for c in changes if c.kind == "relationship.add"}
    removes = {c.key for c in changes if c.kind == "relationship.remove"}
    assert adds == {r.key for r in desired - set(kept)}
    assert removes == {stale.key}
    assert len(changes) == len(desired) - len(kept) + 1
    assert Relationship.from_payload(changes[0].payload).key == changes[0].key


def test_records_are_sent_when_missing_or_different_and_foreign_ones_are_left_alone():
    module = {"uid": "m:s:1:c", "active": True}
    compose = {"compose_id": "C-1", "rpms": ["a-1-1.x86_64"]}
    desired = PdcState(
        modules={"m:s:1:c": module, "n:s:1:c": {"uid": "n:s:1:c"}},
        composes={"C-1": compose},
    )
    actual = PdcState(
        modules={"m:s:1:c": {**module, "active": False}, "foreign:x:1:c": {"uid": "f"}},
        composes={"C-1": {**compose, "rpms": []}, "Fedora-29-20181024.0": {}},
    )
    changes = diff(desired, actual)
    assert [(c.kind, c.key) for c in changes] == [
        ("compose.import", "compose:C-1"),
        ("module.upsert", "module:m:s:1:c"),
        ("module.upsert", "module:n:s:1:c"),
    ]
    assert changes[1].payload == module
    assert "missing or different" in changes[0].describe()


def test_two_modules_share_a_component_without_duplicates():
    rels = _relationships(
        "mbs__staged_data__formatted_testmodule.yaml",
        "mbs__staged_data__formatted_testmodule.yaml",
    )
    assert len(rels) == 5
    assert len(diff(PdcState(rels), PdcState())) == 5


def test_describe_never_prints_control_characters():
    rel = Relationship(RELEASE, "ModuleIncludesRPM", "evil:main", "x\x1b[2Jy")
    (change,) = diff(PdcState(frozenset([rel])), PdcState())
    line = change.describe()
    assert "\x1b" not in line and "x\\x1b[2Jy" in line
