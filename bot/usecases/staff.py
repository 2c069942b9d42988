"""Staff use cases: the PAPI plan of a period by area, one task, status edits, the figures beside the live queue.

Every answer names the plan period it belongs to and the day its statuses hold for ("as of").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.kernel.clock import SYSTEM, Clock
from bot.kernel.models import User
from bot.kernel.render import Renderer
from bot.papi.deadlines import STATUSES, UPCOMING
from bot.papi.figures import FiguresSource, Metric, MetricsError, load_figures_source, load_metrics, visible
from bot.papi.plan import UNREPORTED, VIEW_LABELS, VIEW_STATUSES, PlanArea, PlanTask
from bot.papi.tasks import find_area
from bot.store.storage import Storage, Turn
from bot.usecases.live_figures import LiveSource, queue_ledger, reply_queue
from bot.usecases.outcomes import (
    STAFF_ONLY,
    AllAreas,
    AreaNotFound,
    Counts,
    NoPlan,
    NotSaved,
    OneArea,
    Refused,
    SetStatusOutcome,
    StatusOutcome,
    StatusSet,
    TaskOutcome,
    TaskShown,
    TaskStatus,
    UnknownTask,
)
from bot.usecases.planning import PlanService, PlanView, TaskDraft
from knowledge.loader import KnowledgeError

MAX_NOTE = 500  # a status note is a remark, not a report


def load_staff_figures(metrics: Path) -> tuple[list[Metric], FiguresSource]:
    """The report's figures and where they come from (config.staff_file); a broken file raises KnowledgeError."""
    try:
        return load_metrics(metrics), load_figures_source(metrics)
    except MetricsError as exc:
        raise KnowledgeError([str(exc)]) from exc


def vn_number(value: float) -> str:
    """609, 1.234 or 98,7: Vietnamese thousands and decimal separators."""
    whole = f"{value:,.1f}" if not float(value).is_integer() else f"{int(value):,}"
    return whole.replace(",", " ").replace(".", ",").replace(" ", ".")


def _metric_dict(m: Metric) -> dict[str, Any]:
    value = int(m.value) if m.value.is_integer() else m.value
    return {"key": m.key, "label": m.label, "value": value, "unit": m.unit, "period": m.period,
            "section": m.section, "value_text": vn_number(m.value)}


def period_dict(view: PlanView) -> dict[str, Any]:
    """A period as shown: its name and dates, whether it is past or current, and its "as of" day."""
    p = view.period
    return {"id": p.id, "name": p.name, "starts": p.starts.isoformat(), "ends": p.ends.isoformat(),
            "span": p.span_text(), "past": view.past, "current": view.current, "as_of": view.as_of.isoformat(),
            "as_of_text": f"{view.as_of:%d/%m/%Y}", "from_report": p.as_of is not None and view.past,
            "title": p.title, "source": p.source, "recorded_later": len(view.recorded_later())}


def task_dict(view: PlanView, task: PlanTask) -> dict[str, Any]:
    """One task as plain data: its status as shown in its period's view, and who recorded it when."""
    status = view.status(task)
    return {
        "id": task.code, "row": task.id, "area": task.area, "number": task.number, "title": task.title,
        "task": task.task, "lead": task.lead, "partners": list(task.partners), "output": task.output,
        "deadline": task.deadline, "due": task.due.isoformat() if task.due else None,
        "due_text": f"{task.due:%d/%m/%Y}" if task.due else "", "recurring": task.recurring,
        "status": status, "status_label": VIEW_LABELS[status], "recorded_status": task.status,
        "result": task.result, "note": task.note, "evidence": task.evidence,
        "status_on": task.status_on.isoformat(), "status_on_text": f"{task.status_on:%d/%m/%Y}",
        "status_by": task.status_by, "status_source": task.status_source, "edited": task.status_source == "officer",
        "updated_by": task.updated_by, "updated_at": task.updated_at, "period": view.period.name,
    }


def area_dict(view: PlanView, area: PlanArea) -> dict[str, Any]:
    """An area with its task counts by the status shown."""
    statuses = [view.status(t) for t in view.tasks if t.area == area.number]
    return {"number": area.number, "index": area.index, "slug": area.slug, "name": area.name,
            "total": len(statuses), **{s: statuses.count(s) for s in VIEW_STATUSES}}


