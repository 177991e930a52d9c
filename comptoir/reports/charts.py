"""Chart geometry for server-side SVG: numbers in, coordinates out, no drawing library and no script.

The template places what ``Chart.markup`` draws (workspace/reports/_chart.html); each chart
there has a title, a description and its numbers in a table beside it.
Colours are chosen for a 3:1 contrast at least against the white card (WCAG 1.4.11)
and told apart by more than hue: bars side by side in a fixed order, and the legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 26
# Teal (the brand), amber and plum: 7.0, 4.9 and 8.1 to 1 against white.
SERIES_COLOURS = ("#0b5c70", "#a15c07", "#6b2c70")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    value: int
    label: str


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    points: str  # a polyline's "x,y x,y ..."; empty for bar charts
    ticks: tuple[Tick, ...]
    labels: tuple[XLabel, ...]
    baseline: float
    left: int
    right: float
    # Written after each axis value ("%" for shares).
    unit: str = ""
    # Where a line's values are, marked with a dot: a line drawn across gaps must still show which points are known.
    dots: tuple[tuple[float, float], ...] = ()

    def markup(self) -> SafeString:
        """The SVG shapes and axis texts, written here once rather than by template tags per bar.

        A quarter per day is some 180 bars: drawn by the template, each bar's four numbers went through a
        filter and a variable lookup, a good part of the page's time. Every value written is a number
        formatted here, a colour of SERIES_COLOURS, or a label escaped.
        """
        parts = []
        for tick in self.ticks:
            parts.append(
                f'<line x1="{self.left}" x2="{self.right:.2f}" y1="{tick.y:.2f}" y2="{tick.y:.2f}" '
                'class="report-grid"/>'
                f'<text x="{self.left - 6}" y="{tick.y:.2f}" class="report-axis" text-anchor="end" '
                f'dominant-baseline="middle">{tick.value}{escape(self.unit)}</text>'
            )
        parts.extend(
            f'<rect x="{bar.x:.2f}" y="{bar.y:.2f}" width="{bar.width:.2f}" height="{bar.height:.2f}" '
            f'fill="{bar.colour}"/>'
            for bar in self.bars
        )
        if self.points:
            parts.append(
                f'<polyline points="{escape(self.points)}" fill="none" stroke="{SERIES_COLOURS[0]}" '
                'stroke-width="2.5" stroke-linejoin="round"/>'
            )
        parts.extend(f'<circle cx="{x:.2f}" cy="{y:.2f}" r="3.5" fill="{SERIES_COLOURS[0]}"/>' for x, y in self.dots)
        parts.extend(
            f'<text x="{label.x:.2f}" y="{self.height - 6}" class="report-axis" text-anchor="middle">'
            f"{escape(label.text)}</text>"
            for label in self.labels
        )
        return mark_safe("".join(parts))  # numbers and colours written above, texts escaped


def nice_top(value: int) -> int:
    """A round top for the axis at or above ``value``: 1, 2, 5, 10, 20, 50..."""
    if value <= 0:
        return 1
    magnitude = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _axes(top: int) -> tuple[Tick, ...]:
    plot = HEIGHT - TOP - BOTTOM
    # A middle line only where it falls on a whole number.
    fractions = (0, 0.5, 1) if top % 2 == 0 else (0, 1)
    return tuple(Tick(TOP + plot - plot * fraction, round(top * fraction)) for fraction in fractions)


def _labels(names: Sequence[str], slot: float) -> tuple[XLabel, ...]:
    # At most about eight labels, evenly spread, so that they never overlap.
    every = max(1, math.ceil(len(names) / 8))
    return tuple(XLabel(LEFT + slot * (index + 0.5), name) for index, name in enumerate(names) if index % every == 0)


def bar_chart(names: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]) -> Chart:
    """Bars per slot (a day), one per series side by side; ``series`` is (label, values) in slot order."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_top(max((value for _label, values in series for value in values), default=0))
    slot = plot_width / max(1, len(names))
    bar_width = slot * 0.8 / max(1, len(series))
    bars = []
    for index in range(len(names)):
        for number, (label, values) in enumerate(series):
            value = values[index]
            height = plot_height * value / top
            bars.append(
                Bar(
                    x=round(LEFT + slot * index + slot * 0.1 + bar_width * number, 2),
                    y=round(TOP + plot_height - height, 2),
                    width=round(max(bar_width - 1, 1), 2),
                    height=round(height, 2),
                    colour=SERIES_COLOURS[number % len(SERIES_COLOURS)],
                    value=value,
                    label=f"{names[index]}: {label} {value}",
                )
            )
    return Chart(
        WIDTH, HEIGHT, tuple(bars), "", _axes(top), _labels(names, slot), TOP + plot_height, LEFT, WIDTH - RIGHT
    )


def line_chart(names: Sequence[str], values: Sequence[int]) -> Chart:
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_top(max(values, default=0))
    slot = plot_width / max(1, len(names))
    points = " ".join(
        f"{round(LEFT + slot * (index + 0.5), 2)},{round(TOP + plot_height - plot_height * value / top, 2)}"
        for index, value in enumerate(values)
    )
    return Chart(WIDTH, HEIGHT, (), points, _axes(top), _labels(names, slot), TOP + plot_height, LEFT, WIDTH - RIGHT)


def share_chart(names: Sequence[str], values: Sequence[float | None]) -> Chart:
    """A line of shares (0 to 1) drawn as percentages on a fixed 0-100 axis; slots without a value are skipped."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(1, len(names))
    dots = tuple(
        (round(LEFT + slot * (index + 0.5), 2), round(TOP + plot_height - plot_height * value, 2))
        for index, value in enumerate(values)
        if value is not None
    )
    points = " ".join(f"{x},{y}" for x, y in dots)
    return Chart(
        WIDTH, HEIGHT, (), points, _axes(100), _labels(names, slot), TOP + plot_height, LEFT, WIDTH - RIGHT, "%", dots
    )
