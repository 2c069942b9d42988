"""Citizen use cases: ask, pick a suggestion, rate, send to an officer, follow tickets, erase data."""

from __future__ import annotations

from bot import codec
from bot.brain import Brain
from bot.matcher import ANSWER, QUEUE, SMALLTALK, SUGGEST, Match
from bot.models import ANSWERED, CLOSED, PENDING, Question, Reply, Ticket, User
from bot.notify import Officers
from bot.render import Renderer
from bot.storage import Storage, Turn
from bot.textnorm import clean

MAX_QUESTION = 2000  # longer messages are cut: nobody's procedure question needs more
STATUS_NAMES = {PENDING: "đang chờ trả lời", ANSWERED: "đã trả lời", CLOSED: "đã đóng"}


def parse_number(arg: str) -> int | None:
    """A ticket number typed as '12' or '#12'; None when it is not one."""
    arg = arg.strip().lstrip("#")
    return int(arg) if arg.isdigit() and len(arg) < 10 else None


class CitizenService:
    """What a citizen can do; every method takes the asking user and returns a Reply."""

    def __init__(self, brain: Brain, storage: Storage, renderer: Renderer, officers: Officers) -> None:
        self.brain = brain
        self.storage = storage
        self.renderer = renderer
        self.officers = officers

    def _answer(self, topic_id: str, question_id: int) -> Reply:
        topic = self.brain.kb.topic(topic_id)
        assert topic is not None
        r = self.renderer
        return Reply(
            r.render("answer.html", topic=topic),
            [[(r.message("button_yes"), codec.encode("fb", question_id, "y")),
              (r.message("button_no"), codec.encode("fb", question_id, "n"))]],
            ANSWER, topic_id,
        )

    def _welcome(self, user: User, commands: list[tuple[str, str, str]] | None = None) -> str:
        return self.renderer.render("welcome.html", role=user.role, commands=commands or [])

    def welcome(self, user: User, commands: list[tuple[str, str, str]]) -> Reply:
        """The greeting with the commands this user may use ((usage, help, role) from the router's table)."""
        return Reply(self._welcome(user, commands))

    async def ask(self, user: User, text: str, turn: Turn | None = None) -> Reply:
        """Answer a free-text question, suggest topics, or queue it for an officer.

        With a `turn`, the stored effect and the record that the update was processed are one
        transaction (Storage raises AlreadyProcessed for a redelivered update).
        """
        text = clean(text)[:MAX_QUESTION]
        if not text:
            return Reply(self.renderer.render("empty.html"), decision=QUEUE)
        match = self.brain.matcher.match(text)
        if match.decision == SMALLTALK:
            intent = next((s for s in self.brain.kb.smalltalk if s.id == match.smalltalk), None)
            html = self.renderer.render("message.html", text=intent.reply) if intent else self._welcome(user)
            return Reply(html, decision=SMALLTALK)
        if match.decision == QUEUE and not match.normalized:
            return Reply(self.renderer.render("empty.html"), decision=QUEUE)
        if match.decision == QUEUE:
            _, ticket, created = await self.storage.queue_question(user, text, match.normalized, QUEUE, match.score,
                                                                   turn)
            return await self._queued(user, ticket, created, out_of_scope=match.out_of_scope)
        qid = await self.storage.log_question(user, text, match.decision, match.topic, match.score, turn)
        if match.decision == ANSWER and match.topic:
            return self._answer(match.topic, qid)
        return self._suggest(match, qid)

    def _suggest(self, match: Match, qid: int) -> Reply:
        topics = [t for t in (self.brain.kb.topic(i) for i in match.suggestions) if t]
        rows = [[(t.title, codec.encode("sug", qid, t.id))] for t in topics]
        rows.append([(self.renderer.message("button_escalate"), codec.encode("esc", qid))])
        return Reply(self.renderer.render("suggest.html", topics=topics), rows, SUGGEST)

    async def _queued(self, user: User, ticket: Ticket, created: bool, out_of_scope: str | None = None,
                      escalated: bool = False) -> Reply:
        if created:
            await self.officers.new_ticket(ticket)
        html = self.renderer.render("queued.html", ticket=ticket, created=created, out_of_scope=out_of_scope,
                                    escalated=escalated)
        return Reply(html, decision=QUEUE, ticket_id=ticket.id)

    async def _own_question(self, user: User, question_id: int) -> Question | None:
        q = await self.storage.question(question_id)
        if q is None or q.user_id != user.user_id or q.channel != user.channel:
            return None
        return q

    async def answer_topic(self, user: User, topic_id: str, turn: Turn | None = None) -> Reply:
        """A topic chosen by id (catalogue, deep link): answered, logged and rateable like any answer."""
        topic = self.brain.kb.topic(topic_id)
        if topic is None:
            return Reply(self.renderer.message("expired"), ok=False)
        qid = await self.storage.log_question(user, topic.title, ANSWER, topic_id, 100.0, turn)
        return self._answer(topic_id, qid)

    async def pick_suggestion(self, user: User, question_id: int, topic_id: str, turn: Turn | None = None) -> Reply:
        """The citizen chose one of the suggested topics."""
        q = await self._own_question(user, question_id)
        if q is None or self.brain.kb.topic(topic_id) is None:
            return Reply(self.renderer.message("expired"))
        await self.storage.update_question(q.id, ANSWER, topic_id, turn)
        return self._answer(topic_id, q.id)

    async def escalate(self, user: User, question_id: int, turn: Turn | None = None) -> Reply:
        """Send a question the bot could not settle to an officer."""
        q = await self._own_question(user, question_id)
        if q is None:
            return Reply(self.renderer.message("expired"))
        ticket, created = await self.storage.create_ticket(user, q.text, self.brain.matcher.normalize(q.text), q.id,
                                                           turn)
        return await self._queued(user, ticket, created, escalated=True)

    async def rate(self, user: User, question_id: int, helpful: bool, turn: Turn | None = None) -> Reply:
        """Store a helpful / not helpful rating; offer an officer when not helpful."""
        q = await self._own_question(user, question_id)
        if q is None or q.decision != ANSWER:
            return Reply(self.renderer.message("expired"))
        await self.storage.rate(q.id, helpful, turn)
        if helpful:
            return Reply(self.renderer.message("rated_yes"))
        return Reply(self.renderer.message("rated_no"),
                     [[(self.renderer.message("button_escalate"), codec.encode("esc", q.id))]])

    async def my_tickets(self, user: User) -> Reply:
        """The citizen's own tickets and their status."""
        tickets = await self.storage.tickets_of(user.channel, user.user_id)
        return Reply(self.renderer.render("tickets.html", tickets=tickets, status_names=STATUS_NAMES))

    async def own_ticket(self, user: User, arg: str) -> Ticket | None:
        """A ticket if (and only if) it belongs to this citizen."""
        number = parse_number(arg)
        ticket = await self.storage.ticket(number) if number else None
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
        count = await self.storage.delete_user_data(user.channel, user.user_id, turn)
        return Reply(self.renderer.message("delete_done", count=count))
