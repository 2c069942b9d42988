"""The leaders' dashboard: a plan period by area, its task table and quick status edits, the live figures, and
the report a leader signs (a print view in the browser, or PDF)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import channels.web.said as said
from bot.engine.services import Services
from bot.kernel.render import VN_TZ
from bot.papi.deadlines import OVERDUE
from bot.usecases.live_figures import half_year
from bot.usecases.outcomes import task_status
from channels.web.base import Officer, back, form_text, page, render, row_id
from channels.web.charts import progress_bars, weekly_chart
from channels.web.voice import survey_chart

WEEKS = 12  # weeks shown in the queue chart
WEEK = 7 * 86400


def weekly(times: list[tuple[float, float | None, str]], now: float, weeks: int = WEEKS) -> list[dict[str, Any]]:
    """Per week (Monday to Sunday, Vietnam time): received, answered, and still pending at the week's end."""
    today = dt.datetime.fromtimestamp(now, VN_TZ).date()
    monday = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time(), VN_TZ).timestamp()
    out = []
    for i in range(weeks - 1, -1, -1):
        start = monday - i * WEEK
        end = min(start + WEEK, now)
        out.append({
            "label": dt.datetime.fromtimestamp(start, VN_TZ).strftime("%d/%m"),
            "received": sum(1 for c, _, _ in times if start <= c < end),
            "answered": sum(1 for _, a, s in times if s == "answered" and a is not None and start <= a < end),
            "pending": sum(1 for c, a, _ in times if c < end and (a is None or a >= end)),
        })
    return out


def _filtered(areas: list[dict[str, Any]], area: str, status: str, overdue: bool) -> list[dict[str, Any]]:
    tasks = [t for a in areas if not area or a["slug"] == area for t in a["tasks"]]
    if status:
        tasks = [t for t in tasks if t["status"] == status]
    if overdue:
        tasks = [t for t in tasks if t["status"] == OVERDUE]
    return tasks


def chosen_period(request: Request) -> int | None:
    """The period the page was asked for (?period=ID); None for the current one."""
    return row_id(request.query_params.get("period", ""))


@page()
async def dashboard(request: Request, officer: Officer) -> Response:
    """GET /dashboard: a period's progress by area, its filtered task table, the queue chart, the live figures (the
    survey's with its chart by month)."""
    services: Services = request.app.state.services
    q = request.query_params
    area, status, overdue = q.get("area", ""), q.get("status", ""), q.get("overdue") == "1"
    now = services.clock.now()
    view = await services.plan.view(chosen_period(request))
    periods = await services.plan.periods()
    since, _, _ = half_year(now)
    doubts = await services.console.doubt_counts(since, now + 1)
    weeks = weekly(await services.console.ticket_times(now - (WEEKS + 1) * WEEK), now)
    live = await services.staff.live(now)
    context: dict[str, Any] = {"periods": periods, "live": live, "chart": weekly_chart(weeks), "doubts": doubts,
                               "area": area, "status": status, "overdue": overdue, "plan": None}
    if view is not None:
        plan = services.staff.plan_dict(view)
        shown = tuple(plan["labels"])  # a past period has no "not yet due", a current one no "no result"
        context.update(plan=plan, period=plan["period"], areas=plan["areas"], labels=plan["labels"],
                       bars=progress_bars(plan["areas"], shown),
                       tasks=_filtered(plan["areas"], area, status if status in shown else "", overdue),
                       statuses=plan["recorded_labels"])
    context["survey_chart"] = await survey_chart(services, context.get("areas", []))
    return render(request, "dashboard.html", officer, **context)


@page()
async def edit_task(request: Request, officer: Officer) -> Response:
    """POST /dashboard/task: a task's new status and note (an empty note keeps the earlier one)."""
    services: Services = request.app.state.services
    form = await request.form()
    task_id, status = row_id(form_text(form, "task", 20)), form_text(form, "status", 20)
    note = form_text(form, "note", 500)
    target = "/dashboard" + (f"?period={form_text(form, 'period', 20)}" if row_id(form_text(form, "period")) else "")
    chosen = task_status(status)
    if chosen is None or task_id is None:
        return back(target, err="Tình trạng không hợp lệ.")
    outcome = await services.console.set_task_status(officer.user, task_id, chosen, note or None)
    return said.status_set(outcome).back(target)


def routes() -> list[Route]:
    """The dashboard's routes."""
    return [
        Route("/dashboard", dashboard, methods=["GET"]),
        Route("/dashboard/task", edit_task, methods=["POST"]),
    ]
