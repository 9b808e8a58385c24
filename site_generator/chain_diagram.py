"""A rebuild chain's tiers as SVG geometry: one column per tier, one box per module stream.

Only numbers and views leave this module; the template writes the SVG (autoescaped).
Each box carries its state as text, not only as colour. An arrow joins a stream
to each stream of an earlier tier it buildrequires (by its current definition);
past ``MAX_ARROWS`` the diagram leaves the rest out (the table below it lists
every item), so a huge chain never makes a huge page.
"""

from __future__ import annotations

from dataclasses import dataclass

from site_generator.gather_pipeline import BuildRequiresRow
from site_generator.views_pipeline import ChainItemView, TierView

COLUMN, BOX_W, BOX_H, GAP, PAD, HEAD = 230, 190, 46, 14, 16, 34  # SVG user units
LABEL_MAX = 26  # characters of name:stream drawn in a box (the <title> has all of it)
MAX_ARROWS = 400


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    label: str  # name:stream, shortened to fit
    item: ChainItemView


@dataclass(frozen=True)
class Arrow:
    x1: int
    y1: int
    x2: int
    y2: int
    source: str  # the buildrequired stream (name:stream)
    target: str  # the stream that buildrequires it


@dataclass(frozen=True)
class Column:
    x: int  # the label's centre
    tier: int
    current: bool


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    box_w: int
    box_h: int
    columns: tuple[Column, ...]
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    arrows_left_out: int


def _label(ns: str) -> str:
    return ns if len(ns) <= LABEL_MAX else ns[: LABEL_MAX - 1] + "…"


def _wanted(streams: list[str], stream: str) -> bool:
    """Whether a modulemd stream list selects ``stream`` ([] any, ["-x"] any but x)."""
    if not streams:
        return True
    negated = {s[1:] for s in streams if s.startswith("-")}
    plain = {s for s in streams if not s.startswith("-")}
    return stream in plain if plain else stream not in negated


def diagram(tiers: tuple[TierView, ...], requires: list[BuildRequiresRow]) -> Diagram:
    boxes: dict[tuple[str, str], Box] = {}
    columns = []
    for col, tier in enumerate(tiers):
        x = PAD + col * COLUMN
        columns.append(Column(x + BOX_W // 2, tier.tier, tier.current))
        for row, item in enumerate(tier.items):
            y = HEAD + row * (BOX_H + GAP)
            boxes[(item.name, item.stream)] = Box(x, y, _label(item.ns), item)
    arrows: list[Arrow] = []
    left_out = 0
    by_name: dict[str, list[Box]] = {}
    for box in boxes.values():
        by_name.setdefault(box.item.name, []).append(box)
    for req in requires:
        target = boxes.get((req.name, req.stream))
        if target is None:
            continue
        for source in by_name.get(req.module, ()):
            if source.item.tier >= target.item.tier or not _wanted(req.streams, source.item.stream):
                continue
            if len(arrows) >= MAX_ARROWS:
                left_out += 1
                continue
            arrows.append(
                Arrow(
                    source.x + BOX_W,
                    source.y + BOX_H // 2,
                    target.x,
                    target.y + BOX_H // 2,
                    source.item.ns,
                    target.item.ns,
                )
            )
    rows = max((len(t.items) for t in tiers), default=0)
    width = 2 * PAD + max(0, len(tiers) - 1) * COLUMN + BOX_W
    height = HEAD + rows * (BOX_H + GAP) + PAD
    return Diagram(width, height, BOX_W, BOX_H, tuple(columns), tuple(boxes.values()),
                   tuple(arrows), left_out)  # fmt: skip