class StaffService:
    """What staff and admins can ask about the office's PAPI plan; citizens are politely refused."""

    def __init__(self, plan: PlanService, metrics: list[Metric], figures: FiguresSource, storage: Storage,
                 renderer: Renderer, clock: Clock = SYSTEM) -> None:
        self.plan = plan
        self.clock = clock
        self.metrics = metrics
        self.figures = figures
        self.storage = storage
        self.renderer = renderer
        # Live figures shown beside the plan; other registers append theirs (see bot/usecases/live_figures.py).
        self.live_sources: list[LiveSource] = [reply_queue(storage)]

    # Data (also used by the CLI's --json and the web console)

    def plan_dict(self, view: PlanView) -> dict[str, Any]:
        """A whole period: its areas with their tasks, the statuses it shows and how a recorded one reads there (in a
        past period "upcoming" reads "Chưa có kết quả": it was never reported)."""
        areas = [{**area_dict(view, a), "tasks": [task_dict(view, t) for t in view.tasks if t.area == a.number]}
                 for a in view.areas]
        shown = [s for s in VIEW_STATUSES if s != (UPCOMING if view.past else UNREPORTED)]
        recorded = {s: VIEW_LABELS[UNREPORTED if view.past and s == UPCOMING else s] for s in STATUSES}
        return {"period": period_dict(view), "as_of": view.as_of.isoformat(), "as_of_text": f"{view.as_of:%d/%m/%Y}",
                "areas": areas, "labels": {s: VIEW_LABELS[s] for s in shown}, "recorded_labels": recorded}

    async def status_data(self, arg: str = "", period_id: int | None = None) -> dict[str, Any]:
        """All areas, or one area with its tasks; {"candidates": […]} when the area is unknown or ambiguous;
        {"period": None} when there is no plan yet."""
        view = await self.plan.view(period_id)
        if view is None:
            return {"period": None}
        base = {"period": period_dict(view), "as_of": view.as_of.isoformat(), "as_of_text": f"{view.as_of:%d/%m/%Y}",
                "report_date": view.period.as_of.isoformat() if view.period.as_of else None,
                "title": view.period.title}
        if not arg.strip():
            return {**base, "areas": [area_dict(view, a) for a in view.areas]}
        match = find_area(view.areas, arg)
        if match.area is None:
            return {**base, "query": arg.strip(), "candidates": [area_dict(view, a) for a in match.candidates],
                    "all_areas": [area_dict(view, a) for a in view.areas]}
        tasks = [task_dict(view, t) for t in view.tasks if t.area == match.area.number]
        return {**base, "area": area_dict(view, match.area), "tasks": tasks}

    async def task_data(self, code: str, period_id: int | None = None) -> dict[str, Any] | None:
        """One task in full (by "8.1" in the current period, or in `period_id`), or None."""
        view = await self.plan.view(period_id)
        task = await self.plan.task_by_code(code, view.period.id) if view else None
        if view is None or task is None:
            return None
        area = next((a for a in view.areas if a.number == task.area), None)
        return {**task_dict(view, task), "area_name": area.name if area else "", "period_info": period_dict(view)}

    async def live(self, now: float | None = None) -> list[dict[str, Any]]:
        """Every live section (the reply queue first), counted now."""
        stamp = self.clock.now() if now is None else now
        return [(await source(stamp)).as_dict() for source in self.live_sources]

    async def counts_data(self, topic: str = "", now: float | None = None) -> dict[str, Any]:
        """The live figures (each section with its period and "as of"; the reply queue also as numbers) beside the
        report's figures and their source."""
        live = await self.live(now)
        metrics = [_metric_dict(m) for m in visible(self.metrics, topic)]
        source = {"title": self.figures.title, "plan": self.figures.plan,
                  "as_of": self.figures.as_of.isoformat() if self.figures.as_of else None,
                  "as_of_text": f"{self.figures.as_of:%d/%m/%Y}" if self.figures.as_of else ""}
        queue = await queue_ledger(self.storage, self.clock.now() if now is None else now)
        return {"topic": topic.strip(), "live": live, "queue": queue, "metrics": metrics, "source": source}

    # The staff use cases: every one checks the role itself

    async def status(self, user: User, area: str = "") -> StatusOutcome:
        """Every area's progress in the current period; with an area, that area's tasks."""
        if not user.is_staff:
            return Refused(STAFF_ONLY)
        data = await self.status_data(area)
        if data["period"] is None:
            return NoPlan()
        if "areas" in data:
            return AllAreas(data)
        if "area" in data:
            return OneArea(data)
        return AreaNotFound(data["query"], data["candidates"], data["all_areas"])

    async def task(self, user: User, code: str) -> TaskOutcome:
        """One task of the current period in full, by its number ("8.1")."""
        if not user.is_staff:
            return Refused(STAFF_ONLY)
        data = await self.task_data(code) if code.strip() else None
        return TaskShown(data) if data is not None else UnknownTask(code.strip()[:20])

    async def set_status(self, user: User, code: str, status: TaskStatus, note: str | None,
                         turn: Turn | None = None) -> SetStatusOutcome:
        """Record the status of a current-period task by its number (note None keeps the earlier one)."""
        if not user.is_staff:
            return Refused(STAFF_ONLY)
        task = await self.plan.task_by_code(code)
        if task is None:
            return UnknownTask(code.strip()[:20])
        return await self.set_task_status(user, task.id, status, note, turn)

    async def set_task_status(self, user: User, task_id: int, status: TaskStatus, note: str | None,
                              turn: Turn | None = None) -> SetStatusOutcome:
        """Record the status of a task of any period by its row id (note None keeps the earlier one)."""
        if not user.is_staff:
            return Refused(STAFF_ONLY)
        task = await self.storage.plan.task(task_id)
        if task is None:
            return UnknownTask(str(task_id))
        before = await self.task_data(task.code, task.period_id)
        draft = TaskDraft(status=status, note=note[:MAX_NOTE] if note else None)
        outcome = await self.plan.edit_task(user.key, task.id, draft, turn)
        after = await self.task_data(task.code, task.period_id)
        if not outcome.ok or before is None or after is None:
            return NotSaved(outcome.message)
        return StatusSet(after, before["status_label"], outcome.changed)

    async def counts(self, user: User, topic: str = "") -> Counts | Refused:
        """The live figures beside the report's (of one topic, when given)."""
        if not user.is_staff:
            return Refused(STAFF_ONLY)
        return Counts(await self.counts_data(topic))
