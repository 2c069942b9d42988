"""The PAPI plan as periods of tasks: names and spans of periods, task codes, and status judged on a given day."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.papi.deadlines import DONE, ONGOING, OVERDUE, STATUS_LABELS, UPCOMING
from bot.understanding.text import fold, tokens

UNREPORTED = "unreported"  # a past period's task that was not yet due at its last report: no result known
VIEW_STATUSES = (DONE, ONGOING, UPCOMING, OVERDUE, UNREPORTED)
VIEW_LABELS = {**STATUS_LABELS, UNREPORTED: "Chưa có kết quả"}
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
# The eight PAPI areas, as the office's 2021 report names them: a new period starts with these.
PAPI_AREAS = (("I", "Tham gia của người dân ở cấp cơ sở"), ("II", "Công khai, minh bạch trong hoạch định chính sách"),
              ("III", "Trách nhiệm giải trình với người dân"), ("IV", "Kiểm soát tham nhũng trong khu vực công"),
              ("V", "Thủ tục hành chính công"), ("VI", "Cung ứng dịch vụ công"), ("VII", "Quản trị môi trường"),
              ("VIII", "Quản trị điện tử"))
_CODE = re.compile(r"^\s*([IVX]+|\d{1,2})\s*[.\-/]\s*(\d{1,3})\s*$", re.IGNORECASE)
_HALF = re.compile(r"6 thang (dau|cuoi) nam (\d{4})")
_QUARTER = re.compile(r"quy (iv|iii|ii|i|[1-4])\s*(?:/|nam)\s*(\d{4})")
_YEAR = re.compile(r"^(?:nam\s+)?(\d{4})$")
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def area_index(number: str) -> int:
    """The position of an area's Roman number (VIII → 8); 0 when it is not one."""
    return ROMAN.index(number) + 1 if number in ROMAN else 0


def area_slug(name: str) -> str:
    """An area's name as a slug: "Quản trị điện tử" → "quan-tri-dien-tu"."""
    return "-".join(tokens(name))


def period_span(name: str) -> tuple[dt.date, dt.date] | None:
    """The dates a period's name covers ("2026", "6 tháng cuối năm 2026", "Quý III/2026"); None if it names none."""
    text = " ".join(fold(name).lower().replace("/", " / ").split()).replace(" / ", "/")
    if m := _HALF.search(text):
        year = int(m[2])
        return (dt.date(year, 1, 1), dt.date(year, 6, 30)) if m[1] == "dau" else (dt.date(year, 7, 1),
                                                                                 dt.date(year, 12, 31))
    if m := _QUARTER.search(text):
        year, quarter = int(m[2]), _QUARTERS[m[1]]
        end = dt.date(year, 3 * quarter, 30 if quarter in (2, 3) else 31)
        return dt.date(year, 3 * quarter - 2, 1), end
    if m := _YEAR.match(text.strip()):
        return dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31)
    return None


@dataclass(frozen=True)
class Period:
    """A plan period: its name, the dates it covers, and the day its imported statuses were judged."""

    id: int
    name: str
    starts: dt.date
    ends: dt.date
    as_of: dt.date | None = None  # the report's date for an imported plan
    title: str = ""
    source: str = ""
    created_by: str = ""
    created_at: float = 0.0

    def past(self, today: dt.date) -> bool:
        """Whether the period ended before `today`."""
        return self.ends < today

    def span_text(self) -> str:
        """"01/07/2021–31/12/2021"."""
        return f"{self.starts:%d/%m/%Y}–{self.ends:%d/%m/%Y}"


@dataclass(frozen=True)
class PlanArea:
    """One PAPI area of a period."""

    number: str
    name: str

    @property
    def index(self) -> int:
        """1 for I, 8 for VIII."""
        return area_index(self.number)

    @property
    def slug(self) -> str:
        """The area's name as a slug."""
        return area_slug(self.name)


