"""Admin use cases: list the queue, answer, close, and promote answers into the knowledge base."""

from __future__ import annotations

from bot.kernel import codec
from bot.kernel.clock import SYSTEM, Clock, vn_today
from bot.kernel.models import PENDING, Reply, Ticket, User
from bot.kernel.render import Renderer
from bot.store.storage import AlreadyProcessed, Storage, Turn
from bot.understanding.brain import Brain
from bot.understanding.learn import promoted_topic
from bot.understanding.publish import NameOverride, PersonalDataRefused, refusal
from bot.usecases.citizen import STATUS_NAMES, parse_number
from bot.usecases.learned import LearnedKnowledge
from bot.usecases.survey import SurveyService

PAGE = 10
MAX_ANSWER = 20_000
SPAM_WORDS = ("spam", "rác", "quảng cáo")
PROMOTE_USAGE = ("Cách dùng: /promote SỐ MÃ-CHỦ-ĐỀ [câu hỏi đã sửa]: thêm câu hỏi, đã bỏ thông tin cá nhân, làm câu "
                 "hỏi mẫu của một chủ đề có sẵn. Tạo chủ đề mới (cán bộ viết tiêu đề): papibot queue promote SỐ "
                 "--new --title \"…\" hoặc bảng điều khiển web.")
ALLOW = 'papibot queue promote {args} --allow-name "lý do"'


