"""The satisfaction survey as a use case: offer, ask the questions that apply, store answers without a person id.

A survey in progress lives only in its buttons: `sv:<lang>:<token>:a<answers>:<choice>` carries the random token
of this survey, the answers given so far (digits, see bot.papi.survey_form) and the one being given; each press
stores the answers under the token. The person is linked only to the day a survey was last offered.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string

from bot.kernel import codec
from bot.kernel.clock import Today, vn_today
from bot.kernel.models import Buttons, Diagnosis, Reply, User
from bot.kernel.render import Renderer
from bot.papi.survey_form import SKIP, Survey
from bot.store.storage import Storage, Turn
from bot.understanding.text import fold

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 10
VI, EN = "v", "e"
BUTTONS = {VI: ("Bỏ qua", "Dừng"), EN: ("Skip", "Stop")}
SKIP_WORDS = {"0", "bo qua", "skip"}  # typed on a channel without buttons (compared without diacritics)
STOP_WORDS = {"dung", "stop"}
SURVEY = Diagnosis("survey")  # what tests and evaluation see of a survey step


def new_token() -> str:
    """A random survey token: names one survey's answers, never a person."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


class SurveyService:
    """Offer the survey, walk a citizen through it, and keep the answers anonymous."""

    def __init__(self, survey: Survey, storage: Storage, renderer: Renderer, today: Today = vn_today) -> None:
        self.survey = survey
        self.storage = storage
        self.renderer = renderer
        self.today = today

    def _window_open(self, offer: tuple[str, bool] | None, started_only: bool) -> dt.date | None:
        """The day a person may be offered a survey again, or None when they may be now."""
        if offer is None or (started_only and not offer[1]):
            return None
        again = dt.date.fromisoformat(offer[0]) + dt.timedelta(days=self.survey.every_days)
        return again if again > self.today() else None

    async def invitation(self, channel: str, user_id: str) -> str:
        """The line inviting this person to the survey after an officer's answer, or "" (offered in the last
        `every_days` days). Nothing is recorded: `invited` does once the answer is stored."""
        if self._window_open(await self.storage.survey.offer(channel, user_id), started_only=False):
            return ""
        return "\n" + self.renderer.render("survey.html", kind="invitation", en=False)

    async def invited(self, channel: str, user_id: str) -> None:
        """Record that the invitation went out with an answer (the per-person "last offered" date)."""
        await self.storage.survey.record_offer(channel, user_id, self.today().isoformat(), False)

    async def start(self, user: User, english: bool = False, turn: Turn | None = None, numbered: bool = False
                    ) -> Reply:
        """/danhgia (/survey): the first question, unless this person started a survey in the last days.

        `numbered`: a channel without buttons, where at most five options are numbered (bot/kernel/menus.py): «Bỏ qua»
        and «Dừng» are typed instead (`typed_choice`), so a scale's five values are always its five numbers."""
        offer = await self.storage.survey.offer(user.channel, user.user_id)
        again = self._window_open(offer, started_only=True)
        if again is not None and offer is not None:
            day = dt.date.fromisoformat(offer[0])
            return Reply(self.renderer.render("survey.html", kind="later", en=english, day=f"{day:%d/%m/%Y}",
                                              again=f"{again:%d/%m/%Y}"), diagnosis=SURVEY)
        await self.storage.survey.record_offer(user.channel, user.user_id, self.today().isoformat(), True, turn)
        return self._ask(EN if english else VI, new_token(), "", numbered)

    async def answer(self, user: User, lang: str, token: str, digits: str, choice: str,
                     turn: Turn | None = None, numbered: bool = False) -> Reply:
        """One answer pressed: store the answers so far under the token, then the next question or thanks."""
        offer = await self.storage.survey.offer(user.channel, user.user_id)
        _, question = self.survey.replay(digits)
        if offer is None or not offer[1] or question is None or \
                (choice != SKIP and int(choice) > len(self.survey.choices(question))):
            return Reply(self.renderer.message("expired"), alert=True)  # not a survey this person started
        answers, following = self.survey.replay(digits + choice)
        month = self.today().strftime("%Y-%m")
        await self.storage.survey.save_answers(token, month, lang, answers, len(digits) + 1, turn)
        if following is None:
            return Reply(self.renderer.render("survey.html", kind="done", en=lang == EN), diagnosis=SURVEY)
        return self._ask(lang, token, digits + choice, numbered)

    def stop(self, lang: str) -> Reply:
        """«Dừng»: the survey ends; what was answered is already stored."""
        return Reply(self.renderer.render("survey.html", kind="stopped", en=lang == EN), diagnosis=SURVEY)

    def _ask(self, lang: str, token: str, digits: str, numbered: bool = False) -> Reply:
        _, question = self.survey.replay(digits)
        assert question is not None
        english = lang == EN
        rows: Buttons = [[(o.text_en if english else o.text, codec.encode("sv", lang, token, f"a{digits}", i + 1))]
                         for i, o in enumerate(self.survey.choices(question))]
        skip, stop = BUTTONS[lang]
        if not numbered:
            rows.append([(skip, codec.encode("sv", lang, token, f"a{digits}", SKIP)),
                         (stop, codec.encode("svx", lang))])
        text = self.renderer.render("survey.html", kind="question", en=english, number=len(digits) + 1,
                                    question=question.label(english), scale=not question.options, typed=numbered)
        return Reply(text, rows, diagnosis=SURVEY)


def typed_choice(payload: str | None, text: str) -> str | None:
    """On a channel without buttons: the button «Bỏ qua» (typed 0 or «bỏ qua») or «Dừng» (typed «dừng») of the
    survey question whose options `payload` (the first one of the chat's live menu) belongs to, else None."""
    decoded = codec.decode(payload) if payload else None
    if decoded is None or decoded[0] != "sv" or len(decoded[1]) != 4:
        return None
    lang, token, answers, _ = decoded[1]
    word = fold(text).lower().strip(" .!«»\"")
    if word in SKIP_WORDS:
        return codec.encode("sv", lang, token, answers, SKIP)
    return codec.encode("svx", lang) if word in STOP_WORDS else None
