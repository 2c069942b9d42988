"""The PAPI task book: areas and tasks from knowledge/tasks.yaml, area lookup, effective status."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from bot.deadlines import STATUSES, Deadline, derive_status
from bot.models import TaskOverride
from bot.textnorm import tokens

_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_TASK_ID = re.compile(r"^\s*([IVX]+|\d{1,2})\s*[.\-/]\s*(\d{1,2})\s*$", re.IGNORECASE)


class TaskBookError(ValueError):
    """tasks.yaml is missing or unreadable; the message says what to do (Vietnamese)."""


@dataclass(frozen=True)
class Task:
    """One task of the appendix, with its status as of the report date."""

    id: str
    area: str
    number: int
    title: str
    text: str
    result: str
    output: str
    lead: str
    partners: tuple[str, ...]
    deadline: str
    due: dt.date | None
    recurring: bool
    base_status: str


@dataclass(frozen=True)
class Area:
    """One of the eight PAPI areas (I–VIII)."""

    number: str
    slug: str
    name: str
    index: int
    tasks: tuple[Task, ...] = field(default=())


@dataclass(frozen=True)
class AreaMatch:
    """The result of an area lookup: the area, or the candidates when the query is ambiguous."""

    area: Area | None
    candidates: tuple[Area, ...] = ()


def _task(raw: dict[str, Any], as_of: dt.date) -> Task:
    due = dt.date.fromisoformat(raw["due"]) if raw.get("due") else None
    recurring = bool(raw.get("recurring"))
    result = raw.get("result") or ""
    return Task(
        id=str(raw["id"]), area=str(raw["area"]), number=int(raw["number"]), title=raw["title"],
        text=raw["task"], result=result, output=raw.get("output") or "", lead=raw["lead"],
        partners=tuple(raw.get("partners") or ()), deadline=raw.get("deadline") or "", due=due,
        recurring=recurring,
        base_status=derive_status(result, Deadline(raw.get("deadline") or "", due, recurring), as_of),
    )


class TaskBook:
    """Areas and tasks as imported from the office's report; read-only."""

    def __init__(self, title: str, report_date: dt.date, areas: list[Area]) -> None:
        self.title = title
        self.report_date = report_date
        self.areas = areas
        self._tasks = {t.id: t for a in areas for t in a.tasks}

    @classmethod
    def load(cls, path: Path) -> TaskBook:
        """Read tasks.yaml; a missing or broken file raises TaskBookError."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            report_date = dt.date.fromisoformat(str(data["report_date"]))
            tasks = [_task(t, report_date) for t in data["tasks"]]
            areas = [
                Area(str(a["number"]), a["slug"], a["name"], i,
                     tuple(t for t in tasks if t.area == str(a["number"])))
                for i, a in enumerate(data["areas"], 1)
            ]
        except FileNotFoundError as exc:
            raise TaskBookError(f"Chưa có {path}. Hãy chạy: papibot import-report <tệp báo cáo>.") from exc
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise TaskBookError(f"Không đọc được {path}: {exc}. Hãy nhập lại báo cáo.") from exc
        return cls(str(data.get("title", "")), report_date, areas)

    @property
    def tasks(self) -> list[Task]:
        """Every task in report order."""
        return list(self._tasks.values())

    def area(self, number: str) -> Area | None:
        """The area with this Roman number."""
        return next((a for a in self.areas if a.number == number), None)

    def _by_number(self, query: str) -> Area | None:
        q = query.strip().rstrip(".").upper()
        if q.isdigit() and 1 <= int(q) <= len(self.areas):
            return self.areas[int(q) - 1]
        return self.area(q) if q in _ROMAN else None

    def find_area(self, query: str) -> AreaMatch:
        """Area by slug, number (8 or VIII) or loose name ("điện tử", "tham nhung"); else candidates."""
        by_number = self._by_number(query)
        if by_number:
            return AreaMatch(by_number)
        words = tokens(query)
        if not words:
            return AreaMatch(None)
        slug = "-".join(words)
        exact = [a for a in self.areas if a.slug == slug]
        if exact:
            return AreaMatch(exact[0])
        hits = [a for a in self.areas if _covers(a.slug.split("-"), words)]
        if not hits:
            # Typos ("quan tri dien tuu"): the closest names, if any is close enough.
            query_text = " ".join(words)
            scored = [(fuzz.token_set_ratio(query_text, a.slug.replace("-", " ")), a) for a in self.areas]
            best = max(score for score, _ in scored)
            hits = [a for score, a in scored if score >= 80 and score == best]
        if len(hits) == 1:
            return AreaMatch(hits[0])
        return AreaMatch(None, tuple(hits))

    def task(self, task_id: str) -> Task | None:
        """A task by "8.1" (also "VIII.1"); None when there is no such task."""
        m = _TASK_ID.match(task_id or "")
        if not m:
            return None
        area = self._by_number(m[1])
        return self._tasks.get(f"{area.index}.{int(m[2])}") if area else None

    def status(self, task: Task, overrides: dict[str, TaskOverride]) -> str:
        """The task's status: the latest staff edit if any, else as derived from the report."""
        override = overrides.get(task.id)
        return override.status if override and override.status in STATUSES else task.base_status


def _covers(area_words: list[str], query_words: list[str]) -> bool:
    """Every query word starts some word of the area name ("dien tu" ⊂ "quan tri dien tu")."""
    return all(any(w.startswith(q) for w in area_words) for q in query_words)
