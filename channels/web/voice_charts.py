"""Inline SVG of the survey: each element's mean (1–5) by month, with its number of answers written under each bar.

A month with fewer than FEW answers is drawn pale and outlined, and says so: two answers are not a trend.
"""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

from bot.survey_stats import FEW, month_label

MONTHS = 6  # the latest months shown
COLOUR, PALE = "#0969da", "#b6d4f5"


def element_chart(elements: list[dict[str, Any]], by_month: dict[str, Any], areas: dict[int, str],
                  width: int = 640) -> Markup:
    """One row per element: its name and the PAPI areas it informs, then a bar per month (mean, n answers)."""
    months = sorted(by_month)[-MONTHS:]
    label_w, row_h, bar_h = 250, 64, 36
    slot = (width - label_w - 10) / max(1, len(months))
    height = row_h * len(elements) + 44
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
             f'aria-label="Mức hài lòng trung bình theo yếu tố và tháng, kèm số câu trả lời">']
    for i, month in enumerate(months):
        parts.append(f'<text x="{label_w + i * slot + slot / 2:.1f}" y="12" font-size="11" text-anchor="middle">'
                     f'{escape(month_label(month))}</text>')
    for row, element in enumerate(elements):
        y = 20 + row * row_h
        informs = "; ".join(f"{n}. {areas.get(n, '')}".strip() for n in element["informs"])
        short = informs if len(informs) <= 42 else informs[:41] + "…"
        parts.append(f'<text x="0" y="{y + 16}" font-size="12" font-weight="bold">{escape(element["name"])}</text>'
                     f'<text x="0" y="{y + 32}" font-size="11" fill="#57606a"><title>PAPI: {escape(informs)}'
                     f'</title>PAPI {escape(short)}</text>')
        for i, month in enumerate(months):
            figures = by_month[month]["elements"].get(element["key"], {"mean": None, "n": 0})
            parts.append(_bar(label_w + i * slot, y, slot, bar_h, figures, element["name"], month))
    parts.append(f'<text x="0" y="{height - 18}" font-size="11" fill="#57606a">Cột nhạt, viền đứt: dưới {FEW} câu'
                 ' trả lời trong tháng, chưa đủ để đọc xu hướng.</text>'
                 f'<text x="0" y="{height - 4}" font-size="11" fill="#57606a">Thang điểm từ 1 (rất không hài lòng)'
                 ' đến 5 (rất hài lòng).</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar(x: float, y: float, slot: float, bar_h: int, figures: dict[str, Any], name: str, month: str) -> str:
    n, mean = int(figures["n"]), figures["mean"]
    centre, w = x + slot / 2, min(28.0, slot * 0.5)
    count = f'<text x="{centre:.1f}" y="{y + bar_h + 14}" font-size="10" text-anchor="middle">{n} câu</text>'
    if not n or mean is None:
        return count
    h = bar_h * float(mean) / 5
    few = n < FEW
    style = f'fill="{PALE}" stroke="{COLOUR}" stroke-dasharray="3 2"' if few else f'fill="{COLOUR}"'
    note = f", chỉ {n} câu trả lời" if few else f", {n} câu trả lời"
    value = f"{float(mean):.1f}".replace(".", ",")
    return (f'<rect x="{centre - w / 2:.1f}" y="{y + bar_h - h:.1f}" width="{w:.1f}" height="{h:.1f}" {style}>'
            f'<title>{escape(name)} – {escape(month_label(month))}: {value}/5{note}</title></rect>'
            f'<text x="{centre + w / 2 + 2:.1f}" y="{y + bar_h - h + 10:.1f}" font-size="10">{value}</text>{count}')
