"""What citizens say, measured: the survey's and the feedback register's live sections beside the PAPI plan.

Each is a `LiveSource` (bot/usecases/live_figures.py) of the current half-year, like the reply queue: the dashboard,
`/counts`, `papibot counts --json` and the report show it with its own period and "as of". The survey counts the
answers given in the half-year's months; the register counts the items filed in it, by their status now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.kernel.render import VN_TZ
from bot.papi.survey_form import Element, Survey
from bot.papi.survey_stats import FEW, month_label, survey_stats
from bot.store.feedback import FEEDBACK_STATUSES
from bot.store.storage import Storage
from bot.usecases.live_figures import LiveRow, LiveSection, LiveSource, half_year, stamp
from bot.usecases.planning import PlanService

FEEDBACK_LABELS = {"received": "Đã tiếp nhận", "handling": "Đang xử lý", "transferred": "Đã chuyển cơ quan khác",
                   "answered": "Đã trả lời", "published": "Đã công khai"}


def _month(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, VN_TZ).strftime("%Y-%m")


def count_feedback(times: list[tuple[str, float]]) -> dict[str, Any]:
    """{"total", "by_status": {status: n}, "by_month": {"YYYY-MM": {status: n}}} of (status, filed at) pairs."""
    by_month: dict[str, dict[str, int]] = {}
    for status, created in times:
        month = by_month.setdefault(_month(created), dict.fromkeys(FEEDBACK_STATUSES, 0))
        month[status] += 1
    return {"total": len(times), "by_status": {s: sum(1 for t, _ in times if t == s) for s in FEEDBACK_STATUSES},
            "by_month": by_month}


async def feedback_counts(storage: Storage) -> dict[str, Any]:
    """The whole register's counts (`papibot feedback list --json`)."""
    return count_feedback(await storage.feedback.times())


def feedback_register(storage: Storage) -> LiveSource:
    """The feedback filed in the current half-year, by its status now and by the month it was filed."""
    async def section(now: float) -> LiveSection:
        since, name, span = half_year(now)
        counts = count_feedback([(s, t) for s, t in await storage.feedback.times() if since <= t < now + 1])
        rows = (LiveRow("Phản ánh, kiến nghị nhận qua papibot", str(counts["total"]), "phản ánh"),
                *(LiveRow(label, str(counts["by_status"][key]), "phản ánh") for key, label in FEEDBACK_LABELS.items()),
                *(LiveRow(f"Gửi trong tháng {month_label(m)}", str(sum(row.values())), "phản ánh")
                  for m, row in sorted(counts["by_month"].items())))
        return LiveSection("feedback", "Phản ánh, kiến nghị về quy định hành chính", f"{name} ({span})", stamp(now),
                           rows, "Đếm trực tiếp từ sổ phản ánh lúc lập: các phản ánh gửi trong kỳ, theo tình trạng "
                                 "hiện nay; không kèm tên hay địa chỉ người gửi.", counts)
    return section


def _element_row(element: Element, figures: dict[str, Any]) -> LiveRow:
    """"Tiếp cận dịch vụ: 4,2/5 (12 câu trả lời)", marked when too few answers to read a trend from."""
    n = int(figures["n"])
    if not n:
        return LiveRow(element.name, "chưa có câu trả lời")
    value = f"{float(figures['mean']):.1f}/5".replace(".", ",")
    return LiveRow(element.name, value, f"({n} câu trả lời{', còn ít' if n < FEW else ''})")


async def _area_names(plan: PlanService | None) -> dict[int, str]:
    """"III. Trách nhiệm giải trình với người dân" by the area's index (3), from the current plan period."""
    view = await plan.view() if plan is not None else None
    return {a.index: f"{a.number}. {a.name}" for a in view.areas} if view is not None else {}


def satisfaction(storage: Storage, survey: Survey, plan: PlanService | None = None) -> LiveSource:
    """The satisfaction survey's answers in the months of the current half-year: responses and each element's
    mean with its number of answers; the note names the basis and the PAPI areas each element informs."""
    async def section(now: float) -> LiveSection:
        since, name, span = half_year(now)
        first, last = _month(since), _month(now)
        stats = survey_stats(survey, [(m, a) for m, a in await storage.survey.answers() if first <= m <= last])
        areas = await _area_names(plan)
        rows = (LiveRow("Lượt khảo sát", str(stats["responses"]), "lượt"),
                *(_element_row(e, stats["elements"][e.key]) for e in survey.elements))
        informs = "; ".join(f"{e.name}: {', '.join(areas.get(n, f'lĩnh vực {n}') for n in e.informs)}"
                            for e in survey.elements if e.informs)
        note = (f"Năm yếu tố theo {survey.basis}; thang điểm từ 1 (rất không hài lòng) đến 5 (rất hài lòng); câu trả "
                f"lời không kèm tên hay mã tài khoản. Dưới {FEW} câu trả lời thì chưa đủ để đọc xu hướng."
                + (f" Lĩnh vực PAPI mà Văn phòng dùng từng yếu tố để tham khảo: {informs}." if informs else ""))
        return LiveSection("survey", "Khảo sát sự hài lòng của người dân", f"{name} ({span})", stamp(now), rows, note,
                           stats)
    return section


def voice_sources(storage: Storage, survey: Survey, plan: PlanService | None = None) -> list[LiveSource]:
    """The survey's and the register's live sections, in the order they are shown after the reply queue."""
    return [satisfaction(storage, survey, plan), feedback_register(storage)]