class AdminService:
    """What an admin can do with the reply queue; the router checks the role, and so does every method here."""

    def __init__(self, brain: Brain, storage: Storage, renderer: Renderer, learned: LearnedKnowledge,
                 survey: SurveyService | None = None, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self.survey = survey  # invites the citizen to the satisfaction survey after an answer (once per period)
        self.brain = brain
        self.learned = learned
        self.storage = storage
        self.renderer = renderer

    def _say(self, text: str, ok: bool = True) -> Reply:
        return Reply(self.renderer.render("message.html", text=text), ok=ok)

    def _refuse(self, text: str) -> Reply:
        return self._say(text, ok=False)

    def _not_admin(self, user: User) -> Reply | None:
        """Defence in depth: the refusal when a caller let a non-admin through."""
        return None if user.is_admin else Reply(self.renderer.message("refused"), ok=False)

    async def queue(self, user: User, page: int = 0) -> Reply:
        """Pending tickets, oldest first, one page at a time."""
        if refused := self._not_admin(user):
            return refused
        page = max(0, page)
        tickets, total = await self.storage.pending_tickets(PAGE, page * PAGE)
        html = self.renderer.render("queue.html", tickets=tickets, total=total, page=page, pages=-(-total // PAGE),
                                    now=self.clock.now(), takeovers=await self.storage.takeovers_now())
        nav = []
        if page > 0:
            nav.append(("◀ Trước", codec.encode("q", page - 1)))
        if (page + 1) * PAGE < total:
            nav.append(("Sau ▶", codec.encode("q", page + 1)))
        return Reply(html, [nav] if nav else [])

    async def answer(self, user: User, arg: str, text: str, turn: Turn | None = None) -> Reply:
        """Answer a ticket: the answer is queued for delivery to the citizen, on the citizen's channel."""
        if refused := self._not_admin(user):
            return refused
        number = parse_number(arg)
        text = text.strip()
        if number is None or not text:
            return self._refuse("Cách dùng: /answer SỐ nội dung trả lời (hoặc reply bài đăng của câu hỏi).")
        if len(text) > MAX_ANSWER:
            return self._refuse(f"Câu trả lời dài {len(text)} ký tự, tối đa {MAX_ANSWER}.")
        ticket = await self.storage.ticket(number)
        if ticket is None:
            return self._refuse(f"Không có câu hỏi #{number}.")
        if ticket.status != PENDING:
            return self._refuse(f"Câu hỏi #{number} {STATUS_NAMES[ticket.status]}, không trả lời lại được.")
        delivery = self.renderer.render("delivery.html", t=ticket, answer=text)
        private = ticket.chat_id == ticket.user_id != "erased"  # never in a group, never to an erased citizen
        invite = await self.survey.invitation(ticket.channel, ticket.user_id) if self.survey and private else ""
        try:
            answered = await self.storage.answer_ticket(number, text, user.key, delivery + invite, turn)
        except AlreadyProcessed:  # the same admin message again after a crash: it was stored once
            return self._answered(number)
        if not answered:
            return self._refuse(f"Câu hỏi #{number} vừa được cán bộ khác trả lời trước bạn.")
        if invite and self.survey:
            await self.survey.invited(ticket.channel, ticket.user_id)
        return self._answered(number)

    def _answered(self, number: int) -> Reply:
        return self._say(f"Đã trả lời câu hỏi #{number}; câu trả lời đang được gửi tới công dân. "
                         f"Dùng /promote {number} MÃ-CHỦ-ĐỀ để đưa vào cơ sở tri thức.")

    async def close(self, user: User, arg: str, reason: str, turn: Turn | None = None) -> Reply:
        """Close spam or duplicates; the citizen is told politely unless it is spam."""
        if refused := self._not_admin(user):
            return refused
        number = parse_number(arg)
        if number is None:
            return self._refuse("Cách dùng: /close SỐ [lý do]. Lý do «spam» thì không báo cho người gửi.")
        ticket = await self.storage.ticket(number)
        if ticket is None:
            return self._refuse(f"Không có câu hỏi #{number}.")
        reason = reason.strip()
        spam = any(w in reason.lower() for w in SPAM_WORDS)
        notice = None if spam else self.renderer.render("closed_notice.html", t=ticket, reason=reason)
        if not await self.storage.close_ticket(number, reason or "không nêu lý do", user.key, notice, turn):
            return self._refuse(f"Câu hỏi #{number} {STATUS_NAMES[ticket.status]}, không đóng được.")
        told = "không báo cho người gửi (spam)" if spam else "đã báo cho người gửi"
        return self._say(f"Đã đóng câu hỏi #{number}; {told}.")

    async def reload(self, user: User, turn: Turn | None = None) -> Reply:
        """Load the knowledge folder again after an edit, here and in every process sharing the database."""
        if refused := self._not_admin(user):
            return refused
        problems = await self.learned.reload_files()  # a broken edit keeps the old knowledge
        await self.storage.audit(user.key, "reload", None, f"{len(problems)} problems", turn)
        if problems:
            listed = "\n".join(f"• {p}" for p in problems[:10])
            return self._refuse(f"Không nạp lại: cơ sở tri thức mới có lỗi, bot vẫn dùng bản cũ.\n{listed}")
        return self._say(f"Đã nạp lại cơ sở tri thức: {len(self.brain.kb.topics)} chủ đề.")

    async def promote(self, user: User, arg: str, turn: Turn | None = None,
                      override: NameOverride | None = None) -> Reply:
        """/promote N TOPIC-ID [edited question]: an officer-checked question becomes an example of a topic.

        A citizen's words are never published unreviewed: the question is refused while it holds personal
        data (bot/understanding/publish.py), and a new topic needs a title the officer writes (`promote_new`).
        """
        if refused := self._not_admin(user):
            return refused
        parts = arg.split(None, 2)
        number = parse_number(parts[0]) if parts else None
        if number is None or len(parts) < 2:
            return self._refuse(PROMOTE_USAGE)
        ticket = await self._promotable(number)
        if isinstance(ticket, Reply):
            return ticket
        topic_id, question = parts[1], (parts[2] if len(parts) > 2 else ticket.question).strip()
        if self.brain.kb.topic(topic_id) is None:
            return self._refuse(f"Không có chủ đề «{topic_id}». Xem danh sách bằng papibot kb export.")
        try:
            problems = await self.learned.add_questions(topic_id, [question], number, override=override)
        except PersonalDataRefused as exc:
            fix = f"/promote {number} {topic_id} <câu hỏi đã sửa>"
            return self._refuse(refusal(exc.verdict, fix, ALLOW.format(args=f"{number} {topic_id}")))
        return await self._learned(user, number, topic_id, turn, problems,
                                   f"Đã thêm câu hỏi #{number} làm câu hỏi mẫu của chủ đề «{topic_id}».")

    async def promote_new(self, user: User, number: int, title: str, question: str | None = None,
                          override: NameOverride | None = None, answer: str | None = None) -> Reply:
        """A new topic from an answered ticket, with a title the officer wrote (and the question and answer as
        edited, if given); personal data in any of them blocks saving."""
        if refused := self._not_admin(user):
            return refused
        ticket = await self._promotable(number)
        if isinstance(ticket, Reply):
            return ticket
        question = (question or ticket.question).strip()
        title = title.strip()
        if not title:
            return self._refuse("Chủ đề mới cần tiêu đề do cán bộ viết (--title).")
        answer = (answer or ticket.answer or "").strip()
        topic = promoted_topic(number, title, question, answer, vn_today(self.clock))
        try:
            problems = await self.learned.add_topic(topic, override=override)
        except PersonalDataRefused as exc:
            fix = 'sửa tiêu đề, hoặc thêm --question "…" và --answer "…" đã bỏ thông tin cá nhân'
            return self._refuse(refusal(exc.verdict, fix, ALLOW.format(args=f"{number} --new")))
        done = f"Đã tạo chủ đề mới «{topic['id']}» từ câu hỏi #{number}."
        return await self._learned(user, number, topic["id"], None, problems, done)

    async def _promotable(self, number: int) -> Ticket | Reply:
        ticket = await self.storage.ticket(number)
        if ticket is None or ticket.status != "answered" or not ticket.answer:
            return self._refuse(f"Câu hỏi #{number} chưa được trả lời nên chưa đưa vào cơ sở tri thức được.")
        return ticket

    async def _learned(self, user: User, number: int, topic_id: str, turn: Turn | None, problems: list[str],
                       done: str) -> Reply:
        if problems:
            return self._refuse("Không nạp lại được cơ sở tri thức: " + problems[0])
        await self.storage.audit(user.key, "promote", number, topic_id, turn)
        return self._say(done + " Công dân hỏi tương tự sẽ được trả lời ngay.")