@dataclass(frozen=True)
class PlanTask:
    """One task of a period, with its last recorded status and who recorded it when."""

    id: int
    period_id: int
    area: str
    number: int
    title: str
    task: str
    result: str
    output: str
    lead: str
    partners: tuple[str, ...]
    deadline: str
    due: dt.date | None
    recurring: bool
    status: str
    note: str
    evidence: str
    status_on: dt.date
    status_by: str
    updated_by: str
    updated_at: float

    @property
    def code(self) -> str:
        """"8.1": the area's position and the task's number in it."""
        return f"{area_index(self.area)}.{self.number}"

    @property
    def status_source(self) -> str:
        """Who the status is from: "report" (imported), "copy" (the default of a copied task) or "officer"."""
        return status_source(self.status_by)


def status_source(status_by: str) -> str:
    """"report" for `import:…`, "copy" for `copy:…`, else "officer" (a person recorded it)."""
    return "report" if status_by.startswith("import:") else "copy" if status_by.startswith("copy:") else "officer"


@dataclass(frozen=True)
class PlanChange:
    """One field of a task changed: from what to what, by whom, when."""

    task_id: int
    field: str
    old: str
    new: str
    changed_by: str
    at: float


def current_period(periods: list[Period], today: dt.date) -> Period | None:
    """The period staff commands read: the latest-starting one that covers today, else the last one that ended."""
    covering = [p for p in periods if p.starts <= today <= p.ends]
    if covering:
        return max(covering, key=lambda p: (p.starts, p.id))
    ended = [p for p in periods if p.ends < today]
    if ended:
        return max(ended, key=lambda p: (p.ends, p.id))
    return min(periods, key=lambda p: (p.starts, p.id)) if periods else None


def view_status(task: PlanTask, period: Period, today: dt.date) -> str:
    """The status to show today: a past period keeps its last status (never "not yet due"); in the current
    period a task not done is overdue once its due date has passed."""
    if period.past(today):
        return UNREPORTED if task.status == UPCOMING else task.status
    if task.status == DONE:
        return DONE
    if task.due is not None and task.due < today:
        return OVERDUE
    return task.status if task.status in (ONGOING, UPCOMING, OVERDUE) else UPCOMING


def period_as_of(period: Period, tasks: list[PlanTask], today: dt.date) -> dt.date:
    """The day the shown statuses hold for: today in a current period; for a past one, its report's date, or
    the last day a status was recorded (its end when none was)."""
    if not period.past(today):
        return today
    if period.as_of is not None:
        return period.as_of
    return max((t.status_on for t in tasks), default=period.ends)


def find_task(tasks: list[PlanTask], code: str) -> PlanTask | None:
    """A task by "8.1" (also "VIII.1"); None when there is no such task."""
    m = _CODE.match(code or "")
    if not m:
        return None
    first = m[1].upper()
    index = int(first) if first.isdigit() else area_index(first)
    return next((t for t in tasks if area_index(t.area) == index and t.number == int(m[2])), None)


def split_partners(text: str) -> tuple[str, ...]:
    """Coordinating units written "A; B; C" (or one per line)."""
    return tuple(p.strip(" .") for p in re.split(r"[;\n]", text) if p.strip(" ."))


@dataclass(frozen=True)
class TaskFields:
    """A task as it is created: imported from a report, copied from another period, or typed in."""

    area: str
    task: str
    lead: str
    partners: tuple[str, ...] = ()
    output: str = ""
    deadline: str = ""
    due: dt.date | None = None
    recurring: bool = False
    status: str = UPCOMING
    note: str = ""
    evidence: str = ""
    result: str = ""
    title: str = ""
    number: int | None = None  # None: the next number in its area
    status_by: str = ""  # who recorded the status, when not whoever creates the task (an earlier edit carried over)
    status_on: dt.date | None = None
    history: tuple[PlanChange, ...] = ()  # earlier changes carried over with it (their task_id is not read)
