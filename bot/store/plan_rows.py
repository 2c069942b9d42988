"""The PAPI plan's rows: periods, areas and tasks as stored, and the statements shared by the plan's writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.papi.cells import short_title
from bot.papi.plan import Period, PlanArea, PlanTask, TaskFields
from bot.store.database import Row
from bot.store.dbapi import Conn

PERIOD_COLS = "id, name, starts, ends, as_of, title, source, created_by, created_at"
TASK_COLS = ("id, period_id, area, num, title, body, result, deliverable, lead_unit, partners, deadline, due, "
             "recurring, status, note, evidence, status_on, status_by, updated_by, updated_at")
# A task's fields as the services name them, and the column each is stored in.
COLUMN = {"area": "area", "number": "num", "title": "title", "task": "body", "result": "result",
          "output": "deliverable", "lead": "lead_unit", "partners": "partners", "deadline": "deadline",
          "due": "due", "recurring": "recurring", "status": "status", "note": "note", "evidence": "evidence"}
REPORT_FIELDS = ("title", "task", "result", "output", "lead", "partners", "deadline", "due", "recurring")
STATUS_FIELDS = ("status", "note", "evidence")  # editing one of these records a new status: who and which day


@dataclass
class ImportCounts:
    """What an import did to its period."""

    period: Period
    created: bool
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_status: list[str] = field(default_factory=list)  # officers' statuses kept over the report's
    not_in_report: list[str] = field(default_factory=list)


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value else None


def period_of(row: Row) -> Period:
    """A `plan_periods` row (PERIOD_COLS) as a period."""
    return Period(int(row[0]), str(row[1]), dt.date.fromisoformat(row[2]), dt.date.fromisoformat(row[3]),
                  _date(row[4]), str(row[5]), str(row[6]), str(row[7]), float(row[8]))


def task_of(row: Row) -> PlanTask:
    """A `plan_tasks` row (TASK_COLS) as a task."""
    partners = tuple(p for p in str(row[9]).split("; ") if p)
    return PlanTask(int(row[0]), int(row[1]), str(row[2]), int(row[3]), str(row[4]), str(row[5]), str(row[6]),
                    str(row[7]), str(row[8]), partners, str(row[10]), _date(row[11]), bool(row[12]), str(row[13]),
                    str(row[14]), str(row[15]), dt.date.fromisoformat(row[16]), str(row[17]), str(row[18]),
                    float(row[19]))


def stored(task: PlanTask | TaskFields) -> dict[str, Any]:
    """A task's fields as stored: dates in ISO form, units joined with "; ", flags as 0 or 1."""
    return {"area": task.area, "number": task.number, "title": task.title or short_title(task.task),
            "task": task.task, "result": task.result, "output": task.output, "lead": task.lead,
            "partners": "; ".join(task.partners), "deadline": task.deadline,
            "due": task.due.isoformat() if task.due else None, "recurring": int(task.recurring),
            "status": task.status, "note": task.note, "evidence": task.evidence}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


