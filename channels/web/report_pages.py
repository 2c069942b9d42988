"""The report a leader signs, in the console: a print view in the browser (not a download), its stylesheet, and
the same report as PDF through Chromium when the server has it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.engine.services import Services
from bot.papi.pdf import PdfError, find_chromium, html_to_pdf
from bot.usecases.report_doc import Signing, report_data, report_html, stylesheet
from channels.web.base import Officer, page, render
from channels.web.dashboard import chosen_period

NO_PERIOD = "Không có kỳ kế hoạch này. Xem các kỳ ở trang «Kế hoạch»."


async def _report(request: Request, officer: Officer, standalone: bool) -> str | Response:
    """The report of the period asked for (?period=ID, else the current one) as HTML, or the 404 page."""
    services: Services = request.app.state.services
    data = await report_data(services.staff, Signing.from_config(services.config), chosen_period(request))
    if data is None:
        return render(request, "message.html", officer, code=404, text=NO_PERIOD)
    return report_html(services.renderer, data, standalone=standalone, links=not standalone)


@page()
async def report(request: Request, officer: Officer) -> Response:
    """GET /report (also /report.html): the report of a period as a page to read and print (A4 landscape)."""
    html = await _report(request, officer, standalone=False)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"}) if isinstance(html, str) else html


@page()
async def report_pdf(request: Request, officer: Officer) -> Response:
    """GET /report.pdf: the same report printed to PDF by Chromium, opened in the browser."""
    html = await _report(request, officer, standalone=True)
    if not isinstance(html, str):
        return html
    try:
        pdf = await html_to_pdf(html, find_chromium(request.app.state.services.config.report_chromium))
    except PdfError as exc:
        return render(request, "message.html", officer, code=503, text=str(exc))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": 'inline; filename="bao-cao-papi.pdf"', "Cache-Control": "no-store"})


async def report_css(request: Request) -> Response:
    """GET /report.css: the report's stylesheet (screen and print)."""
    services: Services = request.app.state.services
    return Response(stylesheet(services.renderer), media_type="text/css")


def routes() -> list[Route]:
    """The report's routes."""
    return [
        Route("/report", report, methods=["GET"]),
        Route("/report.html", report, methods=["GET"]),
        Route("/report.pdf", report_pdf, methods=["GET"]),
        Route("/report.css", report_css, methods=["GET"]),
    ]
