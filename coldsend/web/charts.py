"""Daily charts as SVG, drawn on the server: one polyline per series over every day of the range."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
COLORS = ("#2456d6", "#1f7a3e", "#b45309", "#7c3aed", "#b42318", "#0e7490")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[int]
    color: str


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def series_by_day(
    rows: Sequence[Mapping[str, object]], days: Sequence[date], metrics: Sequence[tuple[str, str]]
) -> list[Series]:
    """Each metric summed per day (a day's rows, one per account say, add up); a day without rows is 0."""
    index = {day.isoformat(): position for position, day in enumerate(days)}
    sums = {key: [0] * len(days) for key, _ in metrics}
    for row in rows:
        position = index.get(str(row["date"])[:10])
        if position is None:
            continue
        for key, _ in metrics:
            value = row.get(key)
            sums[key][position] += value if isinstance(value, int) else 0
    return [Series(label, sums[key], COLORS[i % len(COLORS)]) for i, (key, label) in enumerate(metrics)]


def _nice_top(peak: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or over the peak (1 for an empty chart)."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= peak:
                return factor * magnitude
        magnitude *= 10


def line_chart(title: str, days: Sequence[date], series: Sequence[Series]) -> str:
    """An accessible SVG (role img, a title, and a table of the numbers beside it in the page)."""
    peak = max((value for one in series for value in one.values), default=0)
    top = _nice_top(peak)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days) - 1, 1)

    def x(position: int) -> float:
        return LEFT + position * step

    def y(value: int) -> float:
        return TOP + plot_h - (value / top) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        level = round(top * fraction)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
            'stroke="#d8dce4"/>'
            f'<text x="{LEFT - 6}" y="{y(level) + 4:.1f}" text-anchor="end">{level}</text>'
        )
    labelled = {0, len(days) - 1} | {len(days) // 2}
    for position in sorted(labelled):
        if 0 <= position < len(days):
            anchor = "start" if position == 0 else "end" if position == len(days) - 1 else "middle"
            parts.append(
                f'<text x="{x(position):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}">'
                f"{days[position].isoformat()[5:]}</text>"
            )
    for one in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(one.values))
        parts.append(
            f'<polyline fill="none" stroke="{one.color}" stroke-width="2" points="{points}" '
            f'data-series="{escape(one.name)}" data-total="{sum(one.values)}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
