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


def grid(maximum: float) -> list[float]:
    """The values of an axis's six grid lines, from 0 to maximum."""
    return [maximum * index / 5 for index in range(6)]


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
    for value in grid(maximum):
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


# Line charts: panels side by side, a row of them under each heading, one legend below.
PANEL_WIDTH = 270
PANEL_HEIGHT = 150
PANEL_LEFT = 70  # room for the y axis's numbers and label
PANEL_GAP = 100
LEGEND_ROW = 18


@dataclass(frozen=True)
class Line:
    """A series of points, joined in the order given: each an x, and at it what a bar would
    show (its value, its spread drawn as whiskers, its note in the tooltip and legend)."""

    label: str
    points: list[tuple[float, Bar]]
    color: str = "#1f77b4"
    dash: str = ""  # a stroke-dasharray ("6 3"); solid without one


@dataclass(frozen=True)
class Panel:
    """One plot: its heading, its y axis's label, its lines; y runs from 0."""

    heading: str
    axis_label: str
    lines: list[Line]


def dashing(line: Line) -> str:
    """A line's stroke-dasharray attribute, if it has one."""
    return f" stroke-dasharray='{line.dash}'" if line.dash else ""


def panel(left: float, top: float, item: Panel, x_ticks: list[tuple[float, str]]) -> list[str]:
    """One panel's axes, grid, lines, points and whiskers, its plot's corner at left, top."""
    top_value = max([bar.high or bar.value for line in item.lines for _, bar in line.points],
                    default=1)  # fmt: skip
    maximum = nice_maximum(top_value)
    x_end = max((value for value, _ in x_ticks), default=1) or 1

    def x(value: float) -> float:
        return left + 20 + (PANEL_WIDTH - 40) * value / x_end

    def y(value: float) -> float:
        return top + PANEL_HEIGHT - PANEL_HEIGHT * value / maximum

    parts = [
        f"<text x='{left}' y='{top - 8}' font-weight='bold'>{html.escape(item.heading)}</text>"
    ]
    for value in grid(maximum):
        parts.append(
            f"<line x1='{left}' x2='{left + PANEL_WIDTH}' y1='{y(value):.1f}' y2='{y(value):.1f}' "
            f"stroke='#ddd'/><text x='{left - 6}' y='{y(value) + 4:.1f}' text-anchor='end' "
            f"fill='#555'>{number(value)}</text>"
        )
    bottom = top + PANEL_HEIGHT
    for value, label in x_ticks:
        parts.append(
            f"<line x1='{x(value):.1f}' x2='{x(value):.1f}' y1='{top}' y2='{bottom}' "
            f"stroke='#eee'/><text x='{x(value):.1f}' y='{bottom + 14}' text-anchor='middle' "
            f"fill='#555'>{html.escape(label)}</text>"
        )
    parts.append(
        f"<text x='{left - 54}' y='{top + PANEL_HEIGHT / 2}' text-anchor='middle' fill='#555' "
        f"transform='rotate(-90 {left - 54} {top + PANEL_HEIGHT / 2})'>"
        f"{html.escape(item.axis_label)}</text>"
    )
    for line in item.lines:
        path = " ".join(f"{'L' if index else 'M'}{x(at):.1f} {y(bar.value):.1f}"
                        for index, (at, bar) in enumerate(line.points))  # fmt: skip
        parts.append(
            f"<path d='{path}' fill='none' stroke='{line.color}' stroke-width='2'{dashing(line)}/>"
        )
        for at, bar in line.points:
            if bar.low is not None and bar.high is not None and bar.high > bar.low:
                parts.append(
                    f"<path d='M{x(at):.1f} {y(bar.low):.1f}V{y(bar.high):.1f}' "
                    f"stroke='{line.color}' stroke-width='1.2'/>"
                )
            tooltip = f"{line.label}: {number(bar.value)}{' ' + bar.note if bar.note else ''}"
            parts.append(
                f"<circle cx='{x(at):.1f}' cy='{y(bar.value):.1f}' r='3.5' fill='{line.color}'>"
                f"<title>{html.escape(tooltip)}</title></circle>"
            )
    return parts


def legend(top: float, series: list[tuple[Line, list[str]]]) -> list[str]:
    """A line sample and a label (and the notes of its points) for each series, three to a
    row."""
    parts = []
    column_width = (WIDTH - 16) / 3
    for index, (line, notes) in enumerate(series):
        left = 8 + column_width * (index % 3)
        middle = top + LEGEND_ROW * (index // 3)
        parts.append(
            f"<path d='M{left:.1f} {middle}h24' stroke='{line.color}' stroke-width='2'"
            f"{dashing(line)}/>"
            f"<text x='{left + 30:.1f}' y='{middle + 4}'>"
            f"{html.escape(' '.join([line.label, *notes]))}</text>"
        )
    return parts


def line_chart(
    title: str, x_label: str, x_ticks: list[tuple[float, str]], rows: list[list[Panel]]
) -> str:
    """Rows of panels side by side (two fit), sharing the x axis's ticks, then a legend of
    every series (by label, the first panel's color and dash)."""
    parts = []
    top = TOP + 20
    for row in rows:
        for index, item in enumerate(row):
            parts += panel(PANEL_LEFT + index * (PANEL_WIDTH + PANEL_GAP), top, item, x_ticks)
        top += PANEL_HEIGHT + 60
    parts.append(
        f"<text x='{PANEL_LEFT + PANEL_WIDTH}' y='{top - 28}' text-anchor='middle' "
        f"fill='#555'>{html.escape(x_label)}</text>"
    )
    series: dict[str, tuple[Line, list[str]]] = {}
    for line in (line for row in rows for item in row for line in item.lines):
        notes = series.setdefault(line.label, (line, []))[1]
        notes += [bar.note for _, bar in line.points if bar.note and bar.note not in notes]
    parts += legend(top, list(series.values()))
    height = top + LEGEND_ROW * ((len(series) + 2) // 3) + 10
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"viewBox='0 0 {WIDTH} {height}' role='img' aria-label='{html.escape(title)}' {FONT}>"
        f"<rect width='100%' height='100%' fill='#fff'/>"
        f"<text x='8' y='20' font-size='15' font-weight='bold'>{html.escape(title)}</text>"
        f"{''.join(parts)}</svg>"
    )
