"""The report a leader signs: a period's plan with the live figures beside it, under the agency's header.

One jinja2 template (knowledge/templates/report.html) and one stylesheet (report.css) serve the browser's print
view (the stylesheet linked, under the console's policy), a standalone HTML file (the stylesheet inlined, for
opening from disk) and the PDF printed from that file by Chromium.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from bot.kernel.config import Config
from bot.kernel.render import VN_TZ, Renderer
from bot.papi.figures import check_metrics
from bot.usecases.live_figures import stamp
from bot.usecases.staff import StaffService

STYLESHEET = "report.css"


@dataclass(frozen=True)
class Signing:
    """What the document carries from configuration (PAPIBOT_REPORT_*): number, date, signer; blank when unset."""

    number: str = ""
    date: dt.date | None = None
    signer_title: str = ""
    signer_name: str = ""

    @classmethod
    def from_config(cls, config: Config) -> Signing:
        """The report settings of `config`."""
        day = dt.date.fromisoformat(config.report_date) if config.report_date else None
        return cls(config.report_number, day, config.report_signer_title, config.report_signer_name)


def stylesheet(renderer: Renderer) -> str:
    """The report's stylesheet, from the templates folder."""
    return Path(str(renderer.env.loader.searchpath[0])).joinpath(STYLESHEET).read_text(  # type: ignore[union-attr]
        encoding="utf-8")


async def report_data(staff: StaffService, signing: Signing, period_id: int | None = None,
                      now: float | None = None) -> dict[str, Any] | None:
    """Everything the report shows for a period (the current one by default); None when there is no such period."""
    view = await staff.plan.view(period_id)
    if view is None:
        return None
    moment = staff.clock.now() if now is None else now
    data = staff.plan_dict(view)
    figures = staff.figures
    own_figures = bool(figures.plan) and figures.plan == view.period.name  # the report's figures belong here
    today = dt.datetime.fromtimestamp(moment, VN_TZ).date()
    return {
        **data, "live": await staff.live(moment), "generated": stamp(moment),
        "metrics": [m for m in (await staff.counts_data("", moment))["metrics"]] if own_figures else [],
        "figures_source": figures.title, "figures_as_of": f"{figures.as_of:%d/%m/%Y}" if figures.as_of else "",
        "discrepancies": [d.message for d in check_metrics(staff.metrics)] if own_figures else [],
        "number": signing.number, "signer_title": signing.signer_title, "signer_name": signing.signer_name,
        "day": f"{signing.date:%d}" if signing.date else "", "month": f"{signing.date:%m}" if signing.date else "",
        "year": (signing.date or today).year,
    }


def report_html(renderer: Renderer, data: dict[str, Any], standalone: bool, links: bool = False) -> str:
    """The report as HTML: `standalone` inlines the stylesheet (a file to open or print anywhere); otherwise it
    links /report.css (the console's policy allows no inline style). `links` adds the screen-only navigation."""
    css = Markup(stylesheet(renderer)) if standalone else None
    return renderer.render("report.html", inline_css=css, links=links, **data)
