"""SQL for the PAPI plan: periods, their areas and tasks, and the history of every task edit (both backends)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.papi.cells import short_title
from bot.papi.plan import Period, PlanArea, PlanChange, PlanTask, TaskFields
from bot.store.dbapi import Conn
from bot.store.sqlite import Database, Row, Turn

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


def _period(row: Row) -> Period:
    return Period(int(row[0]), str(row[1]), dt.date.fromisoformat(row[2]), dt.date.fromisoformat(row[3]),
                  _date(row[4]), str(row[5]), str(row[6]), str(row[7]), float(row[8]))


def _task(row: Row) -> PlanTask:
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


class PlanStore(Database):
    """Plan periods and their tasks; every change to a task is written with who made it and when."""

    async def plan_periods(self) -> list[Period]:
        """Every period, oldest first."""
        return [_period(r) for r in await self._all(f"SELECT {PERIOD_COLS} FROM plan_periods ORDER BY starts, id")]

    async def plan_period(self, period_id: int) -> Period | None:
        """One period by id."""
        row = await self._one(f"SELECT {PERIOD_COLS} FROM plan_periods WHERE id = ?", (period_id,))
        return _period(row) if row else None

    async def plan_areas(self, period_id: int) -> list[PlanArea]:
        """A period's areas in their order (I to VIII)."""
        rows = await self._all("SELECT number, name FROM plan_areas WHERE period_id = ?", (period_id,))
        return sorted((PlanArea(str(r[0]), str(r[1])) for r in rows), key=lambda a: (a.index, a.number))

    async def plan_tasks(self, period_id: int) -> list[PlanTask]:
        """A period's tasks by area and number."""
        rows = await self._all(f"SELECT {TASK_COLS} FROM plan_tasks WHERE period_id = ?", (period_id,))
        return sorted((_task(r) for r in rows), key=lambda t: (PlanArea(t.area, "").index, t.number))

    async def plan_task(self, task_id: int) -> PlanTask | None:
        """One task by id."""
        row = await self._one(f"SELECT {TASK_COLS} FROM plan_tasks WHERE id = ?", (task_id,))
        return _task(row) if row else None

    async def plan_changes(self, task_id: int) -> list[PlanChange]:
        """A task's history, newest first."""
        rows = await self._all("SELECT task_id, field, old_value, new_value, changed_by, at FROM plan_changes"
                               " WHERE task_id = ? ORDER BY id DESC", (task_id,))
        return [PlanChange(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), float(r[5])) for r in rows]

    async def _rows(self, db: Conn, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return list(await db.execute_fetchall(sql, params))

    async def _change(self, db: Conn, task_id: int, name: str, old: Any, new: Any, by: str, at: float) -> None:
        await db.execute("INSERT INTO plan_changes (task_id, field, old_value, new_value, changed_by, at)"
                         " VALUES (?, ?, ?, ?, ?, ?)", (task_id, name, _text(old), _text(new), by, at))

    async def _next_number(self, db: Conn, period_id: int, area: str) -> int:
        rows = await self._rows(db, "SELECT coalesce(max(num), 0) FROM plan_tasks WHERE period_id = ? AND area = ?",
                                (period_id, area))
        return int(rows[0][0]) + 1

    async def _insert_task(self, db: Conn, period_id: int, task: TaskFields, by: str, on: dt.date,
                           created: str) -> str:
        now = time.time()
        values = stored(task)
        values["number"] = task.number or await self._next_number(db, period_id, task.area)
        columns = ", ".join(COLUMN[k] for k in values)
        rows = await self._rows(
            db, f"INSERT INTO plan_tasks (period_id, {columns}, status_on, status_by, updated_by, updated_at)"
                f" VALUES (?, {', '.join('?' for _ in values)}, ?, ?, ?, ?) RETURNING id",
            (period_id, *values.values(), (task.status_on or on).isoformat(), task.status_by or by, by, now))
        task_id = int(rows[0][0])
        await self._change(db, task_id, "created", "", created, by, now)
        for earlier in task.history:
            await self._change(db, task_id, earlier.field, earlier.old, earlier.new, earlier.changed_by, earlier.at)
        return f"{PlanArea(task.area, '').index}.{values['number']}"

    async def _insert_period(self, db: Conn, period: Period, areas: list[PlanArea], by: str) -> int:
        rows = await self._rows(
            db, "INSERT INTO plan_periods (name, starts, ends, as_of, title, source, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (period.name, period.starts.isoformat(), period.ends.isoformat(),
             period.as_of.isoformat() if period.as_of else None, period.title, period.source, by, time.time()))
        period_id = int(rows[0][0])
        for area in areas:
            await db.execute("INSERT INTO plan_areas (period_id, number, name) VALUES (?, ?, ?)",
                             (period_id, area.number, area.name))
        return period_id

    async def create_period(self, period: Period, areas: list[PlanArea], tasks: list[TaskFields], by: str,
                            on: dt.date, created: str = "", only_if_none: bool = False) -> Period | None:
        """A new period with its areas and tasks, in one transaction; None when one of that name exists (or, with
        `only_if_none`, when any period exists: several processes starting on a new database seed it once)."""
        async with self._tx() as db:
            taken = "SELECT 1 FROM plan_periods" + ("" if only_if_none else " WHERE name = ?")
            if await self._rows(db, taken, () if only_if_none else (period.name,)):
                return None
            period_id = await self._insert_period(db, period, areas, by)
            for task in tasks:
                await self._insert_task(db, period_id, task, by, on, created)
        return await self.plan_period(period_id)

    async def add_plan_task(self, period_id: int, task: TaskFields, by: str, on: dt.date,
                            created: str = "") -> PlanTask | None:
        """Add a task to a period (the next number in its area unless given); None when there is no such period."""
        async with self._tx() as db:
            if not await self._rows(db, "SELECT 1 FROM plan_periods WHERE id = ?", (period_id,)):
                return None
            code = await self._insert_task(db, period_id, task, by, on, created)
        number = int(code.split(".")[1])
        row = await self._one(f"SELECT {TASK_COLS} FROM plan_tasks WHERE period_id = ? AND area = ? AND num = ?",
                              (period_id, task.area, number))
        return _task(row) if row else None

    async def update_plan_task(self, task_id: int, values: Mapping[str, Any], by: str, on: dt.date,
                               turn: Turn | None = None) -> tuple[PlanTask, list[str]] | None:
        """Change a task's fields (stored form, see `stored`), one history row per field that changed; a changed
        status, note or evidence is recorded as of `on` by `by`. The task and the fields changed; None if absent."""
        now = time.time()
        async with self._tx(turn) as db:
            rows = await self._rows(db, f"SELECT {TASK_COLS} FROM plan_tasks WHERE id = ?", (task_id,))
            if not rows:
                return None
            before = _task(rows[0])
            current = {**stored(before), "number": before.number}
            changed = {k: v for k, v in values.items() if k in COLUMN and current[k] != v}
            if "area" in changed and "number" not in values:
                changed["number"] = await self._next_number(db, before.period_id, str(changed["area"]))
            if changed:
                sets = [f"{COLUMN[k]} = ?" for k in changed] + ["updated_by = ?", "updated_at = ?"]
                params: list[Any] = [*changed.values(), by, now]
                if any(k in STATUS_FIELDS for k in changed):
                    sets += ["status_on = ?", "status_by = ?"]
                    params += [on.isoformat(), by]
                await db.execute(f"UPDATE plan_tasks SET {', '.join(sets)} WHERE id = ?", (*params, task_id))
                for name, value in changed.items():
                    await self._change(db, task_id, name, current[name], value, by, now)
        after = await self.plan_task(task_id)
        return (after, list(changed)) if after else None

    async def import_plan(self, period: Period, areas: list[PlanArea], tasks: list[TaskFields], by: str,
                          on: dt.date) -> ImportCounts:
        """Bring a period in line with a report, in one transaction: the period made if new, tasks added or their
        report fields updated (each change in the history); a status an officer recorded is kept, one that came
        from a report or a copy takes the report's."""
        now = time.time()
        async with self._tx() as db:
            found = await self._rows(db, "SELECT id FROM plan_periods WHERE name = ?", (period.name,))
            created = not found
            period_id = await self._insert_period(db, period, areas, by) if created else int(found[0][0])
            if not created:
                await db.execute("UPDATE plan_periods SET as_of = ?, title = ?, source = ? WHERE id = ?",
                                 (period.as_of.isoformat() if period.as_of else None, period.title, period.source,
                                  period_id))
                for area in areas:
                    await db.execute("INSERT INTO plan_areas (period_id, number, name) VALUES (?, ?, ?)"
                                     " ON CONFLICT (period_id, number) DO UPDATE SET name = excluded.name",
                                     (period_id, area.number, area.name))
            rows = await self._rows(db, f"SELECT {TASK_COLS} FROM plan_tasks WHERE period_id = ?", (period_id,))
            existing = {(t.area, t.number): t for t in map(_task, rows)}
            counts = ImportCounts(period, created)
            for task in tasks:
                old = existing.pop((task.area, task.number or 0), None)
                if old is None:
                    counts.added.append(await self._insert_task(db, period_id, task, by, on, period.source))
                    continue
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
                    await db.execute(f"UPDATE plan_tasks SET {sets}{extra}, updated_by = ?, updated_at = ?"
                                     " WHERE id = ?", (*params, by, now, old.id))
                    for name in names:
                        await self._change(db, old.id, name, was[name], new[name], by, now)
                    counts.updated.append(old.code)
            counts.not_in_report = [t.code for t in existing.values()]
        counts.period = await self.plan_period(period_id) or period
        return counts
