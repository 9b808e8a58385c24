"""Rebuild chain pages: the list, one page per chain with its tiers drawn, marks, queries."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event, select

from models.chain_item import ChainItem
from models.chain_transition import ChainTransition
from models.rebuild_chain import RebuildChain
from models.site_dirty import pending
from site_generator import render_site
from site_generator.chain_diagram import MAX_ARROWS, _wanted, diagram
from site_generator.gather_pipeline import BuildRequiresRow, gather_pipeline
from site_generator.paths import chain_paths
from site_generator.views_pipeline import ChainItemView, TierView
from tests.unit.site_world import HOSTILE, NOW, SETTINGS, XSS, load, populate, render


def _site(factory, tmp_path):
    ids = populate(factory)
    out = tmp_path / "site"
    render(factory, out)
    return ids, out


def test_list_page_and_twin(session_factory, tmp_path):
    ids, out = _site(session_factory, tmp_path)
    listing = load(out, "api/v1/chains.json")
    assert [c["id"] for c in listing["chains"]] == [ids["running_chain"], ids["chain"]]
    failed = listing["chains"][1]
    assert failed["state"] == "failed" and failed["tiers"] == 3 and failed["items_failed"] == 1
    assert failed["trigger"] == "rpms/bash@rawhide" and failed["trigger_href"] == (
        "packages/rpms/bash.html"
    )
    counts = {c["state"]: c["count"] for c in listing["state_counts"]}
    assert counts == {"planned": 0, "running": 1, "complete": 0, "failed": 1, "canceled": 0}
    html = (out / "chains/index.html").read_text()
    assert f'<a href="../chains/{ids["chain"]}.html">Chain {ids["chain"]}</a>' in html
    assert "<script" not in html and "&lt;script&gt;" in html  # the hostile trigger module


def test_chain_page_draws_tiers_with_labels_and_arrows(session_factory, tmp_path):
    ids, out = _site(session_factory, tmp_path)
    html = (out / f"chains/{ids['chain']}.html").read_text()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert [f"Tier {n}" in svg for n in (1, 2, 3)] == [True, True, True]
    assert "Tier 2 (current)" in svg
    boxes = re.findall(r'<g class="item (state-\w+)" data-tier="(\d)" data-state="(\w+)">', svg)
    assert boxes == [
        ("state-complete", "1", "passed"),
        ("state-failed", "2", "failed"),
        ("state-queued", "3", "waiting"),
    ]
    # The state is written in each box, not only coloured.
    assert '<text class="item-state"' in svg and ">failed</text>" in svg
    # perl buildrequires nodejs:20; ruby buildrequires nodejs (any) and perl (not 5).
    arrows = re.findall(r"<title>([^<]*) buildrequires ([^<]*)</title>", svg)
    assert sorted(arrows) == [
        ("perl:20", "nodejs:20"), ("ruby:20", "nodejs:20"), ("ruby:20", "perl:20")
    ]  # fmt: skip
    # The same as tables, with links to the module builds.
    assert f'href="../modules/{ids["broken"]}.html">module build #{ids["broken"]}</a>' in html
    assert 'id="tier-3"' in html and "failed at tier 2" in html
    assert "<script" not in html and HOSTILE not in html  # the reason is escaped
    twin = load(out, f"api/v1/chains/{ids['chain']}.json")
    assert [[i["ns"] for i in t["items"]] for t in twin["tiers"]] == [
        ["nodejs:20"], ["perl:20"], ["ruby:20"]
    ]  # fmt: skip
    assert "diagram" not in twin  # drawing geometry stays out of the API
    assert [t["item"] for t in twin["transitions"]] == [None, "perl:20", None]


def test_overview_and_module_page_link_the_chains(session_factory, tmp_path):
    ids, out = _site(session_factory, tmp_path)
    overview = load(out, "api/v1/overview.json")
    assert [c["id"] for c in overview["running_chains"]] == [ids["running_chain"]]
    assert "Running chains" in (out / "index.html").read_text()
    module = load(out, f"api/v1/module-builds/{ids['broken']}.json")
    assert module["chains"] == [
        {
            "chain_id": ids["chain"],
            "href": f"chains/{ids['chain']}.html",
            "chain_state": "failed",
            "tier": 2,
            "item_state": "failed",
        }
    ]
    assert (
        f'href="../chains/{ids["chain"]}.html">Chain {ids["chain"]}</a>'
        in (out / f"modules/{ids['broken']}.html").read_text()
    )


def test_superseded_chain_links_its_successor(session_factory, tmp_path):
    ids = populate(session_factory)
    with session_factory.begin() as s:
        old = s.get(RebuildChain, ids["running_chain"])
        old.state, old.superseded_by_id = "canceled", ids["chain"]
    out = tmp_path / "site"
    render(session_factory, out)
    html = (out / f"chains/{ids['running_chain']}.html").read_text()
    assert f'<dt>Superseded by</dt><dd><a href="../chains/{ids["chain"]}.html">' in html


def test_a_chain_transition_marks_the_chain_and_its_item_module_build(session_factory, tmp_path):
    ids = populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)  # clears every mark
    with session_factory.begin() as s:
        assert pending(s) == ()
        item = s.scalars(select(ChainItem).where(ChainItem.name == "perl")).one()
        item.transition(s, "passed", cause="m10", reason="a fix passed")
        chain = s.get(RebuildChain, ids["chain"])
        chain.transition(s, "running", cause="m10", reason="resumed")
    with session_factory() as s:
        marks = {(r.kind, r.key) for r in pending(s)}
    assert marks == {("chain", ids["chain"]), ("module_build", ids["broken"])}
    stats = render_site(session_factory, SETTINGS, full=False, output_dir=out,
                        now=(NOW + timedelta(minutes=1)).replace(tzinfo=None))  # fmt: skip
    assert stats.mode == "incremental" and stats.dirty == 2
    twin = load(out, f"api/v1/chains/{ids['chain']}.json")
    assert twin["chain"]["state"] == "running"
    assert twin["tiers"][1]["items"][0]["state"] == "passed"
    module = load(out, f"api/v1/module-builds/{ids['broken']}.json")
    assert module["chains"][0]["item_state"] == "passed"


def test_gather_pipeline_is_a_fixed_number_of_queries(session_factory):
    populate(session_factory)
    counts = []
    for extra in (0, 20):
        with session_factory.begin() as s:
            for n in range(extra):
                chain = RebuildChain(trigger_kind="module", trigger_module=f"m{n}:1",
                                     requester="x", module_version=n)  # fmt: skip
                s.add(chain)
                s.flush()
                s.add(ChainItem(chain_id=chain.id, name=f"m{n}", stream="1", tier=1))
                s.add(ChainTransition(chain_id=chain.id, to_state="planned", cause="t"))
        statements: list[str] = []
        engine = session_factory.kw["bind"]

        def count(_conn, _cursor, statement, *_rest, seen=statements):
            if statement.startswith("SELECT"):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        with session_factory() as s:
            data = gather_pipeline(s)
        event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
        assert len(data.chains) == 2 + extra
    assert counts == [9, 9]


def _item(name: str, stream: str, tier: int, state: str = "waiting") -> ChainItemView:
    return ChainItemView(0, f"{name}:{stream}", name, stream, tier, state, f"state-{state}", "",
                         "", None, None)  # fmt: skip


def test_diagram_stream_lists_and_bounded_arrows():
    assert _wanted([], "20") and _wanted(["20"], "20") and not _wanted(["18"], "20")
    assert _wanted(["-18"], "20") and not _wanted(["-20"], "20")
    wide = tuple(TierView(t, t == 1, tuple(_item(f"m{t}x{i}", "1", t) for i in range(30)))
                 for t in (1, 2))  # fmt: skip
    requires = [
        BuildRequiresRow(f"m2x{i}", "1", f"m1x{j}", []) for i in range(30) for j in range(30)
    ]
    d = diagram(wide, requires)
    assert len(d.arrows) == MAX_ARROWS and d.arrows_left_out == 900 - MAX_ARROWS
    assert d.width > 0 and d.height > 30 * 46
    long = diagram((TierView(1, True, (_item("x" * 80, "1", 1),)),), [])
    assert long.boxes[0].label.endswith("…") and len(long.boxes[0].label) <= 26


def test_chain_paths_never_come_from_data():
    for bad in (0, -1, True, "7", None, 7.0):
        assert chain_paths(bad) is None  # type: ignore[arg-type]
    assert str(chain_paths(7)[0]) == "chains/7.html"  # type: ignore[index]
    assert XSS not in str(chain_paths(7))
