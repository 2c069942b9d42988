"""Plan use cases: periods (new, copied), tasks added and edited with their history, the view of a period today."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.kernel.clock import Today
from bot.papi.cells import short_title
from bot.papi.deadlines import STATUSES, parse_deadline
from bot.papi.plan import (
    PAPI_AREAS,
    Period,
    PlanArea,
    PlanChange,
    PlanTask,
    TaskFields,
    area_index,
    current_period,
    find_task,
    period_as_of,
    period_span,
    view_status,
)
from bot.papi.report_import import ReportData
from bot.store.plan import ImportCounts, stored
from bot.store.storage import Storage, Turn
from bot.usecases.plan_import import copied, import_file

MAX_NAME, MAX_TEXT, MAX_UNIT, MAX_NOTE, MAX_LINK = 80, 4000, 300, 500, 500
_LINK = re.compile(r"^https?://[^\s<>\"']+$")


@dataclass(frozen=True)
class PlanView:
    """A period as shown on a given day: its areas and tasks, each task's status that day, and its "as of"."""

    period: Period
    areas: list[PlanArea]
    tasks: list[PlanTask]
    today: dt.date
    current: bool  # the period staff commands read

    @property
    def past(self) -> bool:
        """The period has ended: its tasks keep their last status."""
        return self.period.past(self.today)

    @property
    def as_of(self) -> dt.date:
        """The day the statuses shown hold for."""
        return period_as_of(self.period, self.tasks, self.today)

    def status(self, task: PlanTask) -> str:
        """The status to show for `task`."""
        return view_status(task, self.period, self.today)

    def recorded_later(self) -> list[PlanTask]:
        """Tasks of a past period whose status was recorded after the period's "as of" day."""
        return [t for t in self.tasks if self.past and t.status_on > self.as_of]


@dataclass(frozen=True)
class TaskDraft:
    """A task as an officer types it; None leaves a field as it is when editing (`clear_due` empties the due)."""

    area: str | None = None
    task: str | None = None
    lead: str | None = None
    partners: tuple[str, ...] | None = None
    output: str | None = None
    deadline: str | None = None
    due: dt.date | None = None
    clear_due: bool = False
    status: str | None = None
    note: str | None = None
    evidence: str | None = None
    result: str | None = None


@dataclass(frozen=True)
class PlanOutcome:
    """What a plan action did (or why it did nothing), said in Vietnamese."""

    ok: bool
    message: str
    period: Period | None = None
    task: PlanTask | None = None
    changed: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def _fail(message: str) -> PlanOutcome:
    return PlanOutcome(False, message)


def _problem(draft: TaskDraft, areas: list[PlanArea], creating: bool) -> str | None:
    """Why a draft cannot be saved, or None."""
    if draft.area is not None and draft.area not in {a.number for a in areas}:
        return f"Lĩnh vực «{draft.area[:10]}» không có trong kỳ này."
    if creating and not (draft.area and (draft.task or "").strip() and (draft.lead or "").strip()):
        return "Cần lĩnh vực, nội dung nhiệm vụ và đơn vị chủ trì."
    if (draft.task is not None and not draft.task.strip()) or (draft.lead is not None and not draft.lead.strip()):
        return "Nội dung nhiệm vụ và đơn vị chủ trì không được để trống."
    if draft.status is not None and draft.status not in STATUSES:
        return f"Tình trạng «{draft.status[:20]}» không hợp lệ."
    if draft.evidence and not _LINK.match(draft.evidence):
        return "Đường dẫn minh chứng phải bắt đầu bằng http:// hoặc https:// và không có dấu cách."
    limits = ((draft.task, MAX_TEXT), (draft.output, MAX_TEXT), (draft.result, MAX_TEXT), (draft.lead, MAX_UNIT),
              (draft.deadline, MAX_UNIT), (draft.note, MAX_NOTE), (draft.evidence, MAX_LINK))
    if any(text is not None and len(text) > limit for text, limit in limits):
        return "Nội dung quá dài."
    return None


