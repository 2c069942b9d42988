"""What the web console shows and records beside the officers' typed use cases: the inbox lists and a ticket's
surroundings, delivery and notices, the dashboard's figures, the register's items, the database's health; and the
console's audited writes (a task's status, a new plan period)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.kernel.models import Ticket, User
from bot.store.accounts import CannedReply
from bot.store.doubt import DoubtCounts
from bot.store.feedback import FeedbackItem
from bot.store.heartbeat import Delivering
from bot.store.storage import Storage
from bot.usecases.outcomes import SetStatusOutcome, StatusSet, TaskStatus
from bot.usecases.planning import PlanOutcome, PlanService
from bot.usecases.staff import StaffService


class Console:
    """The console's reads over the database, and its writes that leave an audit line."""

    def __init__(self, storage: Storage, staff: StaffService, plan: PlanService) -> None:
        self.storage = storage
        self.staff = staff
        self.plan = plan

    async def health(self) -> str:
        """The database's state: `ok`, `unusable` or `unavailable: <why>`."""
        return await self.storage.database.state()

    async def delivering(self) -> Delivering:
        """The running processes that deliver, their channels, and the newest beat ever recorded."""
        return await self.storage.heartbeat.delivering()

    async def tickets(self, status: str, channel: str, officer: str, search: str) -> list[tuple[Ticket, str | None]]:
        """The inbox's tickets oldest first (with whom each is assigned to), filtered; `officer` "" for anyone's."""
        return await self.storage.inbox.tickets(status, channel, officer, search)

    async def ticket(self, ticket_id: int) -> Ticket | None:
        """One ticket by number."""
        return await self.storage.tickets.get(ticket_id)

    async def asked_before(self, ticket: Ticket, limit: int = 5) -> list[dict[str, Any]]:
        """The citizen's previous questions just before this ticket, oldest first."""
        return await self.storage.questions.before(ticket, limit)

    async def deliveries(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every message about a ticket, with its delivery state, oldest first."""
        return await self.storage.outbox.deliveries(ticket_id)

    async def assigned_to(self, ticket_id: int) -> str | None:
        """The officer a ticket is assigned to, if any."""
        return await self.storage.inbox.assigned_to(ticket_id)

    async def canned(self) -> list[CannedReply]:
        """Every canned reply, by title."""
        return await self.storage.canned.every()

    async def live(self) -> dict[str, int]:
        """What the open inbox watches: pending tickets, the newest ticket, notices that did not arrive."""
        return await self.storage.notices.live()

    async def notice_problems(self) -> list[dict[str, Any]]:
        """The officers' notices of the last days that did not arrive or are being retried."""
        return await self.storage.notices.problems()

    async def ticket_times(self, since: float) -> list[tuple[float, float | None, str]]:
        """(created, answered or closed, status) of every ticket created since `since`."""
        return await self.storage.tickets.times(since)

    async def doubt_counts(self, since: float = 0.0, until: float = float("inf")) -> DoubtCounts:
        """Doubtful answers logged in [since, until), those still open, and the verdicts given."""
        return await self.storage.doubts.counts(since, until)

    async def survey_answers(self) -> list[tuple[str, dict[str, str]]]:
        """Every survey's (month, answers), oldest month first."""
        return await self.storage.survey.answers()

    async def feedback_item(self, item_id: int) -> FeedbackItem | None:
        """One item of the feedback register."""
        return await self.storage.feedback.item(item_id)

    async def feedback_deliveries(self, item_id: int) -> list[dict[str, Any]]:
        """The messages sent to the citizen about one register item, oldest first, with their delivery state."""
        return await self.storage.feedback.deliveries(item_id)

    async def set_task_status(self, user: User, task_id: int, status: TaskStatus,
                              note: str | None) -> SetStatusOutcome:
        """A task's status set from the console (note None keeps the earlier one), audited when recorded."""
        outcome = await self.staff.set_task_status(user, task_id, status, note)
        if isinstance(outcome, StatusSet):
            await self.storage.audit.record(user.key, "task_status", None, f"{outcome.task['id']}: {status}")
        return outcome

    async def create_period(self, user: User, name: str, starts: dt.date | None, ends: dt.date | None,
                            copy_from: int | None) -> PlanOutcome:
        """A new plan period (empty or with an earlier one's tasks copied), audited when created."""
        outcome = await self.plan.create_period(user.key, name, starts, ends, copy_from)
        if outcome.ok and outcome.period is not None:
            await self.storage.audit.record(user.key, "plan_period", None, outcome.period.name)
        return outcome
