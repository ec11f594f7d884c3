"""Small server-rendered SVG charts (no script needed to read them), titled and described for screen readers.

Every colour that draws text or data has a contrast of at least 4.5:1 against white and against every
band fill (tests/test_charts.py checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from itertools import count

from markupsafe import Markup

LEVELS = {"不合格": 1, "合格": 2, "良好": 3, "优秀": 4}
COLOURS = {1: "#b42318", 2: "#855900", 3: "#0b5cad", 4: "#146c2e"}
TEXT = "#1d2430"
GRID = "#5b6472"
# Light fills of the rating bands, lowest first.
BAND_FILLS = ("#fdf1f0", "#fdf8e8", "#eef4fc", "#eef8f0")
# One colour per zone (and a marker shape), dark enough for text contrast on white and on the bands.
SERIES = ("#0b5cad", "#b42318", "#1a7431", "#6b3fa0", "#8a5a00", "#1d2430", "#a4266c", "#005f73")
SHAPES = ("circle", "square", "diamond", "triangle")
_ids = count(1)


@dataclass(frozen=True)
class Point:
    """One evaluation: its calendar year, the rating it got, the score the rating table reads (mean, 0-100)."""

    label: str
    rating: str
    score: float
    at: datetime | None = None


@dataclass(frozen=True)
class Band:
    """A rating's range of the mean score, from the rating table (DMN)."""

    rating: str
    label: str
    low: float
    high: float


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[Point]


DEFAULT_BANDS = (Band("不合格", "不合格", 0, 60), Band("合格", "合格", 60, 80), Band("良好", "良好", 80, 90),
                 Band("优秀", "优秀", 90, 100))


def _marker(shape: str, x: float, y: float, colour: str, tip: str) -> str:
    title = f"<title>{escape(tip)}</title>"
    if shape == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}">{title}</rect>'
    if shape == "diamond":
        return (f'<polygon points="{x:.1f},{y - 6:.1f} {x + 6:.1f},{y:.1f} {x:.1f},{y + 6:.1f} {x - 6:.1f},{y:.1f}" '
                f'fill="{colour}">{title}</polygon>')
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - 6:.1f} {x + 6:.1f},{y + 5:.1f} {x - 6:.1f},{y + 5:.1f}" '
                f'fill="{colour}">{title}</polygon>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5.5" fill="{colour}">{title}</circle>'


