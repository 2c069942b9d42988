"""Live figures beside the plan: sections counted from the database when a page or report is made.

The reply queue is the first source. Other registers add theirs by appending a `LiveSource` to
`StaffService.live_sources` where the services are composed (bot/engine/services.py): the dashboard, `/counts`, the
report and `papibot counts --json` then show their section with its own period and "as of", in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.kernel.models import QueueStats
from bot.kernel.render import VN_TZ
from bot.store.storage import Storage


@dataclass(frozen=True)
class LiveRow:
    """One live figure: what it counts, its value as shown, and its unit."""

    label: str
    value: str
    unit: str = ""


@dataclass(frozen=True)
class LiveSection:
    """A group of live figures with the period they cover and the moment they were counted."""

    key: str
    title: str
    period: str
    as_of: str
    rows: tuple[LiveRow, ...]
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # the same figures as numbers (`papibot counts --json`)

    def as_dict(self) -> dict[str, Any]:
        """The section as plain data (for --json and templates)."""
        return asdict(self)


LiveSource = Callable[[float], Awaitable[LiveSection]]


def half_year(now: float) -> tuple[float, str, str]:
    """The reporting half-year (1/1–30/6 or 1/7–31/12, Vietnam time) holding `now`: its start, its name, and the
    span from its start to now."""
    today = dt.datetime.fromtimestamp(now, VN_TZ)
    first = today.month <= 6
    start = dt.datetime(today.year, 1 if first else 7, 1, tzinfo=VN_TZ)
    name = f"6 tháng {'đầu' if first else 'cuối'} năm {today.year}"
    return start.timestamp(), name, f"{start:%d/%m/%Y}–{today:%d/%m/%Y}"


def stamp(now: float) -> str:
    """"14:30 05/03/2026"."""
    return dt.datetime.fromtimestamp(now, VN_TZ).strftime("%H:%M %d/%m/%Y")


def hours_text(hours: float | None) -> str:
    """A waiting time in minutes or hours, the Vietnamese way; a plain note when nothing was answered."""
    if hours is None:
        return "chưa có câu hỏi nào được trả lời"
    if hours < 1:
        return f"{round(hours * 60)} phút"
    return f"{round(hours, 1):g} giờ".replace(".", ",")


def queue_rows(stats: QueueStats) -> tuple[LiveRow, ...]:
    """The reply queue's ledger as rows."""
    rate = f"{round(100 * stats.helpful / stats.rated)} %" if stats.rated else "chưa có đánh giá"
    return (LiveRow("Câu hỏi chuyển cán bộ", str(stats.received), "câu hỏi"),
            LiveRow("Đã trả lời", str(stats.answered), "câu hỏi"),
            LiveRow("Đang chờ trả lời", str(stats.pending), "câu hỏi"),
            LiveRow("Đã đóng không trả lời", str(stats.closed), "câu hỏi"),
            LiveRow("Thời gian trả lời (trung vị)", hours_text(stats.median_hours)),
            LiveRow("Thời gian trả lời: 90 % câu hỏi trong", hours_text(stats.p90_hours)),
            LiveRow("Câu bot tự trả lời", str(stats.bot_answers), "câu"),
            LiveRow("Được đánh giá hữu ích", rate + (f" ({stats.helpful}/{stats.rated} đánh giá)" if stats.rated
                                                      else "")))


def queue_numbers(stats: QueueStats) -> dict[str, Any]:
    """The reply queue's ledger as numbers."""
    return {"received": stats.received, "answered": stats.answered, "pending": stats.pending, "closed": stats.closed,
            "median_hours": stats.median_hours, "p90_hours": stats.p90_hours, "bot_answers": stats.bot_answers,
            "helpful_rate": stats.helpful_rate, "median_text": hours_text(stats.median_hours)}


async def queue_ledger(storage: Storage, now: float) -> dict[str, Any]:
    """The reply queue's figures of the current half-year as numbers (`papibot counts --json`'s "queue")."""
    since, name, span = half_year(now)
    stats = await storage.tickets.stats(since, now + 1)
    return {"period": f"{name} ({span})", "as_of": stamp(now), **queue_numbers(stats)}


def reply_queue(storage: Storage) -> LiveSource:
    """The reply queue of the current half-year, counted now."""
    async def section(now: float) -> LiveSection:
        since, name, span = half_year(now)
        stats = await storage.tickets.stats(since, now + 1)
        return LiveSection("reply_queue", "Hàng đợi trả lời của papibot", f"{name} ({span})", stamp(now),
                           queue_rows(stats), "Đếm trực tiếp từ hàng đợi trả lời lúc lập; không phải số liệu của "
                                              "báo cáo nào.", queue_numbers(stats))
    return section
