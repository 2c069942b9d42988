"""Feedback on administrative regulations as use cases: a citizen writes it step by step, officers keep the register.

Distinct from a question: it names the procedure or regulation, says what is wrong, proposes a fix and carries
the sender's name and address or phone (the `phan-anh-kien-nghi` topic asks for them), kept private. Each item
gets a code (PA-<n>) to follow with /theodoi; the answer reaches the citizen through the outbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.kernel import codec
from bot.kernel.models import Diagnosis, Reply, User
from bot.kernel.render import Renderer
from bot.store.feedback import ANSWERED, FEEDBACK_STATUSES, PUBLISHED, TRANSFERRED, FeedbackItem
from bot.store.storage import Storage, Turn
from bot.understanding.text import clean
from bot.usecases.notify import Officers

STEPS = ("subject", "content", "proposal", "name", "contact")
CONFIRM = "confirm"
MAX_FIELD = 2000
MAX_ANSWER = 20_000
FEEDBACK_TOPIC = "phan-anh-kien-nghi"  # its answer carries the «Gửi phản ánh» button
STATUS_NAMES = {"received": "đã tiếp nhận", "handling": "đang xử lý", "transferred": "đã chuyển cơ quan khác",
                "answered": "đã trả lời", "published": "đã công khai"}
CODE = re.compile(r"^\s*#?PA-?(\d{1,10})\s*$", re.I)
_CANCEL, _NONE, _SEND = {"hủy", "huy", "cancel"}, {"không", "khong", "ko", "k", "-"}, {"gửi", "gui", "send"}


def feedback_code(text: str) -> int | None:
    """The item number in a code typed as PA-12, pa12 or #PA-12; None when it is not one."""
    m = CODE.match(text)
    return int(m[1]) if m else None


@dataclass(frozen=True)
class Outcome:
    """What an officer's action on the register did: whether it was done, and what to tell the officer."""

    ok: bool
    message: str


