"""Finding a period's area by what staff type ("8", "VIII", "điện tử"), and reading a tasks.yaml (the importer's
output, shipped as the first plan of a new database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from bot.papi.plan import ROMAN, PlanArea
from bot.papi.report_import import ReportData
from bot.understanding.text import tokens


class TaskBookError(ValueError):
    """tasks.yaml is unreadable; the message says what to do (Vietnamese)."""


@dataclass(frozen=True)
class AreaMatch:
    """The result of an area lookup: the area, or the candidates when the query is ambiguous."""

    area: PlanArea | None
    candidates: tuple[PlanArea, ...] = ()


def _by_number(areas: list[PlanArea], query: str) -> PlanArea | None:
    q = query.strip().rstrip(".").upper()
    if q.isdigit():
        return next((a for a in areas if a.index == int(q)), None)
    return next((a for a in areas if a.number == q), None) if q in ROMAN else None


def _covers(area_words: list[str], query_words: list[str]) -> bool:
    """Every query word starts some word of the area name ("dien tu" ⊂ "quan tri dien tu")."""
    return all(any(w.startswith(q) for w in area_words) for q in query_words)


def find_area(areas: list[PlanArea], query: str) -> AreaMatch:
    """Area by slug, number (8 or VIII) or loose name ("điện tử", "tham nhung"); else the candidates."""
    by_number = _by_number(areas, query)
    if by_number:
        return AreaMatch(by_number)
    words = tokens(query)
    if not words or not areas:
        return AreaMatch(None)
    slug = "-".join(words)
    exact = [a for a in areas if a.slug == slug]
    if exact:
        return AreaMatch(exact[0])
    hits = [a for a in areas if _covers(a.slug.split("-"), words)]
    if not hits:
        # Typos ("quan tri dien tuu"): the closest names, if any is close enough.
        query_text = " ".join(words)
        scored = [(fuzz.token_set_ratio(query_text, a.slug.replace("-", " ")), a) for a in areas]
        best = max(score for score, _ in scored)
        hits = [a for score, a in scored if score >= 80 and score == best]
    if len(hits) == 1:
        return AreaMatch(hits[0])
    return AreaMatch(None, tuple(hits))


def load_tasks_yaml(path: Path) -> ReportData | None:
    """A tasks.yaml as the report it was made from; None when there is no such file, TaskBookError when broken."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        day = data.get("report_date")
        report = ReportData(str(data.get("title", "")), dt.date.fromisoformat(str(day)) if day else None,
                            str(data.get("period") or ""), list(data["areas"]), list(data["tasks"]))
        for task in report.tasks:
            str(task["area"]), int(str(task["number"])), str(task["task"]), str(task["lead"])
    except FileNotFoundError:
        return None
    except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise TaskBookError(f"Không đọc được {path}: {exc}. Hãy nhập lại báo cáo.") from exc
    return report
