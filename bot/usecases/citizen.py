"""Citizen use cases: ask, pick a suggestion, rate, send to an officer, follow tickets, erase data."""

from __future__ import annotations

from bot.kernel import codec
from bot.kernel.clock import SYSTEM, Clock, Today, today_of
from bot.kernel.models import ANSWERED, CLOSED, PENDING, Diagnosis, Question, Reply, Ticket, User
from bot.kernel.render import Renderer
from bot.store.storage import Storage, Turn
from bot.understanding.answers import Presenter, parse_part
from bot.understanding.brain import Brain
from bot.understanding.doubt import doubt_of
from bot.understanding.matcher import ANSWER, QUEUE, SMALLTALK
from bot.understanding.smalltalk import CHITCHAT
from bot.understanding.text import clean
from bot.understanding.turns import Context
from bot.usecases.learned import LearnedKnowledge
from bot.usecases.notify import Officers

OFFER_OFFICER = frozenset({"human", CHITCHAT})
MAX_QUESTION = 2000  # longer messages are cut: nobody's procedure question needs more
STATUS_NAMES = {PENDING: "đang chờ trả lời", ANSWERED: "đã trả lời", CLOSED: "đã đóng"}


def parse_number(arg: str) -> int | None:
    """A ticket number typed as '12' or '#12'; None when it is not one."""
    arg = arg.strip().lstrip("#")
    return int(arg) if arg.isdigit() and len(arg) < 10 else None


