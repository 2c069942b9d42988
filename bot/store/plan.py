"""SQL for the PAPI plan: periods, their areas and tasks, and the history of every task edit (both backends)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.kernel.models import TaskOverride
from bot.papi.plan import Period, PlanArea, PlanChange, PlanTask, TaskFields
from bot.store.database import Database, Turn
from bot.store.dbapi import Conn
from bot.store.plan_rows import (
    COLUMN,
    PERIOD_COLS,
    STATUS_FIELDS,
    TASK_COLS,
    ImportCounts,
    import_into,
    insert_period,
    insert_task,
    next_number,
    period_of,
    record_change,
    rows_of,
    stored,
    task_of,
)

__all__ = ["ImportCounts", "Plan", "stored"]


class Plan:
    """Plan periods and their tasks; every change to a task is written with who made it and when."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def periods(self) -> list[Period]:
        """Every period, oldest first."""
        rows = await self.database.all(f"SELECT {PERIOD_COLS} FROM plan_periods ORDER BY starts, id")
        return [period_of(r) for r in rows]

    async def period(self, period_id: int) -> Period | None:
        """One period by id."""
        row = await self.database.one(f"SELECT {PERIOD_COLS} FROM plan_periods WHERE id = ?", (period_id,))
        return period_of(row) if row else None

    async def areas(self, period_id: int) -> list[PlanArea]:
        """A period's areas in their order (I to VIII)."""
        rows = await self.database.all("SELECT number, name FROM plan_areas WHERE period_id = ?", (period_id,))
        return sorted((PlanArea(str(r[0]), str(r[1])) for r in rows), key=lambda a: (a.index, a.number))

    async def tasks(self, period_id: int) -> list[PlanTask]:
        """A period's tasks by area and number."""
        rows = await self.database.all(f"SELECT {TASK_COLS} FROM plan_tasks WHERE period_id = ?", (period_id,))
        return sorted((task_of(r) for r in rows), key=lambda t: (PlanArea(t.area, "").index, t.number))

    async def task(self, task_id: int) -> PlanTask | None:
        """One task by id."""
        row = await self.database.one(f"SELECT {TASK_COLS} FROM plan_tasks WHERE id = ?", (task_id,))
        return task_of(row) if row else None

    async def changes(self, task_id: int) -> list[PlanChange]:
        """A task's history, newest first."""
        rows = await self.database.all("SELECT task_id, field, old_value, new_value, changed_by, at FROM plan_changes"
                                       " WHERE task_id = ? ORDER BY id DESC", (task_id,))
        return [PlanChange(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), float(r[5])) for r in rows]

    async def create_period(self, period: Period, areas: list[PlanArea], tasks: list[TaskFields], by: str,
                            on: dt.date, created: str = "", only_if_none: bool = False) -> Period | None:
        """A new period with its areas and tasks, in one transaction; None when one of that name exists (or, with
        `only_if_none`, when any period exists: several processes starting on a new database seed it once)."""
        now = self.database.clock.now()
        taken = "SELECT 1 FROM plan_periods" + ("" if only_if_none else " WHERE name = ?")

        async def create(db: Conn) -> int | None:
            if await rows_of(db, taken, () if only_if_none else (period.name,)):
                return None
            period_id = await insert_period(db, period, areas, by, now)
            for task in tasks:
                await insert_task(db, period_id, task, by, on, created, now)
            return period_id
        period_id = await self.database.write(create)
        return await self.period(period_id) if period_id is not None else None

    async def add_task(self, period_id: int, task: TaskFields, by: str, on: dt.date,
                       created: str = "") -> PlanTask | None:
        """Add a task to a period (the next number in its area unless given); None when there is no such period."""
        now = self.database.clock.now()

        async def add(db: Conn) -> str | None:
            if not await rows_of(db, "SELECT 1 FROM plan_periods WHERE id = ?", (period_id,)):
                return None
            return await insert_task(db, period_id, task, by, on, created, now)
        code = await self.database.write(add)
        if code is None:
            return None
        row = await self.database.one(f"SELECT {TASK_COLS} FROM plan_tasks WHERE period_id = ? AND area = ?"
                                      " AND num = ?", (period_id, task.area, int(code.split(".")[1])))
        return task_of(row) if row else None

    async def update_task(self, task_id: int, values: Mapping[str, Any], by: str, on: dt.date,
                          turn: Turn | None = None) -> tuple[PlanTask, list[str]] | None:
        """Change a task's fields (stored form, see `stored`), one history row per field that changed; a changed
        status, note or evidence is recorded as of `on` by `by`. The task and the fields changed; None if absent."""
        now = self.database.clock.now()

        async def update(db: Conn) -> list[str] | None:
            rows = await rows_of(db, f"SELECT {TASK_COLS} FROM plan_tasks WHERE id = ?", (task_id,))
            if not rows:
                return None
            before = task_of(rows[0])
            current = {**stored(before), "number": before.number}
            changed = {k: v for k, v in values.items() if k in COLUMN and current[k] != v}
            if "area" in changed and "number" not in values:
                changed["number"] = await next_number(db, before.period_id, str(changed["area"]))
            if changed:
                sets = [f"{COLUMN[k]} = ?" for k in changed] + ["updated_by = ?", "updated_at = ?"]
                params: list[Any] = [*changed.values(), by, now]
                if any(k in STATUS_FIELDS for k in changed):
                    sets += ["status_on = ?", "status_by = ?"]
                    params += [on.isoformat(), by]
                await db.execute(f"UPDATE plan_tasks SET {', '.join(sets)} WHERE id = ?", (*params, task_id))
                for name, value in changed.items():
                    await record_change(db, task_id, name, current[name], value, by, now)
            return list(changed)
        changed = await self.database.write(update, turn)
        after = await self.task(task_id) if changed is not None else None
        return (after, changed) if after and changed is not None else None

    async def import_plan(self, period: Period, areas: list[PlanArea], tasks: list[TaskFields], by: str,
                          on: dt.date) -> ImportCounts:
        """Bring a period in line with a report, in one transaction: the period made if new, tasks added or their
        report fields updated (each change in the history); a status an officer recorded is kept, one that came
        from a report or a copy takes the report's."""
        now = self.database.clock.now()

        async def bring(db: Conn) -> tuple[ImportCounts, int]:
            return await import_into(db, period, areas, tasks, by, on, now)
        counts, period_id = await self.database.write(bring)
        counts.period = await self.period(period_id) or period
        return counts

    async def set_task_status(self, task_id: str, status: str, note: str, changed_by: str,
                              turn: Turn | None = None) -> None:
        """Record a status in the table used before plans were kept by period (migration 16): read once, when a
        database without any period gets its first plan (usecases.plan_import.seed_plan); no longer written."""
        await self.database.execute(
            "INSERT INTO task_status (task_id, status, note, changed_by, at) VALUES (?, ?, ?, ?, ?)",
            (task_id, status, note, changed_by, self.database.clock.now()), turn)

    async def task_overrides(self) -> dict[str, TaskOverride]:
        """The latest status officers recorded in that older table, by task number ("5.6")."""
        rows = await self.database.all(
            "SELECT task_id, status, note, changed_by, at FROM task_status"
            " WHERE id IN (SELECT max(id) FROM task_status GROUP BY task_id)")
        return {r["task_id"]: TaskOverride(**dict(r)) for r in rows}
