"""Table cells of the office's report as clean text: HTML fragments to lines, bullets, results, unit names."""

from __future__ import annotations

import html
import re

from bot.understanding.text import clean

# Abbreviations and typos of unit names seen in reports, mapped to one spelling.
_UNIT_FIXES = {"Trung tâm PVHHC": "Trung tâm PVHCC", "Các, phòng, ban": "Các phòng, ban"}

BLOCK_TAG = re.compile(r"<\s*/?\s*(p|ul|ol|li|br|div)\b[^>]*>", re.IGNORECASE)
ANY_TAG = re.compile(r"<[^>]+>")
_RESULT = re.compile(r"\bKết quả\s*:", re.IGNORECASE)


def _bullets(line: str) -> list[str]:
    """Split "- A. - B" (bullets typed inline) into items; "2021 - 2025" and "57- UBND" stay whole."""
    cuts = [m.start() for m in re.finditer(r"(?<=[\s.;:])-\s+(?=\w)", line)
            if line[m.end():m.end() + 1].isupper()]
    if line.startswith("-"):
        cuts.insert(0, 0)
    if not cuts:
        return [line]
    parts = [line[:cuts[0]]] + [line[a:b] for a, b in zip(cuts, [*cuts[1:], len(line)], strict=True)]
    return [p.strip() for p in parts if p.strip(" -")]


def cell_text(cell: str) -> str:
    """A table cell's HTML fragment as clean text: one paragraph or "- " bullet per line."""
    text = BLOCK_TAG.sub("\n", cell)
    text = html.unescape(ANY_TAG.sub("", text)).replace("*", "")
    lines: list[str] = []
    for raw in text.split("\n"):
        for item in _bullets(clean(raw)) if raw.strip() else []:
            item = re.sub(r"^-\s*", "- ", item)
            lines.append(item)
    return "\n".join(lines).strip()


def split_result(text: str) -> tuple[str, str]:
    """Task text and the result reported after "Kết quả:" (empty when none)."""
    m = _RESULT.search(text)
    if not m:
        return text.strip(), ""
    return text[:m.start()].strip(), text[m.end():].strip()


def short_title(text: str, limit: int = 110) -> str:
    """The task's first sentence, cut at a word boundary to about `limit` characters."""
    first = text.split("\n")[0].strip().rstrip(".")
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def normalize_unit(unit: str) -> str:
    """One spelling per unit: a bare office code such as "TCHCQT" becomes "Phòng TCHCQT"."""
    unit = clean(unit).strip(" .;,")
    for wrong, right in _UNIT_FIXES.items():
        unit = unit.replace(wrong, right)
    if re.fullmatch(r"[A-ZĐ]{3,}", unit):
        unit = f"Phòng {unit}"
    return unit