class CitizenService:
    """What a citizen can do; every method takes the asking user and returns a Reply."""

    def __init__(self, brain: Brain, storage: Storage, renderer: Renderer, officers: Officers,
                 learned: LearnedKnowledge, retention_days: int = 365, doubt_margin: float = 15.0,
                 today: Today | None = None, clock: Clock = SYSTEM) -> None:
        self.retention_days = retention_days
        self.doubt_margin = doubt_margin
        self.brain = brain
        self.learned = learned
        self.storage = storage
        self.renderer = renderer
        self.officers = officers
        self.clock = clock
        self.present = Presenter(renderer, today or today_of(clock))

    def _welcome(self, user: User, commands: list[tuple[str, str, str]] | None = None) -> str:
        return self.renderer.render("welcome.html", role=user.role, commands=commands or [])

    def privacy_notice(self) -> str:
        """What is stored, for how long, who reads it (by e-mail too, when officers are told so), how to erase it."""
        email = self.renderer.message("privacy_email") if self.officers.by_email else ""
        return self.renderer.message("privacy_notice", days=self.retention_days, email=email)

    def welcome(self, user: User, commands: list[tuple[str, str, str]]) -> Reply:
        """The greeting, the privacy notice, and the commands this user may use (from the router's table)."""
        return Reply(self.renderer.render("welcome.html", role=user.role, commands=commands,
                                          notice=self.privacy_notice()))

    async def start(self, user: User, commands: list[tuple[str, str, str]], turn: Turn | None = None) -> Reply:
        """/start: a new conversation (the current topic is forgotten) and the greeting."""
        if await self.storage.conversations.of(user) is not None:
            await self.storage.conversations.save(user, Context(at=self.clock.now()), turn)
        return self.welcome(user, commands)

    async def ask(self, user: User, text: str, turn: Turn | None = None) -> Reply:
        """Answer a free-text question (from the conversation's topic when it is a follow-up), suggest, or queue.

        With a `turn`, the stored effect and the record that the update was processed are one
        transaction (Storage raises AlreadyProcessed for a redelivered update).
        """
        text = clean(text)[:MAX_QUESTION]
        if not text:
            return Reply(self.renderer.render("empty.html"), diagnosis=Diagnosis(QUEUE))
        d = self.brain.dialogue.decide(text, await self.storage.conversations.of(user), self.clock.now())
        m = d.match
        if d.decision == SMALLTALK and d.smalltalk in OFFER_OFFICER:
            # Asking for a person, or chit-chat that may hide a question: an officer is one tap away.
            qid = await self.storage.questions.log(user, text, SMALLTALK, None, 0.0, turn, d.context)
            return self.present.smalltalk(self.brain.kb, d.smalltalk, self._welcome(user), d.english, qid)
        if d.decision == SMALLTALK:
            return self.present.smalltalk(self.brain.kb, d.smalltalk, self._welcome(user), d.english)
        if d.decision == QUEUE and not m.normalized:
            return Reply(self.renderer.render("empty.html"), diagnosis=Diagnosis(QUEUE))
        if d.decision == QUEUE:
            _, ticket, created = await self.storage.questions.queue(user, text, m.normalized, QUEUE, m.score, turn,
                                                                    d.context, d.previous)
            return await self._queued(ticket, created, m.out_of_scope, english=d.english)
        doubt = doubt_of(d, self.brain.thresholds[1], self.doubt_margin)
        qid = await self.storage.questions.log(user, text, d.decision, d.topic, m.score, turn, d.context, doubt)
        return self.present.decision(self.brain.kb, d, qid, "")  # small talk was answered above

    async def _queued(self, ticket: Ticket, created: bool, out_of_scope: str | None = None,
                      escalated: bool = False, english: bool = False) -> Reply:
        if created:
            await self.officers.new_ticket(ticket)
        return self.present.queued(ticket, created, out_of_scope, escalated, english)

    async def section(self, user: User, topic_id: str, part: str, turn: Turn | None = None) -> Reply:
        """One part of a topic, opened by its button; the conversation moves to that topic and part. The legal
        basis's button names the parts that were on screen (`basis_fee`): their own sources come first."""
        if self.brain.kb.topic(topic_id) is None:
            return Reply(self.renderer.message("expired"), alert=True)
        facet, seen = parse_part(part)
        shown = None if facet == "summary" else facet
        talk = (await self.storage.conversations.of(user) or Context()).after(f"[{facet}]", topic_id, shown,
                                                                              self.clock.now())
        await self.storage.conversations.save(user, talk, turn)
        return self.present.answer(self.brain.kb, topic_id, (shown,) if shown else (), whole=True, seen=seen)

    async def _own_question(self, user: User, question_id: int) -> Question | None:
        q = await self.storage.questions.get(question_id)
        if q is None or q.user_id != user.user_id or q.channel != user.channel:
            return None
        return q

    async def answer_topic(self, user: User, topic_id: str, turn: Turn | None = None) -> Reply:
        """A topic chosen by id (catalogue, deep link): answered, logged and rateable like any answer."""
        topic = self.brain.kb.topic(topic_id)
        if topic is None:
            return Reply(self.renderer.message("expired"), alert=True)
        talk = (await self.storage.conversations.of(user) or Context()).after(topic.title, topic_id, None,
                                                                              self.clock.now())
        qid = await self.storage.questions.log(user, topic.title, ANSWER, topic_id, 100.0, turn, talk)
        return self.present.answer(self.brain.kb, topic_id, None, qid)

    async def pick_suggestion(self, user: User, question_id: int, topic_id: str, turn: Turn | None = None) -> Reply:
        """The citizen chose one of the suggested topics."""
        q = await self._own_question(user, question_id)
        if q is None or self.brain.kb.topic(topic_id) is None:
            return Reply(self.renderer.message("expired"))
        await self.storage.questions.update(q.id, ANSWER, topic_id, turn)
        talk = (await self.storage.conversations.of(user) or Context()).after(q.text, topic_id, None, self.clock.now())
        await self.storage.conversations.save(user, talk)
        return self.present.answer(self.brain.kb, topic_id, self.brain.dialogue.facets(self.brain.matcher.normalize(
            q.text)), q.id)

    async def escalate(self, user: User, question_id: int, turn: Turn | None = None) -> Reply:
        """Send a question the bot could not settle to an officer."""
        q = await self._own_question(user, question_id)
        if q is None:
            return Reply(self.renderer.message("expired"))
        ticket, created = await self.storage.tickets.create(user, q.text, self.brain.matcher.normalize(q.text), q.id,
                                                            turn)
        return await self._queued(ticket, created, escalated=True)

    async def rate(self, user: User, question_id: int, helpful: bool, turn: Turn | None = None) -> Reply:
        """Store a helpful / not helpful rating; offer an officer when not helpful."""
        q = await self._own_question(user, question_id)
        if q is None or q.decision != ANSWER:
            return Reply(self.renderer.message("expired"))
        await self.storage.questions.rate(q.id, helpful, turn)
        if helpful:
            return Reply(self.renderer.message("rated_yes"))
        return Reply(self.renderer.message("rated_no"),
                     [[(self.renderer.message("button_escalate"), codec.encode("esc", q.id))]])

    async def my_tickets(self, user: User) -> Reply:
        """The citizen's own tickets and their status."""
        tickets = await self.storage.tickets.of(user.channel, user.user_id)
        return Reply(self.renderer.render("tickets.html", tickets=tickets, status_names=STATUS_NAMES))

    async def own_ticket(self, user: User, arg: str) -> Ticket | None:
        """A ticket if (and only if) it belongs to this citizen."""
        number = parse_number(arg)
        ticket = await self.storage.tickets.get(number) if number else None
        if ticket is None or ticket.user_id != user.user_id or ticket.channel != user.channel:
            return None
        return ticket

    async def follow(self, user: User, arg: str) -> Reply:
        """One of the citizen's tickets in full; another citizen's number reveals nothing."""
        if parse_number(arg) is None:
            return Reply(self.renderer.message("bad_number", usage="/theodoi SỐ, ví dụ /theodoi 12"))
        ticket = await self.own_ticket(user, arg)
        if ticket is None:
            return Reply(self.renderer.message("not_found", number=arg.strip().lstrip("#")))
        return Reply(self.renderer.render("ticket.html", t=ticket, status_names=STATUS_NAMES))

    def confirm_delete(self) -> Reply:
        """Ask before erasing the citizen's data."""
        r = self.renderer
        return Reply(r.message("delete_ask"),
                     [[(r.message("button_delete_yes"), "del:yes"), (r.message("button_delete_no"), "del:no")]])

    async def delete_data(self, user: User, confirmed: bool, turn: Turn | None = None) -> Reply:
        """Erase the citizen's questions, ratings and tickets (Decree 13/2023/NĐ-CP)."""
        if not confirmed:
            return Reply(self.renderer.message("delete_cancel"))
        count, _ = await self.storage.retention.erase(user.channel, user.user_id, turn)
        await self.learned.check()  # the erasure took what was learned from their questions: reload now
        return Reply(self.renderer.message("delete_done", count=count))
