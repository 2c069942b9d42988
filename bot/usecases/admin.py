"""Admin use cases: list the queue, answer, close, reload and promote answers into the knowledge base.

Arguments are typed and results are outcomes (bot/usecases/outcomes.py); handlers/ and channels/web/ say them.
"""

from __future__ import annotations

from bot.kernel.clock import SYSTEM, Clock, vn_today
from bot.kernel.models import ANSWERED, PENDING, Ticket, User
from bot.kernel.render import Renderer
from bot.store.storage import AlreadyProcessed, Storage, Turn
from bot.understanding.brain import Brain
from bot.understanding.learn import promoted_topic
from bot.understanding.publish import NameOverride, PersonalDataRefused
from bot.usecases.learned import LearnedKnowledge
from bot.usecases.outcomes import (
    ADMIN_ONLY,
    Answered,
    AnswerOutcome,
    Blank,
    Broken,
    Closed,
    CloseOutcome,
    NotAnswered,
    NotFound,
    NoTitle,
    NotPending,
    Overtaken,
    PersonalData,
    Promoted,
    PromoteOutcome,
    QueuePage,
    Refused,
    Reloaded,
    ReloadOutcome,
    TooLong,
    UnknownTopic,
)
from bot.usecases.survey import SurveyService

PAGE = 10
MAX_ANSWER = 20_000
SPAM_WORDS = ("spam", "rác", "quảng cáo")
NO_REASON = "không nêu lý do"


def admin_refusal(user: User) -> Refused | None:
    """The refusal when the caller is not an admin (every admin use case asks, whoever called it)."""
    return None if user.is_admin else Refused(ADMIN_ONLY)


def unsendable(user: User, text: str) -> Refused | Blank | TooLong | None:
    """Why an officer's (stripped) text cannot go to a citizen: not an admin, empty or too long; None if it can."""
    if refused := admin_refusal(user):
        return refused
    if not text:
        return Blank()
    return TooLong(len(text), MAX_ANSWER) if len(text) > MAX_ANSWER else None


