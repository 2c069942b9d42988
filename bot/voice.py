"""What citizens say, measured: the figures /counts, the dashboard and the report show beside the PAPI plan.

Feedback items by status and by month (of filing), and the survey's elements with their number of answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.render import VN_TZ
from bot.storage import Storage
from bot.store_feedback import FEEDBACK_STATUSES
from bot.survey_def import Survey
from bot.survey_stats import FEW, month_label, survey_stats

FEEDBACK_LABELS = {"received": "Đã tiếp nhận", "handling": "Đang xử lý", "transferred": "Đã chuyển cơ quan khác",
                   "answered": "Đã trả lời", "published": "Đã công khai"}


def _month(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, VN_TZ).strftime("%Y-%m")


async def feedback_counts(storage: Storage) -> dict[str, Any]:
    """{"total", "by_status": {status: n}, "by_month": {"YYYY-MM": {status: n}}}."""
    times = await storage.feedback_times()
    by_month: dict[str, dict[str, int]] = {}
    for status, created in times:
        month = by_month.setdefault(_month(created), dict.fromkeys(FEEDBACK_STATUSES, 0))
        month[status] += 1
    return {"total": len(times), "by_status": {s: sum(1 for t, _ in times if t == s) for s in FEEDBACK_STATUSES},
            "by_month": by_month}


async def voice_figures(storage: Storage, survey: Survey | None) -> dict[str, Any]:
    """The feedback register's counts and the survey's figures, ready for the templates (labels included)."""
    feedback = await feedback_counts(storage)
    data: dict[str, Any] = {"feedback": feedback, "feedback_labels": FEEDBACK_LABELS,
                            "month_label": {m: month_label(m) for m in feedback["by_month"]}, "few": FEW}
    if survey is not None:
        stats = survey_stats(survey, await storage.survey_answers())
        data["survey"] = stats
        data["elements"] = [{"key": e.key, "name": e.name, "informs": list(e.informs),
                             **stats["elements"][e.key]} for e in survey.elements]
        data["month_label"].update({m: month_label(m) for m in stats["by_month"]})
        data["basis"] = survey.basis
    return data
