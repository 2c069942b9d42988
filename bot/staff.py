"""Staff use cases: PAPI task status by area, one task, status edits, the figures beside the live queue."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

from bot.deadlines import DONE, ONGOING, OVERDUE, STATUS_LABELS, STATUSES, UPCOMING, parse_status
from bot.figures import Metric, MetricsError, check_metrics, load_metrics, visible
from bot.models import Reply, TaskOverride, User
from bot.render import VN_TZ, Renderer
from bot.storage import Storage, Turn
from bot.survey_def import Survey
from bot.tasks import Area, Task, TaskBook, TaskBookError
from bot.voice import voice_figures
from knowledge.loader import KnowledgeError

AREA_CALLBACK = "st:"  # button data "st:<slug>" reopens /status for that area
MAX_NOTE = 500  # a status note is a remark, not a report


def half_year(now: float) -> tuple[float, float, str]:
    """The current reporting half-year (1/1–30/6 or 1/7–31/12, Vietnam time) up to now, and its label."""
    today = dt.datetime.fromtimestamp(now, VN_TZ)
    start = dt.datetime(today.year, 1 if today.month <= 6 else 7, 1, tzinfo=VN_TZ)
    return start.timestamp(), now, f"{start:%d/%m/%Y}–{today:%d/%m/%Y}"


def load_staff_data(tasks: Path, metrics: Path) -> tuple[TaskBook, list[Metric]]:
    """The task book and the metrics from these files (config.staff_file); a broken one raises KnowledgeError."""
    try:
        return TaskBook.load(tasks), load_metrics(metrics)
    except (TaskBookError, MetricsError) as exc:
        raise KnowledgeError([str(exc)]) from exc


def vn_number(value: float) -> str:
    """609, 1.234 or 98,7: Vietnamese thousands and decimal separators."""
    whole = f"{value:,.1f}" if not float(value).is_integer() else f"{int(value):,}"
    return whole.replace(",", " ").replace(".", ",").replace(" ", ".")


def _hours(hours: float | None) -> str:
    if hours is None:
        return "chưa có câu hỏi nào được trả lời"
    return f"{vn_number(round(hours * 60))} phút" if hours < 1 else f"{vn_number(round(hours, 1))} giờ"


def _metric_dict(m: Metric) -> dict[str, Any]:
    value = int(m.value) if m.value.is_integer() else m.value
    return {"key": m.key, "label": m.label, "value": value, "unit": m.unit, "period": m.period,
            "section": m.section, "value_text": vn_number(m.value)}


def _override(o: TaskOverride | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {"status": o.status, "note": o.note, "changed_by": o.changed_by, "at": o.at}


class StaffService:
    """What staff and admins can ask about the office's PAPI plan; citizens are politely refused."""

    def __init__(self, book: TaskBook, metrics: list[Metric], storage: Storage, renderer: Renderer,
                 survey: Survey | None = None) -> None:
        self.survey = survey  # the satisfaction survey's elements, for the citizens' figures (bot/voice.py)
        self.book = book
        self.metrics = metrics
        self.storage = storage
        self.renderer = renderer

    # Data (also used by the CLI's --json)

    def task_dict(self, task: Task, overrides: dict[str, TaskOverride]) -> dict[str, Any]:
        """One task as a plain dict, with its effective status and the staff edit behind it."""
        status = self.book.status(task, overrides)
        return {
            "id": task.id, "area": task.area, "number": task.number, "title": task.title, "task": task.text,
            "lead": task.lead, "partners": list(task.partners), "output": task.output,
            "deadline": task.deadline, "due": task.due.isoformat() if task.due else None,
            "recurring": task.recurring, "status": status, "status_label": STATUS_LABELS[status],
            "report_status": task.base_status, "result": task.result,
            "override": _override(overrides.get(task.id)),
        }

    def area_dict(self, area: Area, overrides: dict[str, TaskOverride]) -> dict[str, Any]:
        """An area with its task counts by effective status."""
        statuses = [self.book.status(t, overrides) for t in area.tasks]
        counts = {s: statuses.count(s) for s in (DONE, ONGOING, UPCOMING, OVERDUE)}
        return {"number": area.number, "index": area.index, "slug": area.slug, "name": area.name,
                "total": len(statuses), **counts}

    async def status_data(self, arg: str = "") -> dict[str, Any]:
        """All areas, or one area with its tasks; {"candidates": […]} when the area is unknown/ambiguous."""
        overrides = await self.storage.task_overrides()
        day = self.book.report_date
        base = {"report_date": day.isoformat(), "as_of": f"{day:%d/%m/%Y}", "title": self.book.title}
        if not arg.strip():
            return {**base, "areas": [self.area_dict(a, overrides) for a in self.book.areas]}
        match = self.book.find_area(arg)
        if match.area is None:
            candidates = [self.area_dict(a, {}) for a in match.candidates]
            return {**base, "query": arg.strip(), "candidates": candidates}
        return {**base, "area": self.area_dict(match.area, overrides),
                "tasks": [self.task_dict(t, overrides) for t in match.area.tasks]}

    async def task_data(self, task_id: str) -> dict[str, Any] | None:
        """One task in full, or None when there is no such task."""
        task = self.book.task(task_id)
        if task is None:
            return None
        overrides = await self.storage.task_overrides()
        data = self.task_dict(task, overrides)
        area = self.book.area(task.area)
        data["area_name"] = area.name if area else ""
        return data

    async def counts_data(self, topic: str = "", now: float | None = None) -> dict[str, Any]:
        """The live reply-queue ledger for the current half-year beside the report's figures."""
        since, until, label = half_year(time.time() if now is None else now)
        stats = await self.storage.stats(since, until)
        queue = {"period": label, "received": stats.received, "answered": stats.answered,
                 "pending": stats.pending, "closed": stats.closed, "median_hours": stats.median_hours,
                 "p90_hours": stats.p90_hours,
                 "bot_answers": stats.bot_answers, "helpful_rate": stats.helpful_rate,
                 "median_text": _hours(stats.median_hours)}
        metrics = [_metric_dict(m) for m in visible(self.metrics, topic)]
        return {"topic": topic.strip(), "queue": queue, "metrics": metrics,
                "voice": await voice_figures(self.storage, self.survey)}

    async def report_data(self, now: float | None = None) -> dict[str, Any]:
        """Everything the progress-report appendix shows: areas with their tasks, and the counts."""
        overrides = await self.storage.task_overrides()
        areas = [{**self.area_dict(a, overrides), "tasks": [self.task_dict(t, overrides) for t in a.tasks]}
                 for a in self.book.areas]
        stamp = time.time() if now is None else now
        return {"title": self.book.title, "as_of": f"{self.book.report_date:%d/%m/%Y}", "areas": areas,
                "generated": dt.datetime.fromtimestamp(stamp, VN_TZ).strftime("%H:%M %d/%m/%Y"),
                "overrides": len(overrides), "discrepancies": [d.message for d in check_metrics(self.metrics)],
                **await self.counts_data("", stamp)}

    # Replies for the chat channels

    def _notice(self, kind: str, **context: Any) -> Reply:
        return Reply(self.renderer.render("staff_notice.html", kind=kind, **context), decision=kind)

    def _refused(self) -> Reply:
        return Reply(self.renderer.message("refused"), decision="refused")

    def _area_buttons(self, areas: list[dict[str, Any]]) -> list[list[tuple[str, str]]]:
        return [[(f"{a['number']}. {a['name']}", f"{AREA_CALLBACK}{a['slug']}")] for a in areas]

    async def status(self, user: User, arg: str = "") -> Reply:
        """/status: every area's progress; /status AREA: that area's tasks."""
        if not user.is_staff:
            return self._refused()
        data = await self.status_data(arg)
        if "areas" in data:
            return Reply(self.renderer.render("status.html", **data), decision="status")
        if "area" in data:
            return Reply(self.renderer.render("area.html", **data), decision="status")
        if data["candidates"]:
            reply = self._notice("ambiguous_area", query=data["query"], candidates=data["candidates"])
            reply.buttons = self._area_buttons(data["candidates"])
            return reply
        areas = [self.area_dict(a, {}) for a in self.book.areas]
        reply = self._notice("unknown_area", query=data["query"], areas=areas)
        reply.buttons = self._area_buttons(areas)
        return reply

    async def task(self, user: User, arg: str = "") -> Reply:
        """/task 8.1: one task in full."""
        if not user.is_staff:
            return self._refused()
        if not arg.strip():
            return self._notice("usage_task")
        data = await self.task_data(arg)
        if data is None:
            return self._notice("unknown_task", task_id=arg.strip()[:20])
        return Reply(self.renderer.render("task.html", task=data), decision="task")

    async def set_status(self, user: User, args: str = "", turn: Turn | None = None) -> Reply:
        """/capnhat 5.6 done [ghi chú]: record a status change with who and when."""
        if not user.is_staff:
            return self._refused()
        words = args.split()
        if len(words) < 2:
            return self._notice("usage_capnhat", statuses=STATUS_LABELS)
        task = self.book.task(words[0])
        if task is None:
            return self._notice("unknown_task", task_id=words[0][:20])
        status, note = _split_status(words[1:])
        if status is None:
            return self._notice("bad_status", word=words[1][:30], statuses=STATUS_LABELS)
        overrides = await self.storage.task_overrides()
        before = self.book.status(task, overrides)
        if not note and task.id in overrides:  # a status change alone keeps the note written earlier
            note = overrides[task.id].note
        await self.storage.set_task_status(task.id, status, note[:MAX_NOTE], user.key, turn)
        data = await self.task_data(task.id)
        who = user.name or f"#{user.user_id}"
        return self._notice("updated", task=data, before=STATUS_LABELS[before], who=who)

    async def counts(self, user: User, arg: str = "") -> Reply:
        """/counts [chủ đề]: the bot's own queue figures beside the report's."""
        if not user.is_staff:
            return self._refused()
        data = await self.counts_data(arg)
        return Reply(self.renderer.render("counts.html", **data), decision="counts")


def _split_status(words: list[str]) -> tuple[str | None, str]:
    """The status (one to three words, e.g. "hoàn thành", "chưa đến hạn") and the note after it."""
    for size in (3, 2, 1):
        status = parse_status(" ".join(words[:size]))
        if status in STATUSES and len(words) >= size:
            return status, re.sub(r"\s+", " ", " ".join(words[size:])).strip()
    return None, ""
