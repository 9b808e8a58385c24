"""The chain planner: tiers, the deepest-tier rule, cycles, branch pinning, on real graphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conveyor.chain_plan import ChainPlan, plan_for_component, plan_for_module
from conveyor.deps.graph import DepGraph
from conveyor.deps.load import LoadReport, definitions

F29 = Path(__file__).parent.parent / "data" / "modulemd"
F29 /= "libmodulemd__modulemd__tests__test_data__f29.yaml"


def graph(edges: dict[str, list[str]], components: dict[str, dict[str, str]] | None = None):
    """``ns -> streams it buildrequires``."""
    triples = [(ns, "buildrequires", dep) for ns, deps in edges.items() for dep in deps]
    return DepGraph.from_edges(triples, defined=edges, components=components)


@pytest.fixture(scope="module")
def f29() -> DepGraph:
    found = definitions(F29.read_text(), "f29", LoadReport())
    return DepGraph.from_definitions([d for d, _ in found])


def test_tiers_follow_buildrequires() -> None:
    g = graph({"a:1": ["base:1"], "b:1": ["a:1"], "c:1": ["b:1"], "d:1": ["base:1"]})
    plan = plan_for_module(g, "base:1")
    assert plan.tiers == (("a:1", "d:1"), ("b:1",), ("c:1",))
    assert plan.cycles == ()
    assert plan.modules == ("a:1", "d:1", "b:1", "c:1")


def test_a_module_appears_once_in_its_deepest_tier() -> None:
    # top buildrequires both base's direct dependant (tier 1) and a tier-3 module
    g = graph({
        "a:1": ["base:1"], "b:1": ["a:1"], "c:1": ["b:1"], "top:1": ["base:1", "a:1", "c:1"],
    })  # fmt: skip
    plan = plan_for_module(g, "base:1")
    assert plan.tiers == (("a:1",), ("b:1",), ("c:1",), ("top:1",))
    assert len(plan.modules) == len(set(plan.modules))


def test_cycles_are_reported_and_broken_not_looped_on() -> None:
    g = graph({"a:1": ["base:1", "c:1"], "b:1": ["a:1"], "c:1": ["b:1"], "d:1": ["c:1"]})
    plan = plan_for_module(g, "base:1")
    assert plan.cycles == (("a:1", "b:1", "c:1"),)
    assert set(plan.modules) == {"a:1", "b:1", "c:1", "d:1"}
    assert plan.tiers == (("a:1",), ("b:1",), ("c:1",), ("d:1",))


def test_a_self_buildrequirement_and_the_trigger_itself_are_ignored() -> None:
    g = graph({"a:1": ["base:1", "a:1"], "base:1": ["a:1"]})
    plan = plan_for_module(g, "base:1")
    assert plan.tiers == (("a:1",),)


def test_branch_pinning_keeps_the_streams_that_include_the_pushed_branch() -> None:
    components = {
        "perl:5.26": {"perl": "f28"}, "perl:5.24": {"perl": "f26"},
        "tools:1": {"perl": "f28", "make": "rawhide"},
    }  # fmt: skip
    g = graph({"perl:5.26": [], "perl:5.24": [], "tools:1": [], "app:1": ["perl:5.26"]},
              components)  # fmt: skip
    plan = plan_for_component(g, "perl", "f28")
    assert plan.trigger == "rpms/perl@f28"
    assert plan.tiers == (("perl:5.26", "tools:1"), ("app:1",))
    assert plan_for_component(g, "perl", "f30").tiers == ()
    assert plan_for_component(g, "make", "rawhide").tiers == (("tools:1",),)


def test_the_plan_prints_as_text_and_json() -> None:
    plan = ChainPlan("rpms/x@rawhide", (("a:1", "b:1"), ("c:1",)), (("d:1", "e:1"),))
    assert plan.to_text().splitlines() == [
        "rebuild chain for rpms/x@rawhide: 3 module streams, 2 tiers",
        "tier 1: a:1 b:1",
        "tier 2: c:1",
        "cycle (broken): d:1 -> e:1",
    ]
    assert json.loads(plan.dumps()) == {
        "trigger": "rpms/x@rawhide", "tiers": [["a:1", "b:1"], ["c:1"]],
        "cycles": [["d:1", "e:1"]], "modules": 3,
    }  # fmt: skip


def test_f29_platform_rebuild_puts_the_flatpak_and_django_users_in_tier_2(f29) -> None:
    # from the file: 43 streams buildrequire platform:f29; eog:main buildrequires only
    # flatpak-runtime:f29, reviewboard:{2.5,3.0} buildrequire django:1.6 and platform:f29
    plan = plan_for_module(f29, "platform:f29")
    assert plan.tiers[1] == ("eog:main", "reviewboard:2.5", "reviewboard:3.0")
    assert "django:1.6" in plan.tiers[0] and "flatpak-runtime:f29" in plan.tiers[0]
    assert len(plan.tiers) == 2 and len(plan.tiers[0]) == 41
    assert "platform:f29" not in plan.modules


def test_f29_perl_push_on_f28_rebuilds_the_5_26_streams_only(f29) -> None:
    plan = plan_for_component(f29, "perl", "f28")
    assert plan.tiers == (("perl-bootstrap:5.26", "perl:5.26"),)
    assert plan_for_component(f29, "perl", "f26").tiers == (("perl-bootstrap:5.24", "perl:5.24"),)
