"""The plan in the console: periods (new, copied from an earlier one), tasks added and edited, each task's page
with its history (who changed what, when). Plain forms: everything works with JavaScript off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.engine.services import Services
from bot.kernel.render import local_time
from bot.papi.deadlines import STATUS_LABELS, UPCOMING
from bot.papi.plan import UNREPORTED, VIEW_LABELS, PlanChange, split_partners
from bot.usecases.planning import PlanOutcome, PlanView, TaskDraft
from bot.usecases.staff import area_dict, period_dict, task_dict
from channels.web.base import Officer, back, form_text, page, render, row_id

FIELDS = {"created": "Tạo nhiệm vụ", "area": "Lĩnh vực", "number": "Số thứ tự", "title": "Tên ngắn",
          "task": "Nội dung", "result": "Kết quả", "output": "Sản phẩm đầu ra", "lead": "Chủ trì",
          "partners": "Phối hợp", "deadline": "Thời hạn (như kế hoạch ghi)", "due": "Hạn",
          "recurring": "Thường xuyên", "status": "Tình trạng", "note": "Ghi chú", "evidence": "Minh chứng"}


def _value(name: str, value: str, past: bool) -> str:
    if name == "status":
        return VIEW_LABELS.get(UNREPORTED if past and value == UPCOMING else value, value)
    if name == "due" and value:
        return f"{dt.date.fromisoformat(value):%d/%m/%Y}"
    if name == "recurring":
        return "có" if value == "1" else "không"
    return value


def change_rows(changes: list[PlanChange], past: bool) -> list[dict[str, str]]:
    """A task's history as the page shows it: when, who, what, from what to what (statuses read as the period
    shows them: in a past period "upcoming" is "Chưa có kết quả")."""
    return [{"at": local_time(c.at), "by": c.changed_by, "field": FIELDS.get(c.field, c.field),
             "old": _value(c.field, c.old, past), "new": _value(c.field, c.new, past)} for c in changes]


def _date(text: str) -> dt.date | str | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return "bad"


def draft_from(form: Any) -> TaskDraft | str:
    """The task form as a draft (every field given: an edit records only what differs), or what is wrong."""
    due = _date(form_text(form, "due", 10))
    if due == "bad":
        return "Hạn phải là một ngày."
    return TaskDraft(area=form_text(form, "area", 10), task=form_text(form, "task", 4000),
                     lead=form_text(form, "lead", 300), partners=split_partners(form_text(form, "partners", 2000)),
                     output=form_text(form, "output", 4000), deadline=form_text(form, "deadline", 300),
                     due=due if isinstance(due, dt.date) else None, clear_due=due is None,
                     status=form_text(form, "status", 20), note=form_text(form, "note", 500),
                     evidence=form_text(form, "evidence", 500), result=form_text(form, "result", 4000))


@page()
async def periods(request: Request, officer: Officer) -> Response:
    """GET /plan: every period with its dates, counts and "as of"; the form to create or copy one."""
    services: Services = request.app.state.services
    rows = []
    for period in await services.plan.periods():
        view = await services.plan.view(period.id)
        if view is not None:
            areas = [area_dict(view, a) for a in view.areas]
            rows.append({**period_dict(view), "tasks": len(view.tasks), "done": sum(a["done"] for a in areas),
                         "overdue": sum(a["overdue"] for a in areas)})
    return render(request, "plan.html", officer, periods=rows)


@page()
async def create(request: Request, officer: Officer) -> Response:
    """POST /plan: a new period, empty or with an earlier period's tasks copied."""
    services: Services = request.app.state.services
    form = await request.form()
    starts, ends = _date(form_text(form, "starts", 10)), _date(form_text(form, "ends", 10))
    if "bad" in (starts, ends):
        return back("/plan", err="Ngày bắt đầu và kết thúc phải là ngày.")
    outcome = await services.console.create_period(
        officer.user, form_text(form, "name", 80), starts if isinstance(starts, dt.date) else None,
        ends if isinstance(ends, dt.date) else None, row_id(form_text(form, "copy_from", 20)))
    if not outcome.ok or outcome.period is None:
        return back("/plan", err=outcome.message)
    return back(f"/dashboard?period={outcome.period.id}", msg=" ".join((outcome.message, *outcome.warnings))[:300])


def _form_context(view: PlanView) -> dict[str, Any]:
    recorded = {s: VIEW_LABELS[UNREPORTED if view.past and s == UPCOMING else s] for s in STATUS_LABELS}
    return {"period": period_dict(view), "areas": view.areas, "statuses": recorded}


@page()
async def new_task(request: Request, officer: Officer) -> Response:
    """GET /plan/{period}/task/new: the form to add a task."""
    services: Services = request.app.state.services
    view = await services.plan.view(request.path_params["period"])
    if view is None:
        return render(request, "message.html", officer, code=404, text="Không có kỳ kế hoạch này.")
    return render(request, "plan_task.html", officer, task=None, history=[], **_form_context(view))


async def _save(request: Request, form_url: str, save: Callable[[TaskDraft], Awaitable[PlanOutcome]]) -> Response:
    """Read the task form and save it; back to the form with the reason, or on to the task's page."""
    draft = draft_from(await request.form())
    outcome = await save(draft) if not isinstance(draft, str) else None
    if outcome is None or not outcome.ok or outcome.task is None:
        return back(form_url, err=outcome.message if outcome else str(draft))
    return back(f"/plan/task/{outcome.task.id}", msg=outcome.message)


@page()
async def add_task(request: Request, officer: Officer) -> Response:
    """POST /plan/{period}/task/new: add the task; its page follows."""
    services: Services = request.app.state.services
    period = request.path_params["period"]
    return await _save(request, f"/plan/{period}/task/new",
                       lambda draft: services.plan.add_task(officer.user.key, period, draft))


@page()
async def task_page(request: Request, officer: Officer) -> Response:
    """GET /plan/task/{id}: a task in full, its edit form and its history."""
    services: Services = request.app.state.services
    found = await services.plan.task(request.path_params["task"])
    if found is None:
        return render(request, "message.html", officer, code=404, text="Không có nhiệm vụ này.")
    view, task, changes = found
    return render(request, "plan_task.html", officer, task=task_dict(view, task),
                  history=change_rows(changes, view.past), **_form_context(view))


@page()
async def edit_task(request: Request, officer: Officer) -> Response:
    """POST /plan/task/{id}: save the edit; each changed field goes into the history."""
    services: Services = request.app.state.services
    task_id = request.path_params["task"]
    return await _save(request, f"/plan/task/{task_id}",
                       lambda draft: services.plan.edit_task(officer.user.key, task_id, draft))


def routes() -> list[Route]:
    """The plan's routes."""
    return [
        Route("/plan", periods, methods=["GET"]),
        Route("/plan", create, methods=["POST"]),
        Route("/plan/{period:int}/task/new", new_task, methods=["GET"]),
        Route("/plan/{period:int}/task/new", add_task, methods=["POST"]),
        Route("/plan/task/{task:int}", task_page, methods=["GET"]),
        Route("/plan/task/{task:int}", edit_task, methods=["POST"]),
    ]