class AdminService:
    """What an admin can do with the reply queue and the knowledge; every method checks the role itself."""

    def __init__(self, brain: Brain, storage: Storage, renderer: Renderer, learned: LearnedKnowledge,
                 survey: SurveyService | None = None, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self.survey = survey  # invites the citizen to the satisfaction survey after an answer (once per period)
        self.brain = brain
        self.learned = learned
        self.storage = storage
        self.renderer = renderer  # for what the citizen receives: the answer and the closing notice

    async def queue(self, user: User, page: int = 0) -> QueuePage | Refused:
        """Pending tickets, oldest first, one page at a time."""
        if refused := admin_refusal(user):
            return refused
        page = max(0, page)
        tickets, total = await self.storage.tickets.pending(PAGE, page * PAGE)
        taken_over = await self.storage.channels.takeovers.count_now()
        return QueuePage(tickets, total, page, -(-total // PAGE), self.clock.now(), taken_over)

    async def answer(self, user: User, ticket_id: int, text: str, turn: Turn | None = None) -> AnswerOutcome:
        """Answer a pending ticket: the answer is queued for delivery to the citizen, on the citizen's channel."""
        text = text.strip()
        if problem := unsendable(user, text):
            return problem
        ticket = await self.storage.tickets.get(ticket_id)
        if ticket is None:
            return NotFound(ticket_id)
        if ticket.status != PENDING:
            return NotPending(ticket)
        delivery = self.renderer.render("delivery.html", t=ticket, answer=text)
        private = ticket.chat_id == ticket.user_id != "erased"  # never in a group, never to an erased citizen
        invite = await self.survey.invitation(ticket.channel, ticket.user_id) if self.survey and private else ""
        try:
            answered = await self.storage.tickets.answer(ticket_id, text, user.key, delivery + invite, turn)
        except AlreadyProcessed:  # the same admin message again after a crash: it was stored once
            return Answered(ticket)
        if not answered:
            return Overtaken(ticket)
        if invite and self.survey:
            await self.survey.invited(ticket.channel, ticket.user_id)
        return Answered(ticket, invited=bool(invite))

    async def close(self, user: User, ticket_id: int, reason: str = "", turn: Turn | None = None) -> CloseOutcome:
        """Close spam or duplicates; the citizen is told politely unless the reason says it is spam."""
        if refused := admin_refusal(user):
            return refused
        ticket = await self.storage.tickets.get(ticket_id)
        if ticket is None:
            return NotFound(ticket_id)
        reason = reason.strip()
        spam = any(w in reason.lower() for w in SPAM_WORDS)
        notice = None if spam else self.renderer.render("closed_notice.html", t=ticket, reason=reason)
        if not await self.storage.tickets.close(ticket_id, reason or NO_REASON, user.key, notice, turn):
            return NotPending(ticket)
        return Closed(ticket, told=not spam)

    async def reload(self, user: User, turn: Turn | None = None) -> ReloadOutcome:
        """Load the knowledge folder again after an edit, here and in every process sharing the database."""
        if refused := admin_refusal(user):
            return refused
        problems = await self.learned.reload_files()  # a broken edit keeps the old knowledge
        await self.storage.audit.record(user.key, "reload", None, f"{len(problems)} problems", turn)
        if problems:
            return Broken(tuple(problems))
        return Reloaded(len(self.brain.kb.topics))

    async def promote(self, user: User, ticket_id: int, topic_id: str, question: str | None = None,
                      turn: Turn | None = None, override: NameOverride | None = None) -> PromoteOutcome:
        """An officer-checked question (the ticket's own, or as edited) becomes an example of a topic.

        A citizen's words are never published unreviewed: the question is refused while it holds personal
        data (bot/understanding/publish.py), and a new topic needs a title the officer writes (`promote_new`).
        """
        if refused := admin_refusal(user):
            return refused
        ticket = await self._promotable(ticket_id)
        if not isinstance(ticket, Ticket):
            return ticket
        if self.brain.kb.topic(topic_id) is None:
            return UnknownTopic(topic_id)
        asked = (question or ticket.question).strip()
        try:
            problems = await self.learned.add_questions(topic_id, [asked], ticket_id, override=override)
        except PersonalDataRefused as exc:
            return PersonalData(ticket_id, exc.verdict, topic_id)
        return await self._learned(user, Promoted(ticket_id, topic_id), turn, problems)

    async def promote_new(self, user: User, ticket_id: int, title: str, question: str | None = None,
                          override: NameOverride | None = None, answer: str | None = None) -> PromoteOutcome:
        """A new topic from an answered ticket, with a title the officer wrote (and the question and answer as
        edited, if given); personal data in any of them blocks saving."""
        if refused := admin_refusal(user):
            return refused
        ticket = await self._promotable(ticket_id)
        if not isinstance(ticket, Ticket):
            return ticket
        title = title.strip()
        if not title:
            return NoTitle()
        asked = (question or ticket.question).strip()
        answer = (answer or ticket.answer or "").strip()
        topic = promoted_topic(ticket_id, title, asked, answer, vn_today(self.clock))
        try:
            problems = await self.learned.add_topic(topic, override=override)
        except PersonalDataRefused as exc:
            return PersonalData(ticket_id, exc.verdict)
        return await self._learned(user, Promoted(ticket_id, str(topic["id"]), new=True), None, problems)

    async def _promotable(self, ticket_id: int) -> Ticket | NotAnswered:
        ticket = await self.storage.tickets.get(ticket_id)
        if ticket is None or ticket.status != ANSWERED or not ticket.answer:
            return NotAnswered(ticket_id)
        return ticket

    async def _learned(self, user: User, done: Promoted, turn: Turn | None, problems: list[str]) -> PromoteOutcome:
        if problems:
            return Broken(tuple(problems))
        await self.storage.audit.record(user.key, "promote", done.ticket_id, done.topic_id, turn)
        return done
