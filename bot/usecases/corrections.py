"""The inbox's further admin use cases: preview and correct an answer already sent, assign, canned replies.

Like AdminService, every method checks the role itself and returns a typed outcome (bot/usecases/outcomes.py).
"""

from __future__ import annotations

from bot.kernel.models import ANSWERED, Ticket, User
from bot.kernel.registry import REGISTRY
from bot.kernel.render import Renderer, to_plain
from bot.store.storage import Storage
from bot.usecases.admin import admin_refusal, unsendable
from bot.usecases.outcomes import (
    Assigned,
    AssignOutcome,
    CannedDeleted,
    CannedOutcome,
    CannedSaved,
    Corrected,
    CorrectOutcome,
    Incomplete,
    NoSuchOfficer,
    NotAnswered,
    NotFound,
    Preview,
    Refused,
    Unchanged,
)

WEB = "web"  # web accounts act as `web:<login>`


def delivery_template(ticket: Ticket) -> str:
    """The template of what the citizen receives: the answer, or a correction of an answer already sent."""
    return "correction.html" if ticket.status == ANSWERED else "delivery.html"


class InboxService:
    """Corrections, previews, assignments and canned replies of the reply queue."""

    def __init__(self, storage: Storage, renderer: Renderer) -> None:
        self.storage = storage
        self.renderer = renderer

    def preview(self, user: User, ticket: Ticket, text: str) -> Preview | Refused:
        """The delivery (an answer, or a correction once answered) exactly as the citizen's channel shows it."""
        if refused := admin_refusal(user):
            return refused
        delivery = self.renderer.render(delivery_template(ticket), t=ticket, answer=text)
        if REGISTRY.kind(ticket.channel).renders_html:  # the others show plain text
            return Preview(delivery, True)
        return Preview(to_plain(delivery), False)

    async def correct(self, user: User, ticket_id: int, text: str) -> CorrectOutcome:
        """Correct an answer already sent: the correction is queued for the citizen, numbered, and audited."""
        text = text.strip()
        if problem := unsendable(user, text):
            return problem
        ticket = await self.storage.tickets.get(ticket_id)
        if ticket is None:
            return NotFound(ticket_id)
        if ticket.status != ANSWERED:
            return NotAnswered(ticket_id)
        if text == (ticket.answer or "").strip():
            return Unchanged(ticket)
        delivery = self.renderer.render("correction.html", t=ticket, answer=text)
        number = await self.storage.tickets.correct(ticket_id, text, user.key, delivery)
        if number is None:  # answered a moment ago no more (erased with its citizen)
            return NotAnswered(ticket_id)
        return Corrected(ticket, number)

    async def assign(self, user: User, ticket_id: int, login: str) -> AssignOutcome:
        """Assign a ticket to a web console officer (replacing any earlier assignment)."""
        if refused := admin_refusal(user):
            return refused
        ticket = await self.storage.tickets.get(ticket_id)
        if ticket is None:
            return NotFound(ticket_id)
        account = await self.storage.accounts.get(login)
        if account is None:
            return NoSuchOfficer(login)
        officer = f"{WEB}:{login}"
        await self.storage.inbox.assign(ticket_id, officer, user.key)
        return Assigned(ticket, officer, account.name or login)

    async def save_canned(self, user: User, reply_id: int | None, title: str, body: str) -> CannedOutcome:
        """Create (no id) or edit a canned reply; it needs a title and a body."""
        if refused := admin_refusal(user):
            return refused
        title, body = title.strip(), body.strip()
        if not title or not body:
            return Incomplete()
        await self.storage.canned.save(reply_id, title, body, user.key)
        return CannedSaved()

    async def delete_canned(self, user: User, reply_id: int) -> CannedOutcome:
        """Remove a canned reply."""
        if refused := admin_refusal(user):
            return refused
        await self.storage.canned.delete(reply_id, user.key)
        return CannedDeleted()
