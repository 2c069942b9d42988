"""A report (or the shipped tasks.yaml) as a plan period, and a period's tasks copied into a new one."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from bot.kernel.models import TaskOverride
from bot.papi.deadlines import ONGOING, STATUSES, UPCOMING, Deadline, derive_status
from bot.papi.plan import PAPI_AREAS, Period, PlanArea, PlanChange, PlanTask, TaskFields, period_span
from bot.papi.report_import import ReportData, ReportError, read_report
from bot.papi.tasks import load_tasks_yaml
from bot.store.plan import ImportCounts
from bot.store.storage import Storage

SEEDER = "import:tasks.yaml"


def report_areas(data: ReportData) -> list[PlanArea]:
    """The report's areas; the eight PAPI areas when it names none."""
    areas = [PlanArea(str(a["number"]), str(a["name"])) for a in data.areas]
    return areas or [PlanArea(n, name) for n, name in PAPI_AREAS]


def _carried(code: str, base: str, override: TaskOverride | None) -> dict[str, Any]:
    """A status an officer recorded before plans were kept by period (migration 16), carried over with its
    author and day, and the change written into the task's history."""
    if override is None or override.status not in STATUSES:
        return {}
    day = dt.datetime.fromtimestamp(override.at, dt.timezone(dt.timedelta(hours=7))).date()
    change = PlanChange(0, "status", base, override.status, override.changed_by, override.at)
    return {"status": override.status, "note": override.note, "status_by": override.changed_by,
            "status_on": day, "history": (change,)}


def report_tasks(data: ReportData, as_of: dt.date,
                 overrides: Mapping[str, TaskOverride] | None = None) -> list[TaskFields]:
    """The report's tasks with their status as of `as_of` (done if a result is reported, else by the due date)."""
    out = []
    for raw in data.tasks:
        due = dt.date.fromisoformat(str(raw["due"])) if raw.get("due") else None
        deadline = Deadline(str(raw.get("deadline") or ""), due, bool(raw.get("recurring")))
        status = derive_status(str(raw.get("result") or ""), deadline, as_of)
        extra = _carried(str(raw["id"]), status, (overrides or {}).get(str(raw["id"])))
        task = TaskFields(
            area=str(raw["area"]), task=str(raw["task"]), lead=str(raw["lead"]),
            partners=tuple(str(p) for p in cast(list[Any], raw.get("partners") or [])),
            output=str(raw.get("output") or ""), deadline=deadline.text, due=due, recurring=deadline.recurring,
            status=status, result=str(raw.get("result") or ""), title=str(raw.get("title") or ""),
            number=int(str(raw["number"])))
        out.append(replace(task, **extra))
    return out


def report_period(data: ReportData, source: str, today: dt.date) -> Period:
    """The period a report names (its dates from the name; else the year of its date, or of today)."""
    year = (data.report_date or today).year
    starts, ends = period_span(data.period) or (dt.date(year, 1, 1), dt.date(year, 12, 31))
    return Period(0, data.period, starts, ends, data.report_date, data.title, source)


async def seed_plan(storage: Storage, tasks_yaml: Path, today: dt.date,
                    overrides: Mapping[str, TaskOverride]) -> Period | None:
    """On a database without any plan: the shipped (or data directory's) tasks.yaml as its first period, the
    statuses officers recorded before carried over. Several processes starting at once seed it once."""
    if await storage.plan.periods():
        return None
    data = load_tasks_yaml(tasks_yaml)
    if data is None or not data.tasks:
        return None
    data.period = data.period or "Năm " + str((data.report_date or today).year)
    as_of = data.report_date or today
    period = report_period(data, tasks_yaml.name, today)
    return await storage.plan.create_period(period, report_areas(data), report_tasks(data, as_of, overrides), SEEDER,
                                            as_of, f"nhập từ {tasks_yaml.name}", only_if_none=True)


async def import_file(storage: Storage, source: Path, period: str | None, by: str,
                      today: dt.date) -> tuple[ImportCounts, ReportData]:
    """Import a report file into the period it names (or `period`); ReportError when nothing can be read."""
    data, digest = read_report(source, period, today.year)
    if period_span(data.period) is None and period is None:
        raise ReportError(f"Kỳ «{data.period}» không cho biết thời gian (ví dụ «6 tháng cuối năm 2026»).")
    as_of = data.report_date or today
    target = report_period(data, f"{source.name} (sha256 {digest[:16]})", today)
    existing = next((p for p in await storage.plan.periods() if p.name == data.period), None)
    if existing is not None:
        target = Period(0, existing.name, existing.starts, existing.ends, data.report_date, data.title, target.source)
    tasks = [replace(t, status_by=f"import:{source.name}") for t in report_tasks(data, as_of)]
    return await storage.plan.import_plan(target, report_areas(data), tasks, by, as_of), data


def _shift(day: dt.date, years: int) -> dt.date:
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def copied(task: PlanTask, years: int) -> TaskFields:
    """A task carried into a later period: its years moved on, no result, note or evidence yet."""
    deadline = task.deadline
    if years:
        deadline = re.sub(r"\b(\d{4})\b", lambda m: str(int(m[1]) + years) if 1990 < int(m[1]) < 2100 else m[1],
                          deadline)
    due = _shift(task.due, years) if task.due else None
    status = ONGOING if task.recurring and due is None else UPCOMING
    return TaskFields(area=task.area, task=task.task, lead=task.lead, partners=task.partners, output=task.output,
                      deadline=deadline, due=due, recurring=task.recurring, status=status, title=task.title,
                      number=task.number)
