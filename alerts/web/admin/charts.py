"""Server-rendered SVG charts: geometry only; templates draw it (no script, no inline style).

Every chart is drawn in a fixed viewBox that fits a 360-px screen and scales up with the page;
labels are passed through as data so Jinja escapes them like any other text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 320
#: Each bar's label sits on its own line above the bar: a long category name ("Mobilisateur
#: communautaire") then never runs off the left edge of a phone screen.
ROW = 36
LABEL_HEIGHT = 14
LABEL_CHARS = 44
VALUE_ROOM = 48


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: label, value, and where to draw it."""

    label: str
    value: float
    y: float
    length: float
    text: str

    @property
    def label_y(self) -> float:
        """The baseline of the label, above the bar."""
        return self.y - 4


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, longest first as given."""

    bars: list[Bar]
    width: int
    height: int
    x0: int
    max_value: float


def bar_chart(
    items: Sequence[tuple[str, float]], value_text: Sequence[str] | None = None
) -> BarChart:
    """Bars for (label, value) pairs; value_text overrides how each value is written."""
    top = max((v for _, v in items), default=0) or 1
    room = WIDTH - VALUE_ROOM
    bars = []
    for i, (label, value) in enumerate(items):
        text = value_text[i] if value_text else f"{value:g}"
        shown = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        bars.append(
            Bar(
                shown,
                value,
                i * ROW + LABEL_HEIGHT + 4,
                max(room * value / top, 1 if value else 0),
                text,
            )
        )
    return BarChart(bars, WIDTH, max(len(items), 1) * ROW + 8, 0, top)


@dataclass(frozen=True)
class Column:
    """One column of a time series, with the running total's point above it."""

    label: str
    value: float
    total: float
    x: float
    y: float
    height: float
    line_y: float
    show_label: bool


@dataclass(frozen=True)
class ColumnChart:
    """Columns (per period) and a line (running total) over the same periods."""

    columns: list[Column]
    width: int
    height: int
    base: float
    column_width: float
    line: str
    max_value: float
    max_total: float


def column_chart(periods: Sequence[tuple[str, float, float]], height: int = 170) -> ColumnChart:
    """Columns for (label, value, running total) per period; the line is scaled on its own."""
    top = max((v for _, v, _ in periods), default=0) or 1
    top_total = max((t for _, _, t in periods), default=0) or 1
    left, right, bottom, head = 8, 8, 22, 14
    plot = height - bottom - head
    step = (WIDTH - left - right) / max(len(periods), 1)
    columns = []
    points = []
    every = max(1, round(len(periods) / 6))
    last = len(periods) - 1
    for i, (label, value, total) in enumerate(periods):
        h = plot * value / top
        x = left + i * step
        line_y = head + plot - plot * total / top_total
        columns.append(
            Column(
                label,
                value,
                total,
                round(x + step * 0.15, 1),
                round(head + plot - h, 1),
                round(h, 1),
                round(line_y, 1),
                (last - i) % every == 0,
            )
        )
        points.append(f"{x + step / 2:.1f},{line_y:.1f}")
    real_top = max((v for _, v, _ in periods), default=0)
    real_total = max((t for _, _, t in periods), default=0)
    return ColumnChart(
        columns,
        WIDTH,
        height,
        head + plot,
        round(step * 0.7, 1),
        " ".join(points),
        real_top,
        real_total,
    )
