"""Horizontal bar charts as self-contained SVG, with no plotting library."""

import html
import math
from dataclasses import dataclass

WIDTH = 760
LABEL_WIDTH = 250
RIGHT_MARGIN = 150
BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 14
TOP = 48
FONT = "font-family='system-ui, -apple-system, Segoe UI, sans-serif' font-size='12'"
COLORS = {
    "bare-wsgi": "#7f7f7f",
    "bare-asgi": "#7f7f7f",
    "flask": "#1f77b4",
    "django": "#2ca02c",
    "fastapi": "#d62728",
    "claim": "#ffffff",
}


@dataclass(frozen=True)
class Bar:
    """One bar: a value, an optional spread (low to high), and how to draw it."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    color: str = "#1f77b4"
    note: str = ""  # written after the bar
    claim: bool = False  # drawn hollow and dashed: a figure from articles, not measured


def nice_maximum(value: float) -> float:
    """A round axis end at or above value."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def number(value: float) -> str:
    """An axis or bar label: 1,234 or 0.85."""
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def chart(
    title: str,
    axis_label: str,
    groups: list[tuple[str, list[Bar]]],
    marks: tuple[tuple[float, str], ...] = (),
) -> str:
    """A chart of bar groups, each under its heading, with a shared linear axis from 0.

    marks: (value, label) pairs drawn as dashed vertical lines across the plot, a goal say.
    """
    top_value = max(
        [bar.value for _, bars in groups for bar in bars]
        + [bar.high or 0 for _, bars in groups for bar in bars]
        + [value for value, _ in marks],
        default=1,
    )
    maximum = nice_maximum(top_value)
    plot_width = WIDTH - LABEL_WIDTH - RIGHT_MARGIN

    def x(value: float) -> float:
        return LABEL_WIDTH + plot_width * value / maximum

    parts = []
    y = TOP
    for heading, bars in groups:
        parts.append(f"<text x='8' y='{y + 12}' font-weight='bold'>{html.escape(heading)}</text>")
        y += 20
        for bar in bars:
            middle = y + BAR_HEIGHT / 2
            parts.append(
                f"<text x='{LABEL_WIDTH - 8}' y='{middle + 4}' text-anchor='end'>"
                f"{html.escape(bar.label)}</text>"
            )
            width = max(x(bar.value) - LABEL_WIDTH, 0.5)
            if bar.claim:
                style = (
                    f"fill='none' stroke='{bar.color}' stroke-width='1.5' stroke-dasharray='4 3'"
                )
            else:
                style = f"fill='{bar.color}'"
            parts.append(
                f"<rect x='{LABEL_WIDTH}' y='{y}' width='{width:.1f}' height='{BAR_HEIGHT}' "
                f"{style}><title>{html.escape(bar.label)}: {number(bar.value)}</title></rect>"
            )
            if bar.low is not None and bar.high is not None and bar.high > bar.low:
                low, high = x(bar.low), x(bar.high)
                parts.append(
                    f"<path d='M{low:.1f} {middle}H{high:.1f}M{low:.1f} {y + 3}V{y + 13}"
                    f"M{high:.1f} {y + 3}V{y + 13}' stroke='#000' stroke-width='1.2'/>"
                )
            text_x = max(x(bar.value), x(bar.high or 0)) + 6
            note = f"{number(bar.value)}{' ' + bar.note if bar.note else ''}"
            parts.append(f"<text x='{text_x:.1f}' y='{middle + 4}'>{html.escape(note)}</text>")
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP
    axis_y = y
    ticks = []
    for index in range(6):
        value = maximum * index / 5
        ticks.append(
            f"<line x1='{x(value):.1f}' x2='{x(value):.1f}' y1='{TOP}' y2='{axis_y}' "
            f"stroke='#ddd'/><text x='{x(value):.1f}' y='{axis_y + 14}' text-anchor='middle' "
            f"fill='#555'>{number(value)}</text>"
        )
    for value, label in marks:
        ticks.append(
            f"<line x1='{x(value):.1f}' x2='{x(value):.1f}' y1='{TOP - 6}' y2='{axis_y}' "
            f"stroke='#000' stroke-dasharray='5 4'/><text x='{x(value) + 4:.1f}' y='{TOP - 8}' "
            f"fill='#000'>{html.escape(label)}</text>"
        )
    height = axis_y + 40
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"viewBox='0 0 {WIDTH} {height}' role='img' aria-label='{html.escape(title)}' {FONT}>"
        f"<rect width='100%' height='100%' fill='#fff'/>"
        f"<text x='8' y='20' font-size='15' font-weight='bold'>{html.escape(title)}</text>"
        f"{''.join(ticks)}{''.join(parts)}"
        f"<text x='{LABEL_WIDTH + plot_width / 2}' y='{axis_y + 32}' text-anchor='middle' "
        f"fill='#555'>{html.escape(axis_label)}</text></svg>"
    )
