"""Conversation: which topic and which part of it a message is about, given what was said just before.

A message that names no topic but asks for a part ("thế lệ phí bao nhiêu", "bao lâu thì có") or
continues ("còn trẻ em thì sao") is answered from the current topic; a message that names another
topic switches; small talk keeps the topic; an unrelated or unknown question resets it. The same
object serves the chat (context kept in the database) and `papibot ask --conversations` (in memory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.lexicon import FILLER
from bot.matcher import ANSWER, QUEUE, SMALLTALK, SUGGEST, Match, Matcher
from knowledge.loader import KnowledgeBase

CONTEXT_TTL = 30 * 60  # seconds: a longer pause starts a new conversation
MAX_TURNS = 3  # previous turns kept, and handed to the officer with a queued follow-up
SWITCH_SCORE = 60.0  # a facet follow-up switches topic only when its other words name one this clearly
OOS_SCORE = 45.0  # ... and names a known out-of-scope procedure this clearly
CATALOGUE = "catalogue"  # the small-talk intent of a bare "thủ tục": the list of procedures
VAGUE = frozenset({"thu tuc", "thu tuc hanh chinh", "hoi", "hoi dap", "giup", "help", "menu", "danh muc",
                   "tu van", "ho tro", "cau hoi", "thong tin", "dich vu"})
_ENGLISH = frozenset([
    "a", "an", "the", "how", "do", "does", "i", "my", "me", "we", "our", "to", "get", "can", "could", "what",
    "where", "when", "which", "who", "is", "are", "for", "of", "in", "on", "need", "needs", "want", "apply",
    "register", "please", "hello", "hi", "much", "long", "does", "it", "you", "your", "documents", "fee", "cost",
    "take", "lost", "new", "renew",
])
# Vietnamese typed without accents, never English: one of these rules English out.
_UNACCENTED_VIETNAMESE = frozenset([
    "gi", "nhung", "khong", "ko", "dc", "duoc", "lam", "dau", "bao", "nhieu", "thi", "cua", "toi", "em", "anh",
    "chi", "oi", "nhe", "xin", "voi", "roi", "chua", "nao", "sao", "vay", "mat", "phi", "giay", "con", "cho", "ve",
    "tien", "ngay", "dang", "ky", "cap", "thu", "tuc", "ho", "khau",
])
_VIETNAMESE_LETTER = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                                re.I)


@dataclass(frozen=True)
class Context:
    """Where a conversation stands: its current topic and facet, its last turns (text, topic), when."""

    topic: str | None = None
    facet: str | None = None
    turns: tuple[tuple[str, str | None], ...] = ()
    at: float = 0.0

    def live(self, now: float) -> bool:
        """True when the conversation still has a topic and the pause was short."""
        return self.topic is not None and now - self.at < CONTEXT_TTL

    def after(self, text: str, topic: str | None, facet: str | None, now: float) -> Context:
        """The context once this turn is done."""
        return Context(topic, facet, (*self.turns, (text[:300], topic))[-MAX_TURNS:], now)


@dataclass(frozen=True)
class Decision:
    """What to do with one message."""

    decision: str  # answer, suggest, queue or smalltalk
    match: Match
    topic: str | None = None
    facet: str | None = None
    suggestions: tuple[str, ...] = ()
    context_used: bool = False
    english: bool = False
    smalltalk: str | None = None
    context: Context = field(default_factory=Context)
    previous: tuple[tuple[str, str | None], ...] = ()  # the turns before this one (for a queued ticket)


def _out_of_scope(match: Match) -> bool:
    """The match names a known out-of-scope procedure clearly."""
    return match.decision == QUEUE and bool(match.out_of_scope) and bool(match.scores) \
        and match.scores[0][1] >= OOS_SCORE


def _phrase_re(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(p) for p in ordered) + r")(?!\S)")


class Dialogue:
    """Decides each message of a conversation; a plain object over the matcher and the knowledge."""

    def __init__(self, matcher: Matcher, kb: KnowledgeBase) -> None:
        self.matcher = matcher
        self.kb = kb
        self.facets = {name: _phrase_re(phrases) for name, phrases in kb.facets.items()}
        self.followup = _phrase_re(kb.followup)
        self.english = _phrase_re(tuple(kb.english))
        self.english_words = _ENGLISH | {w for phrase in kb.english for w in phrase.split()}

    def facet(self, norm: str) -> str | None:
        """The part of a topic the message asks for: the first listed facet among the phrases found, a phrase
        inside a longer one of another facet not counting ("bao nhiêu" inside "bao nhiêu ngày")."""
        spans = [(m.start(), m.end(), rank, name) for rank, (name, pattern) in enumerate(self.facets.items())
                 if pattern is not None for m in pattern.finditer(norm)]
        kept = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0]
                                            for o in spans)]
        return min(kept, key=lambda s: s[2])[3] if kept else None

    def _rest(self, norm: str, facet: str | None) -> str:
        """The message without the facet's phrases and the follow-up phrases."""
        for pattern in (self.facets.get(facet or ""), self.followup):
            if pattern is not None:
                norm = pattern.sub(" ", norm)
        return " ".join(norm.split())

    def is_english(self, text: str) -> bool:
        """A message in English: no Vietnamese letters or words, and enough English function words."""
        words = re.findall(r"[a-z']+", text.lower())
        if not words or _VIETNAMESE_LETTER.search(text) or any(w in _UNACCENTED_VIETNAMESE for w in words):
            return False
        return sum(w in self.english_words for w in words) >= max(2, len(words) * 0.5)

    def translate(self, text: str) -> str:
        """The Vietnamese words of the English phrases the knowledge knows (english.yaml), in order.

        Other English words are dropped: words no topic knows would weigh against every match.
        """
        lowered = " ".join(re.findall(r"[a-z0-9']+", text.lower()))
        if self.english is None:
            return ""
        return " ".join(self.kb.english[m.group(0)] for m in self.english.finditer(lowered))

    def decide(self, text: str, ctx: Context | None, now: float) -> Decision:
        """The decision for one message, and the conversation's context after it."""
        ctx = ctx or Context()
        live = ctx.live(now)
        if self.is_english(text):
            return self._english(text, ctx, now)
        match = self.matcher.match(text)
        norm = match.normalized
        facet = self.facet(norm)
        if match.decision == SMALLTALK and not (live and facet and match.smalltalk == "help"):
            return Decision(SMALLTALK, match, smalltalk=match.smalltalk, context=ctx)
        if norm in VAGUE or (len(norm.split()) == 1 and match.decision != ANSWER and not live):
            return Decision(SMALLTALK, match, smalltalk=CATALOGUE, context=ctx)
        if live and ctx.topic is not None and (facet or self._continues(norm)):
            followed = self._follow_up(text, match, facet, ctx, now)
            if followed is not None:
                return followed
        return self._fresh(text, match, facet, ctx, now)

    def _continues(self, norm: str) -> bool:
        """Short, or opened with a follow-up word ("thế", "còn", "vậy")."""
        opener = self.followup.match(norm) if self.followup is not None else None
        return len(norm.split()) <= 3 or opener is not None

    def _follow_up(self, text: str, match: Match, facet: str | None, ctx: Context,
                   now: float) -> Decision | None:
        """The current topic again, unless the message's own words name another topic clearly."""
        assert ctx.topic is not None
        rest = self._rest(match.normalized, facet)
        informative = [w for w in rest.split() if w not in FILLER and not w.isdigit()]
        if not informative:  # only the part asked for, and follow-up words
            return self._answer(text, match, ctx.topic, facet, ctx, now, used=True)
        own = self.matcher.match(rest)
        # One leftover word rarely names a procedure on its own ("trong" is also "trồng").
        if _out_of_scope(match) or (len(informative) >= 2 and _out_of_scope(own)):
            return None  # "thế còn nhận con nuôi?": a known procedure the knowledge base lacks
        if own.decision == ANSWER and own.topic != ctx.topic and (facet is None or own.score >= SWITCH_SCORE):
            return self._answer(text, own, own.topic, facet, ctx, now, used=False)  # "còn hộ chiếu thì sao"
        if facet is None and ((match.decision == ANSWER and match.topic != ctx.topic) or (own.decision == SUGGEST
                              and ctx.topic not in own.suggestions)):
            return None  # a short message about something else ("hộ tịch"): not a follow-up
        return self._answer(text, match, ctx.topic, facet, ctx, now, used=True)

    def _answer(self, text: str, match: Match, topic: str | None, facet: str | None, ctx: Context, now: float,
                used: bool, english: bool = False) -> Decision:
        return Decision(ANSWER, match, topic, facet, context_used=used, english=english,
                        context=ctx.after(text, topic, facet, now), previous=ctx.turns)

    def _fresh(self, text: str, match: Match, facet: str | None, ctx: Context, now: float,
               english: bool = False) -> Decision:
        if match.decision == ANSWER and match.topic:
            return self._answer(text, match, match.topic, facet, ctx, now, used=False, english=english)
        live = ctx.live(now)
        if match.decision == SUGGEST and live and ctx.topic in match.suggestions:
            return self._answer(text, match, ctx.topic, facet, ctx, now, used=True, english=english)
        kept = ctx.topic if live and not match.out_of_scope else None  # out of scope: the topic no longer holds
        after = replace(ctx.after(text, None, None, now), topic=kept)
        if match.decision == SUGGEST:
            return Decision(SUGGEST, match, facet=facet, suggestions=match.suggestions, english=english,
                            context=after, previous=ctx.turns)
        return Decision(QUEUE, match, facet=facet, english=english, context=after,
                        previous=ctx.turns if live else ())

    def _english(self, text: str, ctx: Context, now: float) -> Decision:
        social = self.matcher.match(text)  # "thank you", "ok", "hello" are known as they are
        if social.decision == SMALLTALK and social.smalltalk != "help":
            return Decision(SMALLTALK, social, smalltalk=social.smalltalk, english=True, context=ctx)
        translated = self.translate(text)
        match = self.matcher.match(translated)
        if match.decision == SMALLTALK or not translated:  # nothing the knowledge knows: an officer answers
            match = Match(QUEUE, normalized=self.matcher.normalize(text))
        return self._fresh(text, match, self.facet(match.normalized), ctx, now, english=True)
