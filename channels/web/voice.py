"""What citizens say, on the console: the feedback register (statuses, transfer, answer), the survey's CSV,
and the survey's chart by month that the dashboard shows in the survey's live section (`survey_chart`)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.engine.services import Services
from bot.kernel.models import ADMIN
from bot.papi.survey_stats import survey_csv, survey_stats
from bot.store.feedback import FEEDBACK_STATUSES, FINISHED, FeedbackItem
from bot.usecases.voice import FEEDBACK_LABELS
from channels.web.base import Officer, back, form_text, page, render
from channels.web.inbox import DELIVERY_STATES
from channels.web.voice_charts import element_chart

DAY = 86400.0


def due(item: FeedbackItem, deadlines: dict[str, int]) -> float | None:
    """When an open item's current status is overdue (the configured days after it was set), else None."""
    days = deadlines.get(item.status)
    return item.status_at + days * DAY if days and item.status not in FINISHED else None


async def survey_chart(services: Services, areas: list[dict[str, Any]]) -> Markup:
    """Each element's mean by month (the latest months with answers), beside the PAPI areas it informs (`areas`:
    the shown period's, named "III. …" as on its progress bars)."""
    survey = services.survey.survey
    stats = survey_stats(survey, await services.console.survey_answers())
    elements = [{"key": e.key, "name": e.name, "informs": list(e.informs)} for e in survey.elements]
    return element_chart(elements, stats["by_month"], {int(a["index"]): f"{a['number']}. {a['name']}" for a in areas})


@page(ADMIN)
async def register(request: Request, officer: Officer) -> Response:
    """GET /feedback: the register oldest first (filter by status), with each open item's deadline."""
    services: Services = request.app.state.services
    status = request.query_params.get("status", "")
    status = status if status in FEEDBACK_STATUSES else ""
    items = await services.feedback.register(status)
    deadlines = dict(services.config.feedback_deadlines)
    return render(request, "feedback.html", officer, items=items, status=status, labels=FEEDBACK_LABELS,
                  due={i.id: due(i, deadlines) for i in items}, now=services.clock.now(), deadlines=deadlines)


async def _item(request: Request) -> FeedbackItem | None:
    return await request.app.state.services.console.feedback_item(int(request.path_params["id"]))  # type: ignore[no-any-return]


@page(ADMIN)
async def item_page(request: Request, officer: Officer) -> Response:
    """GET /feedback/<id>: the item in full (sender's details included), its messages, the forms."""
    services: Services = request.app.state.services
    item = await _item(request)
    if item is None:
        return render(request, "message.html", officer, code=404, text="Không có phản ánh này.")
    deadlines = dict(services.config.feedback_deadlines)
    return render(request, "feedback_item.html", officer, item=item, labels=FEEDBACK_LABELS,
                  deliveries=await services.console.feedback_deliveries(item.id), states=DELIVERY_STATES,
                  due=due(item, deadlines), now=services.clock.now(), finished=item.status in FINISHED)


@page(ADMIN)
async def set_status(request: Request, officer: Officer) -> Response:
    """POST /feedback/<id>/status: received, being handled, transferred (to the body named), published."""
    services: Services = request.app.state.services
    number = int(request.path_params["id"])
    form = await request.form()
    outcome = await services.feedback.set_status(officer.user, number, form_text(form, "status", 20),
                                                 form_text(form, "body", 200))
    return back(f"/feedback/{number}", msg=outcome.message if outcome.ok else "", err="" if outcome.ok else
                outcome.message)


@page(ADMIN)
async def answer(request: Request, officer: Officer) -> Response:
    """POST /feedback/<id>/answer: the answer, delivered to the citizen on their channel through the outbox."""
    services: Services = request.app.state.services
    number = int(request.path_params["id"])
    outcome = await services.feedback.answer(officer.user, number, form_text(await request.form(), "answer"))
    return back(f"/feedback/{number}", msg=outcome.message if outcome.ok else "", err="" if outcome.ok else
                outcome.message)


@page()
async def csv_download(request: Request, officer: Officer) -> Response:
    """GET /survey.csv: the survey's figures by month and element, for the office's own report."""
    services: Services = request.app.state.services
    body = survey_csv(services.survey.survey, await services.console.survey_answers())
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="khao-sat-hai-long.csv"'})


def routes() -> list[Route]:
    """The register's and the survey's routes."""
    return [
        Route("/feedback", register, methods=["GET"]),
        Route("/feedback/{id:int}", item_page, methods=["GET"]),
        Route("/feedback/{id:int}/status", set_status, methods=["POST"]),
        Route("/feedback/{id:int}/answer", answer, methods=["POST"]),
        Route("/survey.csv", csv_download, methods=["GET"]),
    ]
