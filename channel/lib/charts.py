"""Small line charts drawn as SVG on the server (the dashboard's last 24 hours): no script, no
request to the internet. Pure functions: values in, SVG text out."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 36
COLOURS = ["#417690", "#e08e0b", "#5b8a5b", "#ba2121", "#7a4fa0", "#333333"]


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float | None]  # one per x label; None: no data in that slot
    dashed: bool = False


def nice_max(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1.0
    scale = 1.0
    while scale * 10 < value:
        scale *= 10
    for step in (1, 2, 5, 10):
        if step * scale >= value:
            return step * scale
    return 10 * scale


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 10000 else f"{value / 1000:g}k"


def line_chart(title: str, unit: str, x_labels: list[str], series: list[Series]) -> str:
    """An SVG line chart; `unit` is printed on the y axis (e.g. "orders", "ms", "%")."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for s in series for v in s.values if v is not None]
    top = nice_max(max(values, default=0))
    slots = max(1, len(x_labels) - 1)

    def x(i: int) -> float:
        return LEFT + plot_w * i / slots

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="proxy-chart" viewBox="0 0 {WIDTH} '
        f'{HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold" fill="#333">'
        f"{escape(title)}</text>",
    ]
    for tick in (0, 0.5, 1):
        ty = y(top * tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 4}" y="{ty + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#666">{_fmt(top * tick)}</text>'
        )
    parts.append(
        f'<text x="10" y="{TOP + plot_h / 2:.0f}" font-size="10" fill="#666" '
        f'transform="rotate(-90 10 {TOP + plot_h / 2:.0f})" text-anchor="middle">'
        f"{escape(unit)}</text>"
    )
    step = max(1, len(x_labels) // 8)
    for i, label in enumerate(x_labels):
        if i % step == 0 or i == len(x_labels) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="10" '
                f'text-anchor="middle" fill="#666">{escape(label)}</text>'
            )
    for n, line in enumerate(series):
        parts += _series(line, COLOURS[n % len(COLOURS)], x, y)
        lx = LEFT + n * 130
        parts.append(
            f'<rect x="{lx}" y="{HEIGHT - 14}" width="10" height="10" fill="{COLOURS[n % 6]}"/>'
            f'<text x="{lx + 14}" y="{HEIGHT - 5}" font-size="11" fill="#333">'
            f"{escape(line.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _series(line: Series, colour: str, x: object, y: object) -> list[str]:
    """The polyline of one series (broken where a slot has no data) and a dot per point."""
    assert callable(x) and callable(y)
    parts: list[str] = []
    run: list[str] = []
    dash = ' stroke-dasharray="4 3"' if line.dashed else ""
    for i, value in enumerate([*line.values, None]):
        if value is None:
            if len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} '
                    f'points="{" ".join(run)}"/>'
                )
            run = []
            continue
        point = f"{x(i):.1f},{y(value):.1f}"
        run.append(point)
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2" fill="{colour}">'
            f"<title>{escape(line.label)}: {value:g}</title></circle>"
        )
    return parts
