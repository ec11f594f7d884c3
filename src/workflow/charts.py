"""Small server-rendered SVG charts (no script needed to read them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

LEVELS = {"不合格": 1, "合格": 2, "良好": 3, "优秀": 4}
COLOURS = {1: "#b42318", 2: "#855900", 3: "#0b5cad", 4: "#146c2e"}


@dataclass(frozen=True)
class Point:
    label: str      # e.g. "第3年"
    rating: str     # 优秀 / 良好 / 合格 / 不合格
    average: float  # mean of the criterion scores, 0-100


def ratings(points: Sequence[Point], title: str, level_names: dict[str, str] | None = None) -> Markup:
    """Ratings over the years as dots on four levels, with the average score as a line."""
    names = level_names or {k: k for k in LEVELS}
    width, height, left, right, top, bottom = 640, 220, 70, 40, 16, 36
    step = (width - left - right) / max(len(points) - 1, 1)
    inner = height - top - bottom

    def y_level(level: int) -> float:
        return top + inner - (level - 1) / 3 * inner

    def y_score(score: float) -> float:
        return top + inner - score / 100 * inner

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for name, level in LEVELS.items():
        y = y_level(level)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
                     f'{escape(names[name])}</text>')
    line = " ".join(f"{left + i * step:.1f},{y_score(p.average):.1f}" for i, p in enumerate(points))
    if len(points) > 1:
        parts.append(f'<polyline points="{line}" class="average"/>')
    for i, p in enumerate(points):
        x, level = left + i * step, LEVELS.get(p.rating, 1)
        shown = escape(names.get(p.rating, p.rating))
        parts.append(f'<circle cx="{x:.1f}" cy="{y_level(level):.1f}" r="6" fill="{COLOURS[level]}">'
                     f'<title>{escape(p.label)}: {shown} ({p.average:.1f})</title></circle>')
        if len(points) <= 12 or i % max(len(points) // 12, 1) == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" class="axis">'
                         f'{escape(p.label)}</text>')
    parts.append("</svg>")
    # Every interpolated text went through html.escape above; numbers are formatted floats.
    return Markup("".join(parts))  # noqa: S704


def bars(items: Sequence[tuple[str, int, int]], title: str) -> Markup:
    """Horizontal bars: (label, value, level 1-4 for the colour)."""
    width, row, left = 360, 26, 70
    top = max((v for _, v, _ in items), default=0) or 1
    parts = [f'<svg class="chart bars" viewBox="0 0 {width} {row * len(items) + 8}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value, level) in enumerate(items):
        y = 4 + i * row
        length = (width - left - 40) * value / top
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" class="axis">{escape(label)}</text>'
                     f'<rect x="{left}" y="{y + 4}" width="{max(length, 2):.1f}" height="14" rx="2" '
                     f'fill="{COLOURS.get(level, "#0b5cad")}"/>'
                     f'<text x="{left + length + 6:.1f}" y="{y + 15}" class="axis">{value}</text>')
    parts.append("</svg>")
    # Labels went through html.escape; the rest are numbers.
    return Markup("".join(parts))  # noqa: S704
