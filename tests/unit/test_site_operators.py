"""The operators page, the overview's health part (stale work, consumers, builds per day)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

import models
from conveyor.db import make_session_factory
from models import Build, BuildTransition, Package
from site_generator import render_site
from site_generator.charts import PLOT_H, BuildPoint, bar_chart, builds_per_day
from site_generator.ops_gather import gather_ops
from tests.unit.site_world import NOW, SETTINGS, XSS, load, populate, render

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_operators_page_and_twin(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    data = load(out, "api/v1/operators.json")
    rejected = data["rejected"]
    assert [r["message_id"] for r in rejected] == ["r2", "r1", "r3"]  # newest first
    assert data["rejected_total"] == 3
    long = rejected[1]
    assert (long["body_length"], long["body_truncated"], len(long["body"])) == (2000, True, 500)
    assert rejected[0]["topic"] == f"koji.{XSS}" and rejected[0]["body_truncated"] is False
    assert data["consumers"] == [
        {
            "consumer": "distgit",
            "processed": 1,
            "last_processed_at": "2024-05-01T10:00:00+00:00",
            "quiet_minutes": 120,
            "rejected": 1,
            "last_rejected_at": "2024-05-01T11:00:00+00:00",
        },
        {
            "consumer": "koji",
            "processed": 2,
            "last_processed_at": "2024-05-01T11:58:00+00:00",
            "quiet_minutes": 2,
            "rejected": 2,
            "last_rejected_at": "2024-05-01T11:55:00+00:00",
        },
    ]
    assert data["outbox"] == {
        "unsent": 2,
        "oldest_unsent_at": "2024-05-01T11:30:00+00:00",
        "oldest_unsent_minutes": 30,
        "failing": 1,
        "last_error": f"broker down {XSS}",
    }
    assert data["reconciler"] == {
        "last_correction_at": "2024-05-01T11:53:00+00:00",  # a component
        "builds_at": "2024-05-01T09:20:00+00:00",
        "module_builds_at": None,
        "components_at": "2024-05-01T11:53:00+00:00",
    }

    html = (out / "operators.html").read_text(encoding="utf-8")
    assert "<script" not in html and html.count(ESCAPED) >= 4  # topic, reason, body, error
    assert "x" * 500 + "…</pre>" in html and "x" * 501 not in html
    assert "Body (2000 characters, first 500 shown)" in html
    assert '<a href="operators.html">Operators</a>' in html  # the nav links it
    assert '<tr data-consumer="koji" data-rejected="2">' in html
    assert "No cron job has recorded a run yet" in html  # populate() records none


def test_overview_health(session_factory, tmp_path):
    ids = populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    health = load(out, "api/v1/overview.json")["health"]
    assert health["stale_minutes"] == 60
    assert [b["id"] for b in health["stale_builds"]] == [ids["stale"]]  # not zsh (10 min)
    assert [m["id"] for m in health["stale_module_builds"]] == [ids["stuck"]]
    assert [c["consumer"] for c in health["consumers"]] == ["distgit", "koji"]
    days = health["builds_per_day"]
    assert len(days) == 14 and days[0]["day"] == "2024-04-18" and days[-1]["day"] == "2024-05-01"
    counts = {d["day"]: (d["complete"], d["failed"], d["queued"]) for d in days}
    assert counts["2024-05-01"] == (0, 2, 1)  # bash and the unsafe one failed; one queued
    assert counts["2024-04-30"] == (1, 0, 0) and counts["2024-04-29"] == (1, 0, 0)
    assert counts["2024-04-21"] == (0, 1, 0)  # ten days ago: in the chart, not "recent"
    assert sum(d["complete"] + d["failed"] for d in days) == 5

    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="operators.html">Operators page</a>' in html
    svg = re.search(r'<svg class="bars".*?</svg>', html, flags=re.S).group(0)
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Builds per day, 2024-04-18 to 2024-05-01 (UTC)</title>' in svg
    assert svg.count('<g class="day">') == 14 and svg.count("<title>") == 14
    assert svg.count('<rect class="failed"') == 2 and svg.count('<rect class="complete"') == 2
    table = re.search(r"<details>.*?</details>", html, flags=re.S).group(0)
    assert table.count('<th scope="row"><time datetime="2024-') == 14
    assert "<td>0</td><td>2</td><td>1</td>" in table
    stale = re.search(r'<section aria-labelledby="h-stale">.*?</section>', html, flags=re.S)
    assert stale and "cccccccccc" in stale.group(0) and "ruby:20" in stale.group(0)


def test_stale_threshold_is_a_setting(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    patient = replace(SETTINGS, site=replace(SETTINGS.site, stale_minutes=24 * 60))
    render_site(session_factory, patient, output_dir=out, now=NOW.replace(tzinfo=UTC))
    health = load(out, "api/v1/overview.json")["health"]
    assert health["stale_builds"] == [] and health["stale_module_builds"] == []
    assert "No stale build." in (out / "index.html").read_text(encoding="utf-8")


def test_empty_database(session_factory, tmp_path):
    out = tmp_path / "site"
    render(session_factory, out)
    data = load(out, "api/v1/operators.json")
    assert data["rejected"] == [] and data["consumers"] == [] and data["rejected_total"] == 0
    assert data["outbox"]["oldest_unsent_at"] is None and data["reconciler"]["builds_at"] is None
    html = (out / "operators.html").read_text(encoding="utf-8")
    assert "No rejected message." in html and "No consumer has processed" in html
    days = load(out, "api/v1/overview.json")["health"]["builds_per_day"]
    assert all(d["complete"] == d["failed"] == d["queued"] == 0 for d in days)


def _populate_many(factory, n: int) -> None:
    with factory.begin() as s:
        for i in range(n):
            pkg = Package(namespace="rpms", name=f"pkg{i}")
            s.add(pkg)
            s.flush()
            build = Build(
                package_id=pkg.id,
                branch="rawhide",
                commit=f"{i:040x}",
                target="r",
                source="x",
                state="failed",
                created_at=NOW,
                updated_at=NOW,
                completed_at=NOW,
            )
            s.add(build)
            s.flush()
            s.add(
                BuildTransition(
                    build_id=build.id,
                    from_state="queued",
                    to_state="failed",
                    cause="reconciler",
                    at=NOW,
                )
            )


def test_ops_gather_is_a_fixed_number_of_queries(tmp_path):
    counts = []
    for n in (3, 30):
        factory = make_session_factory(f"sqlite:///{tmp_path / f'q{n}.sqlite'}")
        models.Base.metadata.create_all(factory.kw["bind"])
        _populate_many(factory, n)
        statements: list[str] = []
        engine = factory.kw["bind"]

        def count(_conn, _cursor, statement, *_rest, seen=statements):
            if not statement.startswith("BEGIN"):  # conveyor.db's BEGIN IMMEDIATE on SQLite
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        with factory() as session:
            data = gather_ops(session, NOW)
        event.remove(engine, "before_cursor_execute", count)
        assert len(data.failed_builds) == min(n, 50) and len(data.active_builds) == n
        counts.append(len(statements))
        factory.kw["bind"].dispose()
    assert counts[0] == counts[1] == 6


def test_chart_geometry():
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    day = timedelta(days=1)
    points = [
        BuildPoint("complete", now - 2 * day, now - 2 * day, now - 2 * day),
        BuildPoint("failed", now - day, now - day, now - day),
        BuildPoint("failed", now - day, now - day, now - day),
        BuildPoint("queued", now - 3 * day, None, None),  # queued for three days and counting
        BuildPoint("building", now - day, now - day + timedelta(hours=13), None),
    ]
    days = builds_per_day(points, now)
    assert [(d.complete, d.failed, d.queued) for d in days[-4:]] == [
        (0, 0, 1),
        (1, 0, 1),
        (0, 2, 2),
        (0, 0, 1),
    ]  # the building one was still queued at midnight: it left at 01:00
    chart = bar_chart(days)
    assert chart.peak == 2 and len(chart.bars) == 14
    bar = chart.bars[-2]  # two failed, the tallest
    assert (bar.failed_h, bar.complete_h) == (PLOT_H, 0)
    assert bar.failed_y == bar.queue_y == chart.plot_top  # two queued: as high
    assert chart.bars[-1].queue_y == chart.plot_bottom - PLOT_H // 2  # one: half as high
    xs = [b.x for b in chart.bars]
    assert xs == sorted(xs) and len(set(xs)) == 14 and xs[-1] + chart.bar < chart.width
    assert bar_chart(builds_per_day([], now)).peak == 1  # never divides by zero
