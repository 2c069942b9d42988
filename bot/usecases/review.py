"""Reviewing what the bot understood, for the console's knowledge pages: the doubtful answers and their verdicts,
the misunderstood questions, the topics' use, and the audit of what officers taught or took out again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.kernel.models import User
from bot.store.doubt import DoubtCounts, DoubtItem, NearbyTurn
from bot.store.storage import Storage
from bot.understanding.doubt import TAUGHT
from bot.understanding.learn import Document
from bot.usecases.learned import LearnedKnowledge, stored_document


@dataclass(frozen=True)
class Doubtful:
    """A doubtful answer not yet judged, with the citizen's turns just before and after it."""

    item: DoubtItem
    before: list[NearbyTurn]
    after: list[NearbyTurn]


@dataclass(frozen=True)
class Judged:
    """The verdict on a doubtful answer is recorded (and audited)."""

    question_id: int
    verdict: str


@dataclass(frozen=True)
class AlreadyJudged:
    """Another officer judged it first, or it is no (longer a) doubtful answer."""

    question_id: int


@dataclass(frozen=True)
class Unlearned:
    """A learned item is taken out; `problems`: why the knowledge could not be loaded again (empty when it was)."""

    problems: tuple[str, ...]


@dataclass(frozen=True)
class NotLearned:
    """No learned question or topic is named so."""


@dataclass(frozen=True)
class Taught:
    """What was learned is audited; `from_doubt`: it taught a doubtful answer, which leaves the list as taught."""

    topic_id: str
    from_doubt: bool


class Review:
    """The doubts and the learned knowledge as the console's officers review them."""

    def __init__(self, storage: Storage, learned: LearnedKnowledge) -> None:
        self.storage = storage
        self.learned = learned

    async def doubts(self, limit: int = 100) -> list[Doubtful]:
        """The unjudged doubtful answers, newest first, each with the turns around it."""
        out = []
        for item in await self.storage.doubts.pending(limit):
            before, after = await self.storage.doubts.turns_around(item)
            out.append(Doubtful(item, before, after))
        return out

    async def doubt(self, question_id: int) -> DoubtItem | None:
        """One doubtful answer not yet judged, if it is one."""
        return await self.storage.doubts.item(question_id)

    async def doubt_counts(self) -> DoubtCounts:
        """Every doubtful answer logged, those still open, and the verdicts given."""
        return await self.storage.doubts.counts()

    async def judge(self, user: User, question_id: int, verdict: str) -> Judged | AlreadyJudged:
        """Record an officer's verdict (right, dismissed, taught) on a doubtful answer."""
        if not await self.storage.doubts.judge(question_id, verdict, user.key):
            return AlreadyJudged(question_id)
        return Judged(question_id, verdict)

    async def misunderstood(self) -> list[dict[str, Any]]:
        """The questions the bot queued, only suggested for, or got a thumbs-down on, newest first."""
        return await self.storage.questions.misunderstood()

    async def topic_usage(self) -> dict[str, tuple[int, int, int]]:
        """Per topic: how often the bot answered with it, how many of those were rated, how many helpful."""
        return await self.storage.questions.topic_usage()

    async def asked(self, question_ids: list[int]) -> dict[int, str]:
        """The words of citizens' questions by id (erased ones are gone)."""
        return await self.storage.questions.texts(question_ids)

    async def document(self) -> Document:
        """The learned document as the database holds it now."""
        _, document = await stored_document(self.storage)
        return document

    async def unlearn(self, user: User, topic_id: str, question: str | None) -> Unlearned | NotLearned:
        """Take a learned question (or, with none, a learned topic) out of the knowledge, audited."""
        # The audit names a citizen's words by their question, so erasing the citizen leaves no text here.
        origin = await self.storage.learned.origin(topic_id, question) if question else None
        ticket, asked = origin or (None, None)
        problems = await self.learned.remove(topic_id, question)
        if problems is None:
            return NotLearned()
        what = f"câu hỏi #{asked}" if asked else (question or "(chủ đề)")
        await self.storage.audit.record(user.key, "unlearn", ticket, f"{topic_id}: {what}"[:200])
        return Unlearned(tuple(problems))

    async def taught(self, user: User, topic_id: str, questions: list[str], origins: dict[str, int],
                     ticket: int | None, doubt: int | None) -> Taught:
        """Audit what was learned (a citizen's words named by their question) and, when it came from a doubtful
        answer, judge that one as taught."""
        # A citizen's words are named by their question here, so erasing the citizen leaves no text in the trail.
        words = " | ".join(f"câu hỏi #{origins[q]}" if q in origins else q for q in questions)
        await self.storage.audit.record(user.key, "learn", ticket, f"{topic_id}: {words}"[:200])
        if doubt is not None:
            await self.storage.doubts.judge(doubt, TAUGHT, user.key)
        return Taught(topic_id, doubt is not None)
