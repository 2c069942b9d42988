"""What the officers' use cases did, as typed values; each channel says it in its own words.

A use case takes typed arguments (a ticket number as an int, a status as a `TaskStatus`) and returns one of these:
it never parses a command line and never returns chat text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.kernel.models import Ticket
from bot.understanding.publish import Verdict

ADMIN_ONLY, STAFF_ONLY = "admin_only", "staff_only"
TaskStatus = Literal["done", "ongoing", "upcoming", "overdue"]
_TASK_STATUSES: dict[str, TaskStatus] = {"done": "done", "ongoing": "ongoing", "upcoming": "upcoming",
                                         "overdue": "overdue"}


def task_status(code: str) -> TaskStatus | None:
    """A status code ("done", "ongoing", "upcoming", "overdue") as a TaskStatus; None for anything else."""
    return _TASK_STATUSES.get(code)



@dataclass(frozen=True)
class Refused:
    """The caller's role may not do this (`reason`: ADMIN_ONLY or STAFF_ONLY)."""

    reason: str


@dataclass(frozen=True)
class NotFound:
    """No ticket has this number."""

    ticket_id: int



@dataclass(frozen=True)
class Blank:
    """The answer (or correction) is empty."""


@dataclass(frozen=True)
class TooLong:
    """The answer is longer than an answer may be."""

    length: int
    limit: int


@dataclass(frozen=True)
class NotPending:
    """The ticket was already answered or closed, so it cannot be answered or closed (again)."""

    ticket: Ticket


@dataclass(frozen=True)
class Overtaken:
    """Another officer answered the ticket a moment before."""

    ticket: Ticket


@dataclass(frozen=True)
class Answered:
    """The answer is stored and queued for the citizen (`invited`: with the satisfaction survey's invitation)."""

    ticket: Ticket
    invited: bool = False


@dataclass(frozen=True)
class Closed:
    """The ticket is closed; `told`: the citizen is told (never for spam)."""

    ticket: Ticket
    told: bool


@dataclass(frozen=True)
class NotAnswered:
    """The ticket has no answer yet: there is nothing to correct or to learn from."""

    ticket_id: int


@dataclass(frozen=True)
class Unchanged:
    """The correction says exactly what the answer already sent said."""

    ticket: Ticket


@dataclass(frozen=True)
class Corrected:
    """A correction of the answer already sent is queued for the citizen (`number`: the how-manieth)."""

    ticket: Ticket
    number: int


@dataclass(frozen=True)
class Preview:
    """The delivery as the citizen's channel shows it: formatted (`html`) or plain text."""

    text: str
    html: bool


@dataclass(frozen=True)
class NoSuchOfficer:
    """No web account has this login."""

    login: str


@dataclass(frozen=True)
class Assigned:
    """The ticket is assigned to an officer (`name`: as shown)."""

    ticket: Ticket
    officer: str
    name: str


@dataclass(frozen=True)
class QueuePage:
    """One page of the pending tickets, oldest first, with who took which over (`takeovers`)."""

    tickets: list[Ticket]
    total: int
    page: int
    pages: int
    now: float
    takeovers: int

    @property
    def has_next(self) -> bool:
        """Another page follows this one."""
        return self.page + 1 < self.pages



@dataclass(frozen=True)
class Incomplete:
    """A canned reply needs both a title and a body."""


@dataclass(frozen=True)
class CannedSaved:
    """The canned reply is saved."""


@dataclass(frozen=True)
class CannedDeleted:
    """The canned reply is deleted."""



@dataclass(frozen=True)
class Reloaded:
    """The knowledge folder is loaded again."""

    topics: int


@dataclass(frozen=True)
class Broken:
    """The knowledge could not be loaded (a broken edit): the bot keeps the knowledge it had."""

    problems: tuple[str, ...]


@dataclass(frozen=True)
class UnknownTopic:
    """No topic has this id."""

    topic_id: str


@dataclass(frozen=True)
class NoTitle:
    """A new topic needs a title an officer wrote."""


@dataclass(frozen=True)
class PersonalData:
    """The text to publish holds personal data (the verdict says what); nothing was saved."""

    ticket_id: int
    verdict: Verdict
    topic_id: str | None = None  # the topic a question was to join; None for a new topic


@dataclass(frozen=True)
class Promoted:
    """The ticket's question joined a topic, or made a new one (`new`); the bot answers it from now on."""

    ticket_id: int
    topic_id: str
    new: bool = False



@dataclass(frozen=True)
class NoPlan:
    """There is no plan period yet."""


@dataclass(frozen=True)
class AllAreas:
    """Every area's progress in the current period (StaffService.status_data)."""

    data: dict[str, Any]


@dataclass(frozen=True)
class OneArea:
    """One area's tasks in the current period (StaffService.status_data)."""

    data: dict[str, Any]


@dataclass(frozen=True)
class AreaNotFound:
    """No area is named so: several match (`candidates`) or none (every area is listed)."""

    query: str
    candidates: list[dict[str, Any]]
    areas: list[dict[str, Any]]


@dataclass(frozen=True)
class TaskShown:
    """One task in full, with its period."""

    task: dict[str, Any]


@dataclass(frozen=True)
class UnknownTask:
    """No task of the period has this number."""

    code: str


@dataclass(frozen=True)
class NotSaved:
    """The plan refused the change (`problem`, as the plan says it)."""

    problem: str


@dataclass(frozen=True)
class StatusSet:
    """A task's status is recorded: the task as it is now, its status label before, the fields that changed."""

    task: dict[str, Any]
    before: str
    changed: tuple[str, ...]


@dataclass(frozen=True)
class Counts:
    """The live figures beside the report's (StaffService.counts_data)."""

    data: dict[str, Any]


AnswerOutcome = Answered | NotFound | NotPending | Overtaken | TooLong | Blank | Refused
CorrectOutcome = Corrected | NotFound | NotAnswered | Unchanged | TooLong | Blank | Refused
CloseOutcome = Closed | NotFound | NotPending | Refused
AssignOutcome = Assigned | NotFound | NoSuchOfficer | Refused
CannedOutcome = CannedSaved | CannedDeleted | Incomplete | Refused
ReloadOutcome = Reloaded | Broken | Refused
PromoteOutcome = Promoted | NotAnswered | UnknownTopic | NoTitle | PersonalData | Broken | Refused
StatusOutcome = AllAreas | OneArea | AreaNotFound | NoPlan | Refused
TaskOutcome = TaskShown | UnknownTask | Refused
SetStatusOutcome = StatusSet | UnknownTask | NotSaved | Refused
DONE = (Answered, Corrected, Closed, Assigned, CannedSaved, CannedDeleted, Reloaded, Promoted, StatusSet, AllAreas,
        OneArea, TaskShown, Counts, QueuePage, Preview)


def succeeded(outcome: object) -> bool:
    """Whether the use case did what was asked (the command line's exit code)."""
    return isinstance(outcome, DONE)
