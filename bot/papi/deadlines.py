"""Vietnamese deadline text ("Quý III/2021", "Tháng 10/2021", "Thường xuyên") → a due date and a status."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.understanding.text import fold, tokens

DONE, ONGOING, UPCOMING, OVERDUE = "done", "ongoing", "upcoming", "overdue"
STATUSES = (DONE, ONGOING, UPCOMING, OVERDUE)
STATUS_LABELS = {
    DONE: "Hoàn thành",
    ONGOING: "Đang thực hiện (thường xuyên)",
    UPCOMING: "Chưa đến hạn",
    OVERDUE: "Quá hạn",
}
# What staff type after /capnhat, folded: English codes and the Vietnamese words people use.
STATUS_ALIASES = {
    "done": DONE, "xong": DONE, "da xong": DONE, "hoan thanh": DONE, "da hoan thanh": DONE,
    "ongoing": ONGOING, "dang lam": ONGOING, "dang thuc hien": ONGOING, "thuong xuyen": ONGOING,
    "upcoming": UPCOMING, "chua den han": UPCOMING, "sap toi": UPCOMING,
    "overdue": OVERDUE, "qua han": OVERDUE, "tre han": OVERDUE, "cham": OVERDUE,
}
_ROMAN_QUARTER = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_NUM = r"(\d{1,2})"
_YEAR = r"(\d{4})"
# Patterns run on folded, lower-cased text; each match is blanked out so a month's year
# is not read again as "năm 2021".
_DATE = re.compile(rf"{_NUM}/{_NUM}/{_YEAR}")
_MONTH = re.compile(rf"thang\s+{_NUM}\s*(?:/|\s+nam\s+){_YEAR}")
_QUARTER = re.compile(rf"quy\s+(iv|iii|ii|i|[1-4])\b(?:\s*(?:/|\s+nam\s+){_YEAR})?")
_HALF = re.compile(rf"6\s+thang\s+(dau|cuoi)\s+nam\s+{_YEAR}")
_YEAR_ONLY = re.compile(rf"\bnam\s+{_YEAR}")
# Phrases meaning the task has no single deadline: it recurs or waits for an event.
_RECURRING = ("thuong xuyen", "dinh ky", "khi co", "hang quy", "hang nam", "hang thang", "/lan",
              "theo quy dinh", "6 thang, nam", "6 thang va nam")
# Result texts that report no result yet ("chưa có văn bản…", "Hiện đang đôn đốc…").
_NOT_YET = re.compile(r"^(tinh den thoi diem bao cao )?(chua|hien dang|dang)\b")


@dataclass(frozen=True)
class Deadline:
    """What a deadline cell says: the latest date it names, and whether the task recurs."""

    text: str
    due: dt.date | None
    recurring: bool


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _safe(make: Callable[..., dt.date], *args: int) -> dt.date | None:
    try:
        return make(*args)
    except ValueError:
        return None


def _dates(text: str, default_year: int) -> list[dt.date]:
    """Every date the folded text names, each as the last day of the span it names."""
    found: list[dt.date | None] = []

    def take(pattern: re.Pattern[str], make: object) -> None:
        nonlocal text
        for m in pattern.finditer(text):
            found.append(make(m))  # type: ignore[operator]
        text = pattern.sub(" ", text)

    take(_DATE, lambda m: _safe(dt.date, int(m[3]), int(m[2]), int(m[1])))
    take(_MONTH, lambda m: _safe(_month_end, int(m[2]), int(m[1])))
    take(_QUARTER, lambda m: _month_end(int(m[2] or default_year), 3 * _ROMAN_QUARTER[m[1]]))
    take(_HALF, lambda m: dt.date(int(m[2]), 6 if m[1] == "dau" else 12, 30 if m[1] == "dau" else 31))
    take(_YEAR_ONLY, lambda m: dt.date(int(m[1]), 12, 31))
    return [d for d in found if d is not None]


def parse_deadline(text: str, default_year: int) -> Deadline:
    """Read a deadline cell; a quarter without a year ("Quý I") is in `default_year`."""
    folded = fold(text).lower()
    dates = _dates(folded, default_year)
    recurring = any(marker in folded for marker in _RECURRING)
    return Deadline(text, max(dates) if dates else None, recurring)


def has_result(result: str) -> bool:
    """True when the result text reports something done, not "chưa có…" or "hiện đang…"."""
    folded = " ".join(tokens(result))
    return bool(folded) and not _NOT_YET.match(folded)


def derive_status(result: str, deadline: Deadline, as_of: dt.date) -> str:
    """done if a result is reported; else upcoming/overdue by the due date; else ongoing."""
    if has_result(result):
        return DONE
    if deadline.due is not None:
        # A dated step that has passed without a result is overdue even if reporting recurs.
        return UPCOMING if deadline.due > as_of else OVERDUE
    return ONGOING


def parse_status(words: str) -> str | None:
    """A status typed by staff ("done", "xong", "hoàn thành", "quá hạn"); None if unknown."""
    return STATUS_ALIASES.get(" ".join(tokens(words)))
