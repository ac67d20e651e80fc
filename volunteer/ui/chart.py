"""Draw the monthly compliance-rate chart (R24) as a self-contained, inline-safe SVG."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from .text import month_text, percent_text

_LINE = "#2563eb"
_MUTED = "#6b7280"
_GRID_STEPS = (0, 25, 50, 75, 100)
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NO_DATA = {"zh": ("无数据", "暂无数据"), "en": ("no data", "No data yet")}
_RUNNING = {"zh": "进行中", "en": "so far"}
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 22, 38


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _split_month(month: str, lang: str = "zh") -> tuple[str, str]:
    """Return ("11月", "2026年") or ("Nov", "2026") for "2026-11"; the raw text otherwise."""
    year, sep, mon = month.partition("-")
    if lang == "en" and sep and mon.isdigit() and 1 <= int(mon) <= 12:
        return _MONTHS_EN[int(mon) - 1], year
    text = month_text(month)
    year, sep, rest = text.partition("年")
    return (rest, f"{year}年") if sep else (month, "")


def _full_month(month: str, lang: str) -> str:
    label, year = _split_month(month, lang)
    return f"{label} {year}" if lang == "en" and year else month_text(month)


def _describe(history: list[tuple[str, float | None]], lang: str) -> str:
    none, empty = _NO_DATA.get(lang, _NO_DATA["zh"])
    parts = [
        f"{_full_month(m, lang)} {percent_text(r) if r is not None else none}" for m, r in history
    ]
    return ("; " if lang == "en" else "；").join(parts) if parts else empty


def _grid(width: int, y_of: Callable[[float], float]) -> list[str]:
    out = ['<g fill="currentColor" font-size="11" text-anchor="end">']
    for step in _GRID_STEPS:
        y = _num(y_of(step / 100))
        out.append(
            f'<line x1="{_LEFT}" x2="{width - _RIGHT}" y1="{y}" y2="{y}" '
            f'stroke="currentColor" stroke-opacity="{0.35 if step == 0 else 0.12}"/>'
        )
        out.append(f'<text x="{_LEFT - 6}" y="{y}" dy="0.35em" fill-opacity="0.7">{step}%</text>')
    out.append("</g>")
    return out


def _segments(points: list[tuple[float, float] | None]) -> list[str]:
    """Return one polyline per run of consecutive months with data, so gaps stay gaps."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [
        f'<polyline points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in run)}" fill="none" '
        f'stroke="{_LINE}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>'
        for run in runs
        if len(run) > 1
    ]


def _month_labels(
    history: list[tuple[str, float | None]],
    x_of: Callable[[int], float],
    baseline: float,
    lang: str,
) -> list[str]:
    out = ['<g fill="currentColor" font-size="12" text-anchor="middle">']
    for index, (month, _) in enumerate(history):
        x = _num(x_of(index))
        label, year = _split_month(month, lang)
        out.append(f'<text x="{x}" y="{_num(baseline + 16)}">{_attr(label)}</text>')
        # The year is shown where it starts: the first month and every January.
        if year and (index == 0 or month.endswith("-01")):
            y = _num(baseline + 31)
            out.append(
                f'<text x="{x}" y="{y}" font-size="10" fill-opacity="0.6">{_attr(year)}</text>'
            )
    out.append("</g>")
    return out


def _gap_mark(x: str, baseline: float, month: str, lang: str) -> str:
    label = _attr(f"{_full_month(month, lang)} {_NO_DATA.get(lang, _NO_DATA['zh'])[0]}")
    return f'<text x="{x}" y="{_num(baseline - 6)}" fill="{_MUTED}">–<title>{label}</title></text>'


def _point_mark(x: str, y: float, month: str, rate: float, lang: str) -> list[str]:
    value = percent_text(rate)
    label = _attr(f"{_full_month(month, lang)} {value}")
    return [
        f'<circle class="point" data-month="{_attr(month)}" cx="{x}" cy="{_num(y)}" r="4" '
        f'stroke="#ffffff" stroke-width="1.5"><title>{label}</title></circle>',
        f'<text x="{x}" y="{_num(y - 9)}" stroke="#ffffff" stroke-width="3">{value}</text>',
    ]


def _running_mark(x: str, y: float, month: str, rate: float, lang: str) -> list[str]:
    """The month still running: a hollow point and "进行中", not a final-looking value."""
    words = _RUNNING.get(lang, _RUNNING["zh"])
    label = _attr(f"{_full_month(month, lang)} {words} {percent_text(rate)}")
    return [
        f'<circle class="point running" data-month="{_attr(month)}" cx="{x}" cy="{_num(y)}" '
        f'r="4" fill="#ffffff" stroke="{_LINE}" stroke-width="2"><title>{label}</title></circle>',
        f'<text x="{x}" y="{_num(y - 9)}" stroke="#ffffff" stroke-width="3" '
        f'fill="{_MUTED}">{_attr(words)}</text>',
    ]


def _marks(
    history: list[tuple[str, float | None]],
    x_of: Callable[[int], float],
    y_of: Callable[[float], float],
    baseline: float,
    lang: str,
    running: str | None = None,
) -> list[str]:
    # A white halo (paint-order) keeps a value legible where the line runs through it.
    out = [
        f'<g font-size="12" text-anchor="middle" fill="{_LINE}" '
        'stroke-linejoin="round" paint-order="stroke">'
    ]
    for index, (month, rate) in enumerate(history):
        x = _num(x_of(index))
        if rate is None:
            out.append(_gap_mark(x, baseline, month, lang))
        elif month == running:
            out += _running_mark(x, y_of(rate), month, rate, lang)
        else:
            out += _point_mark(x, y_of(rate), month, rate, lang)
    out.append("</g>")
    return out


def compliance_chart_svg(
    history: list[tuple[str, float | None]],
    width: int = 640,
    height: int = 240,
    title: str = "月度达标率",
    lang: str = "zh",
    running: str | None = None,
) -> str:
    """Return an SVG line chart of monthly compliance rates (0–1, None for no data).

    `lang` ("zh" or "en") picks the words of the month labels and of "no data";
    `running` names the month still under way (drawn as in progress, off the line).
    """
    plot_width = width - _LEFT - _RIGHT
    baseline = height - _BOTTOM
    slot = plot_width / max(len(history), 1)

    def x_of(index: int) -> float:
        return _LEFT + slot * (index + 0.5)

    def y_of(rate: float) -> float:
        clamped = min(max(rate, 0.0), 1.0)
        return baseline - clamped * (baseline - _TOP)

    points = [
        None if rate is None or month == running else (x_of(i), y_of(rate))
        for i, (month, rate) in enumerate(history)
    ]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="{_attr(title)}">',
        f"<title>{_attr(title)}</title>",
        f"<desc>{_attr(_describe(history, lang))}</desc>",
        *_grid(width, y_of),
        *_segments(points),
        *_marks(history, x_of, y_of, baseline, lang, running),
        *_month_labels(history, x_of, baseline, lang),
    ]
    if not any(rate is not None for _, rate in history):
        parts.append(
            f'<text x="{_num(_LEFT + plot_width / 2)}" y="{_num((baseline + _TOP) / 2)}" '
            f'text-anchor="middle" font-size="13" fill="{_MUTED}">'
            f"{_NO_DATA.get(lang, _NO_DATA['zh'])[1]}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