def ratings(series: Sequence[Series], bands: Sequence[Band], title: str, description: str,
            axis_label: str, names: dict[str, str] | None = None) -> Markup:
    """Mean scores by calendar year on a 0-100 score axis over the rating bands, one line per zone, with a legend."""
    names = names or {}
    years = sorted({p.label for s in series for p in s.points})
    width, left, right, top = 680, 52, 96, 16
    legend_rows = (len(series) + 2) // 3 if len(series) > 1 else 0
    plot_h, bottom = 220, 34
    height = top + plot_h + bottom + legend_rows * 20
    step = (width - left - right) / max(len(years), 1)
    uid = next(_ids)

    def y(score: float) -> float:
        return top + plot_h - max(0.0, min(score, 100.0)) / 100 * plot_h

    def x(label: str) -> float:
        return left + step * (years.index(label) + 0.5)

    parts = [f'<svg class="chart ratings" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="chart{uid}-t chart{uid}-d" xmlns="http://www.w3.org/2000/svg">'
             f'<title id="chart{uid}-t">{escape(title)}</title><desc id="chart{uid}-d">{escape(description)}</desc>']
    for i, band in enumerate(bands):
        parts.append(f'<rect x="{left}" y="{y(band.high):.1f}" width="{width - left - right}" '
                     f'height="{y(band.low) - y(band.high):.1f}" fill="{BAND_FILLS[i % len(BAND_FILLS)]}"/>'
                     f'<text x="{width - right + 6}" y="{(y(band.low) + y(band.high)) / 2 + 4:.1f}" fill="{TEXT}" '
                     f'class="band">{escape(names.get(band.rating, band.label))} ≥{band.low:g}</text>')
    for score in range(0, 101, 20):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(score):.1f}" y2="{y(score):.1f}" '
                     f'stroke="{GRID}" stroke-width="0.5" stroke-dasharray="2 3"/>'
                     f'<text x="{left - 6}" y="{y(score) + 4:.1f}" text-anchor="end" fill="{TEXT}">{score}</text>')
    parts.append(f'<text x="14" y="{top + plot_h / 2:.1f}" fill="{TEXT}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(axis_label)}</text>')
    for label in years:
        parts.append(f'<text x="{x(label):.1f}" y="{top + plot_h + 20}" text-anchor="middle" fill="{TEXT}">'
                     f'{escape(label)}</text>')
    for i, s in enumerate(series):
        colour, shape = SERIES[i % len(SERIES)], SHAPES[i % len(SHAPES)]
        coords = [(x(p.label), y(p.score), p) for p in s.points]
        if len(coords) > 1:
            line = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy, _ in coords)
            parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for cx, cy, p in coords:
            rating = names.get(p.rating, p.rating)
            parts.append(_marker(shape, cx, cy, colour, f"{s.name} {p.label}: {p.score:.1f} ({rating})"))
    for i, s in enumerate(series if legend_rows else ()):
        lx, ly = left + (i % 3) * 200, top + plot_h + bottom + (i // 3) * 20 + 8
        parts.append(_marker(SHAPES[i % len(SHAPES)], lx + 6, ly, SERIES[i % len(SERIES)], s.name) +
                     f'<text x="{lx + 16}" y="{ly + 4}" fill="{TEXT}">{escape(s.name)}</text>')
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
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" fill="{TEXT}">{escape(label)}</text>'
                     f'<rect x="{left}" y="{y + 4}" width="{max(length, 2):.1f}" height="14" rx="2" '
                     f'fill="{COLOURS.get(level, "#0b5cad")}"/>'
                     f'<text x="{left + length + 6:.1f}" y="{y + 15}" fill="{TEXT}">{value}</text>')
    parts.append("</svg>")
    # Labels went through html.escape; the rest are numbers.
    return Markup("".join(parts))  # noqa: S704


def columns(groups: Sequence[tuple[str, Sequence[float]]], names: Sequence[str], title: str, description: str,
            unit: str = "") -> Markup:
    """Grouped vertical bars: one group per label (e.g. a quarter), one bar per series, with a legend."""
    width, left, top, plot_h, bottom = 680, 44, 28, 180, 30
    peak = max((v for _, values in groups for v in values), default=0) or 1
    group_w = (width - left - 10) / max(len(groups), 1)
    bar_w = min(28.0, group_w * 0.8 / max(len(names), 1))
    uid = next(_ids)
    parts = [f'<svg class="chart columns" viewBox="0 0 {width} {top + plot_h + bottom}" role="img" '
             f'aria-labelledby="chart{uid}-t chart{uid}-d" xmlns="http://www.w3.org/2000/svg">'
             f'<title id="chart{uid}-t">{escape(title)}</title><desc id="chart{uid}-d">{escape(description)}</desc>']
    for i, name in enumerate(names):
        parts.append(f'<rect x="{left + i * 150}" y="6" width="12" height="12" fill="{SERIES[i % len(SERIES)]}"/>'
                     f'<text x="{left + i * 150 + 18}" y="16" fill="{TEXT}">{escape(name)}</text>')
    base = top + plot_h
    parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{base}" y2="{base}" stroke="{TEXT}"/>'
                 f'<text x="{left - 6}" y="{top + 8}" text-anchor="end" fill="{TEXT}">{peak:g}{escape(unit)}</text>'
                 f'<text x="{left - 6}" y="{base}" text-anchor="end" fill="{TEXT}">0</text>')
    for g, (label, values) in enumerate(groups):
        x0 = left + g * group_w + (group_w - bar_w * len(values)) / 2
        for i, value in enumerate(values):
            h = plot_h * value / peak
            parts.append(f'<rect x="{x0 + i * bar_w:.1f}" y="{base - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                         f'fill="{SERIES[i % len(SERIES)]}"><title>{escape(label)} {escape(names[i])}: '
                         f'{value:g}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{base + 18}" text-anchor="middle" '
                     f'fill="{TEXT}">{escape(label)}</text>')
    parts.append("</svg>")
    # Labels and names went through html.escape; the rest are numbers.
    return Markup("".join(parts))  # noqa: S704


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
