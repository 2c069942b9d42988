"""The report's figures (knowledge/metrics.yaml) and the checks that they add up and agree."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from bot.understanding.text import fold

_NUMBER = r"\d+(?:,\d+)?"
_DOC = re.compile(r"(Kế hoạch|Quyết định|Báo cáo|Công văn|Thông báo|Nghị quyết|Kết luận)\s+số\s+"
                  r"(\d+\s*/\s*[0-9A-ZĐ][0-9A-ZĐa-zđ/\-]*(?:\s*-?\s*[A-ZĐ][A-ZĐ\-]*)?)\s+"
                  r"ngày\s+(?:ngày\s+)?(\d{1,2}/\d{1,2}/\d{4})")
_SECTION = re.compile(r"^(\d+)\.\s+Nội dung\s*[“\"](.+?)[”\"]", re.MULTILINE)


class MetricsError(ValueError):
    """metrics.yaml is missing or inconsistent in itself (unknown key, bad value)."""


@dataclass(frozen=True)
class Metric:
    """One figure of the report."""

    key: str
    label: str
    value: float
    unit: str
    period: str
    section: str
    parts: tuple[str, ...] = ()
    percent: float | None = None
    percent_of: str | None = None
    also_stated: tuple[tuple[float, str], ...] = ()
    find: tuple[str, ...] = ()
    hidden: bool = False


@dataclass(frozen=True)
class Discrepancy:
    """Something in the report that does not add up or does not agree."""

    kind: str
    message: str
    keys: tuple[str, ...] = field(default=())


def _num(value: float) -> str:
    """A figure the Vietnamese way: 12,2 and 609 (no trailing ,0)."""
    return f"{value:g}".replace(".", ",")


def _metric(raw: dict[str, Any]) -> Metric:
    return Metric(
        key=str(raw["key"]), label=str(raw["label"]), value=float(raw["value"]), unit=str(raw["unit"]),
        period=str(raw.get("period", "")), section=str(raw.get("section", "")),
        parts=tuple(raw.get("parts") or ()), percent=raw.get("percent"), percent_of=raw.get("percent_of"),
        also_stated=tuple((float(s["value"]), str(s["where"])) for s in raw.get("also_stated") or ()),
        find=tuple(raw.get("find") or ()), hidden=bool(raw.get("hidden", False)),
    )


def load_metrics(path: Path) -> list[Metric]:
    """Read metrics.yaml; unknown references and unreadable values raise MetricsError."""
    try:
        metrics = [_metric(m) for m in yaml.safe_load(path.read_text(encoding="utf-8"))["metrics"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise MetricsError(f"Không đọc được {path}: {exc}") from exc
    keys = [m.key for m in metrics]
    for m in metrics:
        if keys.count(m.key) > 1:
            raise MetricsError(f"{path}: khóa {m.key} xuất hiện hai lần.")
        unknown = [k for k in (*m.parts, m.percent_of) if k is not None and k not in keys]
        if unknown:
            raise MetricsError(f"{path}: {m.key} nhắc tới khóa không có: {', '.join(unknown)}.")
    return metrics


@dataclass(frozen=True)
class FiguresSource:
    """Which report the figures come from, the day they hold for, and the plan period that report belongs to."""

    title: str = ""
    as_of: dt.date | None = None
    plan: str = ""


def load_figures_source(path: Path) -> FiguresSource:
    """The `source`, `as_of` and `plan` keys of metrics.yaml (empty when absent or unreadable)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        day = data.get("as_of")
        as_of = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)) if day else None
        return FiguresSource(str(data.get("source") or ""), as_of, str(data.get("plan") or ""))
    except (OSError, yaml.YAMLError, AttributeError, ValueError):
        return FiguresSource()


def percent_of(part: float, whole: float) -> Decimal:
    """part/whole as a percentage rounded half-up to 0.1, the way reports round."""
    return (Decimal(str(part)) * 100 / Decimal(str(whole))).quantize(Decimal("0.1"), ROUND_HALF_UP)


