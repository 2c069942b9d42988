"""Inline SVG of the survey: each element's mean (1–5) by month, with its number of answers written under each bar.

Drawn like the dashboard's other charts (channels/web/charts.py): 340 units wide, every text 13 units, names and
the PAPI areas an element informs wrapped onto whole lines, never cut, and no label over another. A month with
fewer than FEW answers is drawn pale and outlined, and says so: two answers are not a trend.
"""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

from bot.papi.survey_stats import FEW, month_label
from channels.web.charts import FONT, LINE, WIDTH, svg_chart, text_lines, wrap

MONTHS = 5  # the latest months with answers: "03/2026" and "12 câu" fit under each bar on a phone
COLOUR, PALE, GREY = "#0969da", "#b6d4f5", "#57606a"
BAR = 56  # a 5/5 bar with its value written above it
LEFT = 1.0  # where lines start: a glyph such as "(" reaches a little left of its origin


def element_chart(elements: list[dict[str, Any]], by_month: dict[str, Any], areas: dict[int, str]) -> Markup:
    """A header of months, then per element its name, the PAPI areas it informs (`areas`: "III. …" by index)
    and a bar per month (its mean written above, its number of answers below)."""
    months = sorted(by_month)[-MONTHS:]
    slot = WIDTH / max(1, len(months))
    parts, y = [], 0.0
    if months:
        parts += [f'<text x="{i * slot + slot / 2:.1f}" y="{FONT}" font-size="{FONT}" text-anchor="middle">'
                  f"{escape(month_label(m))}</text>" for i, m in enumerate(months)]
        y = FONT + 8.0
    for element in elements:
        name = wrap(element["name"])
        parts.append(text_lines(LEFT, y + FONT, name, ' font-weight="bold"'))
        y += FONT + LINE * (len(name) - 1) + 4
        informs = "; ".join(areas.get(n, f"lĩnh vực {n}") for n in element["informs"])
        papi = wrap(f"PAPI: {informs}")
        parts.append(text_lines(LEFT, y + FONT, papi, f' fill="{GREY}"'))
        y += FONT + LINE * (len(papi) - 1) + 6
        if not months:
            parts.append(text_lines(LEFT, y + FONT, ["chưa có câu trả lời"]))
            y += LINE + 10
            continue
        for i, month in enumerate(months):
            figures = by_month[month]["elements"].get(element["key"], {"mean": None, "n": 0})
            parts.append(_bar(i * slot, y + FONT + 4, slot, figures, element["name"], month))
        y += FONT + 4 + BAR + LINE + 12
    notes = wrap(f"Cột nhạt, viền đứt: dưới {FEW} câu trả lời trong tháng, chưa đủ để đọc xu hướng.") + \
        wrap("Thang điểm: 1 là rất không hài lòng, 5 là rất hài lòng.")
    parts.append(text_lines(LEFT, y + FONT, notes, f' fill="{GREY}"'))
    height = y + FONT + LINE * (len(notes) - 1) + 6
    return svg_chart(height, "Mức hài lòng trung bình theo yếu tố và tháng, kèm số câu trả lời", "".join(parts))


def _bar(x: float, top: float, slot: float, figures: dict[str, Any], name: str, month: str) -> str:
    """One month's bar in a slot starting at `x`: the mean above it, the number of answers below the baseline."""
    n, mean = int(figures["n"]), figures["mean"]
    centre, base = x + slot / 2, top + BAR
    count = (f'<text x="{centre:.1f}" y="{base + FONT + 2:.1f}" font-size="{FONT}" text-anchor="middle">'
             f"{n} câu</text>")
    line = f'<line x1="{x + 4:.1f}" y1="{base:.1f}" x2="{x + slot - 4:.1f}" y2="{base:.1f}" stroke="{GREY}"/>'
    if not n or mean is None:
        return line + count
    h = (BAR - FONT - 2) * float(mean) / 5  # room above the tallest bar for its value
    w = min(28.0, slot * 0.45)
    few = n < FEW
    style = f'fill="{PALE}" stroke="{COLOUR}" stroke-dasharray="3 2"' if few else f'fill="{COLOUR}"'
    value = f"{float(mean):.1f}".replace(".", ",")
    note = f", chỉ {n} câu trả lời" if few else f", {n} câu trả lời"
    return (f'{line}<rect x="{centre - w / 2:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}" {style}>'
            f"<title>{escape(name)} – {escape(month_label(month))}: {value}/5{note}</title></rect>"
            f'<text x="{centre:.1f}" y="{base - h - 3:.1f}" font-size="{FONT}" text-anchor="middle">{value}</text>'
            f"{count}")
