"""Inline SVG charts drawn on the server: no JavaScript, no external files, readable on a phone and when printed.

The charts are drawn 340 units wide and shown at most 30rem wide (web.css `.chart`), so on a 390 px phone one
unit is about one CSS pixel and every text (13 units) stays at least 12 px; names are wrapped onto whole lines
above their bar, never cut, and labels are laid out so none overlaps another.
"""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

WIDTH = 340
FONT = 13  # every text of every chart, in chart units
CHAR = 0.62 * FONT  # a generous average glyph width, to lay labels out without measuring them
LINE = 17
# Colours with enough contrast against white and against each other (colour-blind safe ordering).
STATUS_COLOURS = (("done", "#1a7f37", "Hoàn thành"), ("ongoing", "#0969da", "Thường xuyên"),
                  ("upcoming", "#9a6700", "Chưa đến hạn"), ("unreported", "#57606a", "Chưa có kết quả"),
                  ("overdue", "#cf222e", "Quá hạn"))
SERIES = (("received", "#0969da", "Nhận"), ("answered", "#1a7f37", "Đã trả lời"), ("pending", "#cf222e", "Còn chờ"))


def wrap(text: str, width: float = WIDTH) -> list[str]:
    """Whole words per line, each line at most `width` units wide by the glyph estimate."""
    limit = max(8, int(width / CHAR))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def text_lines(x: float, y: float, lines: list[str], extra: str = "") -> str:
    """One <text> of several lines (tspans); its text content is the whole string, spaces kept."""
    spans = "".join(f'<tspan x="{x}" dy="{0 if i == 0 else LINE}">{escape(line)}{" " if i < len(lines) - 1 else ""}'
                    f"</tspan>" for i, line in enumerate(lines))
    return f'<text x="{x}" y="{y}" font-size="{FONT}"{extra}>{spans}</text>'


def _legend(items: list[tuple[str, str]], y: float) -> tuple[str, float]:
    """Colour keys in rows that wrap at the chart's width; the markup and the height used."""
    out, x, top = [], 0.0, y
    for colour, label in items:
        width = 18 + CHAR * len(label) + 14
        if x and x + width > WIDTH:
            x, y = 0.0, y + LINE + 4
        out.append(f'<rect x="{x:.1f}" y="{y - 11}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 17:.1f}" y="{y}" font-size="{FONT}">{escape(label)}</text>')
        x += width
    return "".join(out), y - top + LINE


def svg_chart(height: float, label: str, body: str) -> Markup:
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(label)}" '
                  f'xmlns="http://www.w3.org/2000/svg">{body}</svg>')


def progress_bars(areas: list[dict[str, Any]], statuses: tuple[str, ...] = ()) -> Markup:
    """One stacked bar per PAPI area under its full name: tasks by status, with the counts written in."""
    shown = [s for s in STATUS_COLOURS if not statuses or s[0] in statuses]
    parts, y = [], 0.0
    for area in areas:
        name = f"{area['number']}. {area['name']}"
        lines = wrap(name)
        parts.append(text_lines(0, y + FONT, lines, ' class="area-name"'))
        y += FONT + LINE * (len(lines) - 1) + 6
        x, total = 0.0, max(1, int(area["total"]))
        for key, colour, label in shown:
            count = int(area.get(key, 0))
            if not count:
                continue
            w = WIDTH * count / total
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="20" fill="{colour}">'
                         f"<title>{escape(name)} – {label}: {count}</title></rect>")
            if w >= CHAR * len(str(count)) + 6:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + 15:.1f}" font-size="{FONT}" fill="#fff" '
                             f'text-anchor="middle">{count}</text>')
            x += w
        y += 20 + 14
    legend, used = _legend([(c, label) for _, c, label in shown], y + FONT)
    return svg_chart(y + used + 4, "Tiến độ nhiệm vụ theo lĩnh vực", "".join(parts) + legend)


def weekly_chart(weeks: list[dict[str, Any]], height: int = 210) -> Markup:
    """Grouped bars per week: questions received, answered, and still pending at the week's end."""
    top = max([1] + [int(w[k]) for w in weeks for k, _, _ in SERIES])
    left, bottom = 8 + CHAR * len(str(top)), height - 48
    plot_h = bottom - 14
    slot = (WIDTH - left - 4) / max(1, len(weeks))
    bar = max(2.0, slot / 4)
    step = max(1, -(-int(CHAR * 5 + 8) // max(1, int(slot))))  # weeks between date labels, so none overlaps
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH}" y2="{bottom}" stroke="#57606a"/>',
             f'<text x="0" y="{bottom - plot_h + FONT}" font-size="{FONT}">{top}</text>',
             f'<text x="0" y="{bottom}" font-size="{FONT}">0</text>']
    for i, week in enumerate(weeks):
        x = left + i * slot + bar / 2
        for j, (key, colour, label) in enumerate(SERIES):
            h = plot_h * int(week[key]) / top
            parts.append(f'<rect x="{x + j * bar:.1f}" y="{bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{escape(week["label"])} – {label}: {week[key]}</title></rect>')
        if i % step == 0:
            parts.append(f'<text x="{x:.1f}" y="{bottom + FONT + 4}" font-size="{FONT}">{escape(week["label"])}</text>')
    legend, _ = _legend([(c, label) for _, c, label in SERIES], height - 8)
    return svg_chart(height, "Câu hỏi nhận, đã trả lời và còn chờ theo tuần", "".join(parts) + legend)