class FeedbackService:
    """The citizen's side (write, send, follow) and the officers' side (statuses, transfer, answer)."""

    def __init__(self, storage: Storage, renderer: Renderer, officers: Officers) -> None:
        self.storage = storage
        self.renderer = renderer
        self.officers = officers

    def _say(self, kind: str, buttons: list[list[tuple[str, str]]] | None = None, alert: bool = False, **ctx: object
             ) -> Reply:
        return Reply(self.renderer.render("feedback.html", kind=kind, **ctx), buttons or [], alert=alert,
                     diagnosis=Diagnosis("feedback"))

    async def start(self, user: User, turn: Turn | None = None) -> Reply:
        """/phananh or «Gửi phản ánh»: begin a new feedback (private chats only: it holds contact details)."""
        if not user.private:
            return self._say("private", alert=True)
        await self.storage.feedback.save_draft(user, STEPS[0], {}, turn)
        return self._say("ask", step=STEPS[0])

    async def continue_draft(self, user: User, text: str, turn: Turn | None = None) -> Reply | None:
        """The next answer of a feedback being written, or None when this person is not writing one."""
        draft = await self.storage.feedback.draft(user.channel, user.user_id)
        if draft is None:
            return None
        step, fields = draft
        text = clean(text)
        word = text.lower().strip(" .!")
        if word in _CANCEL:
            return await self.cancel(user, turn)
        if step == CONFIRM:
            return await self.send(user, turn) if word in _SEND else self._confirm(fields)
        if len(text) > MAX_FIELD:
            return self._say("too_long", limit=MAX_FIELD)
        if not text:
            return self._say("ask", step=step)
        fields[step] = "" if step == "proposal" and word in _NONE else text
        following = STEPS[STEPS.index(step) + 1] if step != STEPS[-1] else CONFIRM
        await self.storage.feedback.save_draft(user, following, fields, turn)
        return self._confirm(fields) if following == CONFIRM else self._say("ask", step=following)

    def _confirm(self, fields: dict[str, str]) -> Reply:
        return self._say("confirm", [[("Gửi phản ánh", codec.encode("pa", "send")),
                                      ("Hủy", codec.encode("pa", "cancel"))]], f=fields)

    async def send(self, user: User, turn: Turn | None = None) -> Reply:
        """File the feedback written so far (all five answers given) and tell the officers."""
        draft = await self.storage.feedback.draft(user.channel, user.user_id)
        if draft is None or draft[0] != CONFIRM:
            return Reply(self.renderer.message("expired"), alert=True)
        # Told in the same transaction as the filing, so to the first destination only (the inbox lists it too).
        first = self.officers.destinations[0] if self.officers.destinations else None
        where = first.partition(":") if first else None
        notice = (where[0], where[2], self.renderer.render("feedback.html", kind="officers")) if where else None
        item = await self.storage.feedback.file(user, draft[1], notice, turn)
        return self._say("filed", item=item)

    async def cancel(self, user: User, turn: Turn | None = None) -> Reply:
        """Drop the feedback being written."""
        await self.storage.feedback.drop_draft(user.channel, user.user_id, turn)
        return self._say("cancelled")

    async def follow(self, user: User, number: int) -> Reply:
        """/theodoi PA-N: one of the citizen's own items; another person's code reveals nothing."""
        item = await self.storage.feedback.item(number)
        if item is None or item.channel != user.channel or item.user_id != user.user_id:
            return self._say("not_found", code=f"PA-{number}")
        return self._say("item", item=item, status_names=STATUS_NAMES)

    # The officers' register

    async def set_status(self, officer: User, number: int, status: str, body: str = "") -> Outcome:
        """Move an item to a status; «transferred» needs the body it went to, and the citizen is told."""
        item = await self.storage.feedback.item(number)
        body = clean(body)[:200]
        if not officer.is_admin or item is None or status not in FEEDBACK_STATUSES or status == ANSWERED:
            return Outcome(False, "Không đổi được tình trạng (không có phản ánh hoặc tình trạng không hợp lệ).")
        if status == TRANSFERRED and not body:
            return Outcome(False, "Hãy ghi tên cơ quan nhận phản ánh được chuyển tới.")
        message = None
        if status == TRANSFERRED and item.chat_id != "erased":
            text = self.renderer.render("feedback.html", kind="transferred", item=item, body=body)
            message = (item.channel, item.chat_id, text)
        if not await self.storage.feedback.set_status(number, status, body if status == TRANSFERRED else "",
                                                      officer.key, message):
            allowed = "chỉ công khai được phản ánh đã trả lời" if status == PUBLISHED else "phản ánh đã trả lời"
            return Outcome(False, f"Không đổi được tình trạng của {item.code}: {allowed}.")
        return Outcome(True, f"{item.code}: {STATUS_NAMES[status]}{f' ({body})' if body else ''}.")

    async def answer(self, officer: User, number: int, text: str) -> Outcome:
        """Answer an item: the answer goes to the citizen on their channel, through the outbox."""
        item = await self.storage.feedback.item(number)
        text = text.strip()
        if not officer.is_admin or item is None:
            return Outcome(False, "Không có phản ánh này.")
        if not text or len(text) > MAX_ANSWER:
            return Outcome(False, f"Câu trả lời cần từ 1 đến {MAX_ANSWER} ký tự.")
        delivery = self.renderer.render("feedback.html", kind="answer", item=item, answer=text)
        message = (item.channel, item.chat_id, delivery) if item.chat_id != "erased" else None  # nobody to tell
        if not await self.storage.feedback.answer(number, text, officer.key, message):
            return Outcome(False, f"{item.code} đã được trả lời trước đó.")
        return Outcome(True, f"Đã gửi câu trả lời cho {item.code}; công dân nhận tại kênh của mình.")

    async def register(self, status: str = "") -> list[FeedbackItem]:
        """The register, oldest first."""
        return await self.storage.feedback.register(status if status in FEEDBACK_STATUSES else "")