class PlanService:
    """The office's PAPI plan, period by period; `today` is the day statuses are judged on (tests pin it)."""

    def __init__(self, storage: Storage, today: Today) -> None:
        self.storage = storage
        self.today = today

    async def periods(self) -> list[Period]:
        """Every period, oldest first."""
        return await self.storage.plan.periods()

    async def current(self) -> Period | None:
        """The period staff commands read (see bot.papi.plan.current_period)."""
        return current_period(await self.storage.plan.periods(), self.today())

    async def find_period(self, name_or_id: str) -> Period | None:
        """A period by its name (case and accents as written, spaces loose) or its number."""
        periods = await self.storage.plan.periods()
        wanted = " ".join(name_or_id.split()).casefold()
        by_name = next((p for p in periods if p.name.casefold() == wanted), None)
        if by_name or not wanted.isdigit():
            return by_name
        return next((p for p in periods if p.id == int(wanted)), None)

    async def view(self, period_id: int | None = None) -> PlanView | None:
        """A period (the current one by default) as shown today; None when there is none."""
        today = self.today()
        periods = await self.storage.plan.periods()
        current = current_period(periods, today)
        period = current if period_id is None else next((p for p in periods if p.id == period_id), None)
        if period is None:
            return None
        tasks = await self.storage.plan.tasks(period.id)
        return PlanView(period, await self.storage.plan.areas(period.id), tasks, today,
                        current is not None and current.id == period.id)

    async def task(self, task_id: int) -> tuple[PlanView, PlanTask, list[PlanChange]] | None:
        """A task with its period's view and its history (newest first)."""
        task = await self.storage.plan.task(task_id)
        view = await self.view(task.period_id) if task else None
        if task is None or view is None:
            return None
        return view, task, await self.storage.plan.changes(task.id)

    async def create_period(self, by: str, name: str, starts: dt.date | None = None, ends: dt.date | None = None,
                            copy_from: int | None = None) -> PlanOutcome:
        """A new period (dates from its name unless given), empty or with the tasks of an earlier one copied."""
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME:
            return _fail(f"Tên kỳ cần từ 1 đến {MAX_NAME} ký tự, ví dụ «6 tháng cuối năm 2026».")
        if (starts is None) != (ends is None):
            return _fail("Cần cả ngày bắt đầu và ngày kết thúc (hoặc để trống cả hai).")
        span = (starts, ends) if starts and ends else period_span(name)
        if span is None or span[0] is None or span[1] is None:
            return _fail(f"Tên «{name}» không cho biết thời gian: ghi rõ ngày bắt đầu và kết thúc, hoặc đặt tên "
                         "như «2026», «6 tháng cuối năm 2026», «Quý III/2026».")
        if span[0] > span[1]:
            return _fail("Ngày bắt đầu phải trước ngày kết thúc.")
        source = await self.storage.plan.period(copy_from) if copy_from is not None else None
        if copy_from is not None and source is None:
            return _fail("Không có kỳ để sao chép.")
        period = Period(0, name, span[0], span[1])
        tasks: list[TaskFields] = []
        areas = [PlanArea(n, a) for n, a in PAPI_AREAS]
        if source is not None:
            areas = await self.storage.plan.areas(source.id) or areas
            years = span[0].year - source.starts.year
            tasks = [replace(copied(t, years), status_by=f"copy:{source.name}")
                     for t in await self.storage.plan.tasks(source.id)]
        note = f"sao chép từ kỳ «{source.name}»" if source else "tạo mới"
        made = await self.storage.plan.create_period(period, areas, tasks, by, self.today(), note)
        if made is None:
            return _fail(f"Đã có kỳ «{name}».")
        outside = tuple(f"Nhiệm vụ {area_index(t.area)}.{t.number}: hạn {t.due:%d/%m/%Y} nằm ngoài kỳ, hãy xem lại "
                        "thời hạn." for t in tasks if t.due and not span[0] <= t.due <= span[1])
        copied_text = f", sao chép {len(tasks)} nhiệm vụ từ kỳ «{source.name}»" if source else ""
        return PlanOutcome(True, f"Đã tạo kỳ «{made.name}» ({made.span_text()}){copied_text}.", made,
                           warnings=outside)

    async def add_task(self, by: str, period_id: int, draft: TaskDraft) -> PlanOutcome:
        """Add a task to a period; its number is the next in its area."""
        period = await self.storage.plan.period(period_id)
        if period is None:
            return _fail("Không có kỳ này.")
        problem = _problem(draft, await self.storage.plan.areas(period_id), creating=True)
        if problem:
            return _fail(problem)
        deadline = parse_deadline(draft.deadline or "", period.ends.year)
        fields = TaskFields(
            area=draft.area or "", task=(draft.task or "").strip(), lead=(draft.lead or "").strip(),
            partners=draft.partners or (), output=draft.output or "", deadline=draft.deadline or "",
            due=draft.due or deadline.due, recurring=deadline.recurring, status=draft.status or "upcoming",
            note=draft.note or "", evidence=draft.evidence or "", result=draft.result or "")
        task = await self.storage.plan.add_task(period_id, fields, by, self.today(), "thêm mới")
        if task is None:
            return _fail("Không có kỳ này.")
        return PlanOutcome(True, f"Đã thêm nhiệm vụ {task.code} vào kỳ «{period.name}».", period, task)

    async def edit_task(self, by: str, task_id: int, draft: TaskDraft, turn: Turn | None = None) -> PlanOutcome:
        """Change a task's fields; each change is kept with who made it and when."""
        task = await self.storage.plan.task(task_id)
        if task is None:
            return _fail("Không có nhiệm vụ này.")
        problem = _problem(draft, await self.storage.plan.areas(task.period_id), creating=False)
        if problem:
            return _fail(problem)
        given: dict[str, Any] = {k: v.strip() if isinstance(v, str) else v for k, v in vars(draft).items()
                                 if v is not None and k not in ("due", "clear_due")}
        edited = replace(task, **given)
        if draft.due is not None or draft.clear_due:
            edited = replace(edited, due=None if draft.clear_due else draft.due)
        if draft.deadline is not None:
            edited = replace(edited, recurring=parse_deadline(edited.deadline, edited.due.year if edited.due
                                                              else self.today().year).recurring)
        values = stored(edited)
        values["title"] = short_title(edited.task) if draft.task is not None else task.title
        values["number"] = task.number if draft.area in (None, task.area) else None
        if values["number"] is None:
            del values["number"]
        result = await self.storage.plan.update_task(task_id, values, by, self.today(), turn)
        if result is None:
            return _fail("Không có nhiệm vụ này.")
        after, changed = result
        period = await self.storage.plan.period(after.period_id)
        if not changed:
            return PlanOutcome(True, f"Nhiệm vụ {after.code}: không có gì thay đổi.", period, after)
        return PlanOutcome(True, f"Đã cập nhật nhiệm vụ {after.code}.", period, after, tuple(changed))

    async def task_by_code(self, code: str, period_id: int | None = None) -> PlanTask | None:
        """A task of a period (the current one by default) by "8.1"."""
        view = await self.view(period_id)
        return find_task(view.tasks, code) if view else None

    async def import_report(self, by: str, source: Path, period: str | None = None) -> tuple[ImportCounts, ReportData]:
        """Import a report into the period it names (or `period`); ReportError when it cannot be read."""
        return await import_file(self.storage, source, period, by, self.today())
