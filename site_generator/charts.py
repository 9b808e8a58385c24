"""Builds per day and queue length: the numbers, and an inline SVG bar chart's geometry.

The geometry is computed here, not in the template, so the template only
draws rectangles at given coordinates and every number is testable. The
chart is a picture for people who would rather look; the same numbers are
always in a table next to it (and in the JSON twin).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from site_generator.views import utc

DAYS = 14
# Geometry in SVG user units: one column per day, a stacked bar and a queue marker.
COLUMN, BAR, PLOT_H, TOP, BOTTOM, LEFT = 40, 26, 120, 12, 40, 36


@dataclass(frozen=True)
class BuildPoint:
    """What the chart needs of one build: when it started, left the queue and ended."""

    state: str
    created_at: datetime
    left_queue_at: datetime | None  # None: still queued
    completed_at: datetime | None


@dataclass(frozen=True)
class DayCount:
    day: str  # ISO 8601 date, UTC
    complete: int  # builds that completed that day
    failed: int  # builds that failed that day
    queued: int  # builds waiting in the queue at the end of that day (or now, today)


@dataclass(frozen=True)
class Bar:
    x: int
    label: str  # "05-01", under the column
    day: DayCount
    complete_y: int
    complete_h: int
    failed_y: int
    failed_h: int
    queue_y: int  # the queue marker's centre


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int  # the baseline's y
    left: int
    bar: int  # a bar's width
    peak: int  # the value at plot_top
    bars: tuple[Bar, ...]
    queue_points: str  # "x,y x,y ..." for one polyline through the queue markers


def _queued_at(point: BuildPoint, moment: datetime) -> bool:
    if point.created_at > moment:
        return False
    return point.left_queue_at is None or point.left_queue_at > moment


def builds_per_day(
    points: Iterable[BuildPoint], now: datetime, days: int = DAYS
) -> tuple[DayCount, ...]:
    """The last ``days`` UTC days, oldest first, today included (counted up to ``now``)."""
    now = utc(now)
    today = now.date()
    first = today - timedelta(days=days - 1)
    points = list(points)
    ended: Counter[tuple[date, str]] = Counter()
    for p in points:
        if p.completed_at is not None and p.state in ("complete", "failed"):
            ended[(utc(p.completed_at).date(), p.state)] += 1
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        end = min(now, datetime.combine(day + timedelta(days=1), time(), tzinfo=now.tzinfo))
        queued = sum(_queued_at(p, end) for p in points)
        result.append(
            DayCount(day.isoformat(), ended[(day, "complete")], ended[(day, "failed")], queued)
        )
    return tuple(result)


def bar_chart(days: tuple[DayCount, ...]) -> BarChart:
    """Stacked bars (complete below, failed above) and the queue length, on one scale."""
    peak = max([1, *(d.complete + d.failed for d in days), *(d.queued for d in days)])
    bottom = TOP + PLOT_H

    def height(value: int) -> int:
        return round(PLOT_H * value / peak)

    bars = []
    for i, d in enumerate(days):
        x = LEFT + i * COLUMN + (COLUMN - BAR) // 2
        complete_h, failed_h = height(d.complete), height(d.failed)
        bars.append(
            Bar(
                x=x,
                label=d.day[5:],  # "05-01" of "2024-05-01"
                day=d,
                complete_y=bottom - complete_h,
                complete_h=complete_h,
                failed_y=bottom - complete_h - failed_h,
                failed_h=failed_h,
                queue_y=bottom - height(d.queued),
            )
        )
    points = " ".join(f"{b.x + BAR // 2},{b.queue_y}" for b in bars)
    return BarChart(
        width=LEFT + COLUMN * len(days) + 8,
        height=bottom + BOTTOM,
        plot_top=TOP,
        plot_bottom=bottom,
        left=LEFT,
        bar=BAR,
        peak=peak,
        bars=tuple(bars),
        queue_points=points,
    )