async def rows_of(db: Conn, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """Every row one statement returns, inside a transaction."""
    return list(await db.execute_fetchall(sql, params))


async def record_change(db: Conn, task_id: int, name: str, old: Any, new: Any, by: str, at: float) -> None:
    """One row of a task's history."""
    await db.execute("INSERT INTO plan_changes (task_id, field, old_value, new_value, changed_by, at)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (task_id, name, _text(old), _text(new), by, at))


async def next_number(db: Conn, period_id: int, area: str) -> int:
    """The number a new task of `area` takes in a period."""
    rows = await rows_of(db, "SELECT coalesce(max(num), 0) FROM plan_tasks WHERE period_id = ? AND area = ?",
                         (period_id, area))
    return int(rows[0][0]) + 1


async def insert_task(db: Conn, period_id: int, task: TaskFields, by: str, on: dt.date, created: str,
                      now: float) -> str:
    """Add a task with its history (`created`: where it came from); its code ("5.6")."""
    values = stored(task)
    values["number"] = task.number or await next_number(db, period_id, task.area)
    columns = ", ".join(COLUMN[k] for k in values)
    rows = await rows_of(
        db, f"INSERT INTO plan_tasks (period_id, {columns}, status_on, status_by, updated_by, updated_at)"
            f" VALUES (?, {', '.join('?' for _ in values)}, ?, ?, ?, ?) RETURNING id",
        (period_id, *values.values(), (task.status_on or on).isoformat(), task.status_by or by, by, now))
    task_id = int(rows[0][0])
    await record_change(db, task_id, "created", "", created, by, now)
    for earlier in task.history:
        await record_change(db, task_id, earlier.field, earlier.old, earlier.new, earlier.changed_by, earlier.at)
    return f"{PlanArea(task.area, '').index}.{values['number']}"


async def insert_period(db: Conn, period: Period, areas: list[PlanArea], by: str, now: float) -> int:
    """Add a period with its areas; its id."""
    rows = await rows_of(
        db, "INSERT INTO plan_periods (name, starts, ends, as_of, title, source, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (period.name, period.starts.isoformat(), period.ends.isoformat(),
         period.as_of.isoformat() if period.as_of else None, period.title, period.source, by, now))
    period_id = int(rows[0][0])
    for area in areas:
        await db.execute("INSERT INTO plan_areas (period_id, number, name) VALUES (?, ?, ?)",
                         (period_id, area.number, area.name))
    return period_id


async def update_from_report(db: Conn, old: PlanTask, task: TaskFields, by: str, on: dt.date, counts: ImportCounts,
                             now: float) -> None:
    """Bring one existing task in line with a report's (an officer's status is kept), counting what changed."""
    new, was = stored(task), stored(old)
    names = [k for k in REPORT_FIELDS if new[k] != was[k]]
    by_report = old.status_source != "officer"  # a report's status, or a copy's default
    if by_report and task.status != old.status:
        names.append("status")
    elif by_report:
        await db.execute("UPDATE plan_tasks SET status_on = ?, status_by = ? WHERE id = ?",
                         (on.isoformat(), task.status_by or by, old.id))
    else:
        counts.kept_status.append(old.code)
    if names:
        sets = ", ".join(f"{COLUMN[k]} = ?" for k in names)
        extra = ", status_on = ?, status_by = ?" if "status" in names else ""
        params = [new[k] for k in names] + ([on.isoformat(), task.status_by or by] if extra else [])
        await db.execute(f"UPDATE plan_tasks SET {sets}{extra}, updated_by = ?, updated_at = ? WHERE id = ?",
                         (*params, by, now, old.id))
        for name in names:
            await record_change(db, old.id, name, was[name], new[name], by, now)
        counts.updated.append(old.code)


async def import_into(db: Conn, period: Period, areas: list[PlanArea], tasks: list[TaskFields], by: str,
                      on: dt.date, now: float) -> tuple[ImportCounts, int]:
    """The statements of a report's import (see `Plan.import_plan`); what it did and the period's id."""
    found = await rows_of(db, "SELECT id FROM plan_periods WHERE name = ?", (period.name,))
    counts = ImportCounts(period, not found)
    period_id = await insert_period(db, period, areas, by, now) if not found else int(found[0][0])
    if found:
        await db.execute("UPDATE plan_periods SET as_of = ?, title = ?, source = ? WHERE id = ?",
                         (period.as_of.isoformat() if period.as_of else None, period.title, period.source, period_id))
        for area in areas:
            await db.execute("INSERT INTO plan_areas (period_id, number, name) VALUES (?, ?, ?)"
                             " ON CONFLICT (period_id, number) DO UPDATE SET name = excluded.name",
                             (period_id, area.number, area.name))
    rows = await rows_of(db, f"SELECT {TASK_COLS} FROM plan_tasks WHERE period_id = ?", (period_id,))
    existing = {(t.area, t.number): t for t in map(task_of, rows)}
    for task in tasks:
        old = existing.pop((task.area, task.number or 0), None)
        if old is None:
            counts.added.append(await insert_task(db, period_id, task, by, on, period.source, now))
        else:
            await update_from_report(db, old, task, by, on, counts, now)
    counts.not_in_report = [t.code for t in existing.values()]
    return counts, period_id