def check_metrics(metrics: list[Metric]) -> list[Discrepancy]:
    """Parts that do not add up, stated percentages that do not match, figures quoted differently."""
    by_key = {m.key: m for m in metrics}
    found: list[Discrepancy] = []
    for m in metrics:
        if m.parts:
            total = sum(by_key[k].value for k in m.parts)
            if total != m.value:
                terms = " + ".join(_num(by_key[k].value) for k in m.parts)
                message = (f"{m.label}: báo cáo ghi {_num(m.value)} {m.unit}, nhưng các thành phần "
                           f"cộng lại {terms} = {_num(total)}.")
                found.append(Discrepancy("sum", message, (m.key, *m.parts)))
        if m.percent is not None and m.percent_of:
            whole = by_key[m.percent_of].value
            computed = percent_of(m.value, whole)
            if whole and computed != Decimal(str(m.percent)):
                shown = f"{_num(m.value)}/{_num(whole)} = {_num(float(computed))}%"
                message = f"{m.label}: báo cáo ghi {_num(m.percent)}%, nhưng {shown}."
                found.append(Discrepancy("percent", message, (m.key,)))
        for value, where in m.also_stated:
            if value != m.value:
                found.append(Discrepancy("quote", f"{m.label}: mục “{m.section}” ghi {_num(m.value)}, "
                                         f"{where} ghi {_num(value)}.", (m.key,)))
    return found


def _phrase_regex(phrase: str) -> re.Pattern[str]:
    """"tiếp nhận {n} hồ sơ" → a case-insensitive regex whose one group is the number."""
    out = []
    for piece in re.split(r"(\{n\}|\{_\})", phrase):
        if piece == "{n}":
            out.append(f"({_NUMBER})")
        elif piece == "{_}":
            out.append(_NUMBER)
        else:
            out.append(r"\s+".join(re.escape(w) for w in piece.split(" ")))
    return re.compile("".join(out), re.IGNORECASE)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def check_text(metrics: list[Metric], text: str) -> list[Discrepancy]:
    """Compare metrics.yaml with the report text: every figure found must be one metrics.yaml records."""
    text = unicodedata.normalize("NFC", text).replace("*", "")
    found: list[Discrepancy] = []
    for m in metrics:
        known = {m.value, *(v for v, _ in m.also_stated)}
        hits = [(float(h[1].replace(",", ".")), _line_of(text, h.start())) for p in m.find
                for h in _phrase_regex(p).finditer(text)]
        if m.find and not hits:
            found.append(Discrepancy("missing", f"{m.label}: không tìm thấy “{m.find[0]}” trong báo cáo.",
                                     (m.key,)))
        for value, line in hits:
            if value not in known:
                found.append(Discrepancy("text", f"{m.label}: dòng {line} của báo cáo ghi {_num(value)}, "
                                         f"metrics.yaml ghi {_num(m.value)}.", (m.key,)))
    return found + _document_dates(text) + _section_numbers(text)


def _document_dates(text: str) -> list[Discrepancy]:
    """The same document number cited with two different dates."""
    seen: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    for m in _DOC.finditer(text):
        number = re.sub(r"\s+", "", m[2]).upper()
        key = f"{fold(m[1]).lower()} {number}"
        names.setdefault(key, f"{m[1]} số {number}")
        seen.setdefault(key, {}).setdefault(m[3], _line_of(text, m.start()))
    return [
        Discrepancy("document", f"{names[key]} được ghi với ngày khác nhau: "
                    + ", ".join(f"{d} (dòng {line})" for d, line in dates.items()) + ".")
        for key, dates in seen.items() if len(dates) > 1
    ]


def _section_numbers(text: str) -> list[Discrepancy]:
    """Body sections "N. Nội dung “…”" numbered twice (the appendix areas run I–VIII)."""
    titles: dict[str, list[str]] = {}
    for m in _SECTION.finditer(text):
        titles.setdefault(m[1], []).append(m[2])
    return [
        Discrepancy("numbering", f"Mục {n} của phần I được đánh số hai lần: "
                    + " và ".join(f"“{t}”" for t in names) + ".")
        for n, names in titles.items() if len(names) > 1
    ]


def visible(metrics: list[Metric], topic: str = "") -> list[Metric]:
    """Figures shown to staff, optionally only those whose label, section or key mentions `topic`."""
    words = fold(topic).lower().split()
    shown = [m for m in metrics if not m.hidden]
    if not words:
        return shown
    return [m for m in shown if all(w in fold(f"{m.label} {m.section} {m.key}").lower().replace("_", " ")
                                    for w in words)]
