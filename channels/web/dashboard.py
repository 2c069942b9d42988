"""The leaders' dashboard: PAPI progress by area, the task table and its edits, the reply queue, the report."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.deadlines import OVERDUE, STATUS_LABELS, STATUSES
from bot.render import VN_TZ, to_plain
from bot.services import Services
from bot.staff import half_year
from channels.web.base import Officer, back, form_text, page, render
from channels.web.charts import progress_bars, weekly_chart
from channels.web.safety import REPORT_CSP
from channels.web.voice import dashboard_context

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


def _hours(value: float | None) -> str:
    if value is None:
        return "chưa có"
    return f"{round(value * 60)} phút" if value < 1 else f"{value:.1f} giờ".replace(".", ",")


def _filtered(areas: list[dict[str, Any]], area: str, status: str, overdue: bool) -> list[dict[str, Any]]:
    tasks = [t for a in areas if not area or a["slug"] == area for t in a["tasks"]]
    if status:
        tasks = [t for t in tasks if t["status"] == status]
    if overdue:
        tasks = [t for t in tasks if t["status"] == OVERDUE]
    return tasks


@page()
async def dashboard(request: Request, officer: Officer) -> Response:
    """GET /dashboard: progress bars, the filtered task table, the queue chart and its figures."""
    services: Services = request.app.state.services
    q = request.query_params
    area, status, overdue = q.get("area", ""), q.get("status", ""), q.get("overdue") == "1"
    now = time.time()
    report = await services.staff.report_data(now)
    since, _, period = half_year(now)
    stats = await services.storage.stats(since, now + 1)
    doubts = await services.storage.doubt_counts(since, now + 1)
    weeks = weekly(await services.storage.ticket_times(now - (WEEKS + 1) * WEEK), now)
    rate = f"{round(100 * stats.helpful / stats.rated)} %" if stats.rated else "chưa có"
    return render(request, "dashboard.html", officer, areas=report["areas"], bars=progress_bars(report["areas"]),
                  tasks=_filtered(report["areas"], area, status if status in STATUSES else "", overdue),
                  area=area, status=status, overdue=overdue, labels=STATUS_LABELS, chart=weekly_chart(weeks),
                  weeks=weeks, stats=stats, doubts=doubts, period=period, median=_hours(stats.median_hours),
                  p90=_hours(stats.p90_hours), rate=rate, discrepancies=report["discrepancies"],
                  **await dashboard_context(services, report["areas"]))


@page()
async def edit_task(request: Request, officer: Officer) -> Response:
    """POST /dashboard/task: a task's new status and note (an empty note keeps the earlier one)."""
    services: Services = request.app.state.services
    form = await request.form()
    task_id, status, note = form_text(form, "task", 20), form_text(form, "status", 20), form_text(form, "note", 500)
    if status not in STATUSES:
        return back("/dashboard", err="Tình trạng không hợp lệ.")
    reply = await services.staff.set_status(officer.user, f"{task_id} {status} {note}".strip())
    text = to_plain(reply.text).splitlines()[0] if reply.text else ""
    if reply.decision != "updated":
        return back("/dashboard", err=text or "Không cập nhật được.")
    await services.storage.audit(officer.user.key, "task_status", None, f"{task_id}: {status}")
    return back("/dashboard", msg=f"Đã cập nhật nhiệm vụ {task_id}: {STATUS_LABELS[status]}.")


@page()
async def report(request: Request, officer: Officer) -> Response:
    """GET /report.html: the print-ready progress-report appendix (A4 landscape), as a download."""
    services: Services = request.app.state.services
    html = services.renderer.render("report.html", **await services.staff.report_data())
    return HTMLResponse(html, headers={"Content-Disposition": 'attachment; filename="bao-cao-papi.html"',
                                       "Content-Security-Policy": REPORT_CSP})


def routes() -> list[Route]:
    """The dashboard's routes."""
    return [
        Route("/dashboard", dashboard, methods=["GET"]),
        Route("/dashboard/task", edit_task, methods=["POST"]),
        Route("/report.html", report, methods=["GET"]),
    ]
