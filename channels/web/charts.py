"""Inline SVG charts drawn on the server: no JavaScript, no external files, readable when printed."""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

# Colours with enough contrast against white and against each other (colour-blind safe ordering).
STATUS_COLOURS = (("done", "#1a7f37", "Hoàn thành"), ("ongoing", "#0969da", "Thường xuyên"),
                  ("upcoming", "#9a6700", "Chưa đến hạn"), ("overdue", "#cf222e", "Quá hạn"))
SERIES = (("received", "#0969da", "Nhận"), ("answered", "#1a7f37", "Đã trả lời"), ("pending", "#cf222e", "Còn chờ"))


def progress_bars(areas: list[dict[str, Any]], width: int = 640) -> Markup:
    """One stacked bar per PAPI area: done, ongoing, upcoming, overdue tasks, with the counts written in."""
    label_w, row_h, bar_w = 230, 30, width - 230 - 10
    height = row_h * len(areas) + 34
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Tiến độ nhiệm vụ theo lĩnh vực" xmlns="http://www.w3.org/2000/svg">']
    for i, area in enumerate(areas):
        y = i * row_h + 4
        name = f"{area['number']}. {area['name']}"
        short = name if len(name) <= 34 else name[:33] + "…"
        parts.append(f'<text x="0" y="{y + 17}" font-size="12"><title>{escape(name)}</title>{escape(short)}</text>')
        x = float(label_w)
        total = max(1, int(area["total"]))
        for key, colour, label in STATUS_COLOURS:
            count = int(area[key])
            if not count:
                continue
            w = bar_w * count / total
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="20" fill="{colour}">'
                         f'<title>{label}: {count}</title></rect>')
            if w >= 14:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + 17}" font-size="11" fill="#fff" '
                             f'text-anchor="middle">{count}</text>')
            x += w
    parts.append(_legend(STATUS_COLOURS, len(areas) * row_h + 20, label_w))
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(items: tuple[tuple[str, str, str], ...], y: int, x0: int = 0) -> str:
    out, x = [], x0
    for _, colour, label in items:
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="{y}" font-size="12">{label}</text>')
        x += 28 + 7 * len(label)
    return "".join(out)


def weekly_chart(weeks: list[dict[str, Any]], width: int = 640, height: int = 220) -> Markup:
    """Grouped bars per week: questions received, answered, and still pending at the week's end."""
    top = max([1] + [int(w[k]) for w in weeks for k, _, _ in SERIES])
    left, bottom, plot_h = 30, height - 44, height - 70
    slot = (width - left - 10) / max(1, len(weeks))
    bar = max(2.0, slot / 4)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Câu hỏi nhận, đã trả lời và còn chờ theo tuần" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 5}" y2="{bottom}" stroke="#57606a"/>',
             f'<text x="0" y="{bottom - plot_h + 4}" font-size="11">{top}</text>',
             f'<text x="0" y="{bottom}" font-size="11">0</text>']
    for i, week in enumerate(weeks):
        x = left + i * slot + bar / 2
        for j, (key, colour, label) in enumerate(SERIES):
            h = plot_h * int(week[key]) / top
            parts.append(f'<rect x="{x + j * bar:.1f}" y="{bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{escape(week["label"])} – {label}: {week[key]}</title></rect>')
        if i % max(1, len(weeks) // 6) == 0:
            parts.append(f'<text x="{x:.1f}" y="{bottom + 14}" font-size="11">{escape(week["label"])}</text>')
    parts.append(_legend(SERIES, height - 6, left))
    parts.append("</svg>")
    return Markup("".join(parts))
