"""Conversation: which topic and which parts of it a message is about, given what was said just before.

Context is evidence, not a default. A message that names no subject of its own but asks for a part ("thế
lệ phí bao nhiêu", "bao lâu thì có") or a variation ("còn trẻ em thì sao") is answered from the current
topic. A message with a subject of its own (a person and a benefit, another procedure's words, a story) is
read on its own first: when that reading is confident it wins; when it is not, and the message's words are
not the current topic's own, the citizen gets choices that include the current topic, never a confident
answer. Small talk keeps the topic. The same object serves the chat (context kept in the database) and
`papibot ask --conversations` (in memory).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from bot.understanding.english import English
from bot.understanding.facets import FacetFinder, phrase_pattern
from bot.understanding.lexicon import FILLER
from bot.understanding.matcher import ANSWER, OOS_PREFIX, QUEUE, SMALLTALK, SUGGEST, Match, Matcher
from bot.understanding.smalltalk import SmallTalk
from bot.understanding.turns import Context, Decision
from knowledge.loader import KnowledgeBase

CONTEXT_LEAD = 15.0  # a reading that leads the conversation's topic by less than this does not switch
SUBJECT_WEIGHT = 3.0  # words of another topic weighing this much make a subject of the message's own
OOS_SCORE = 45.0  # a known out-of-scope procedure named this clearly is held for an officer
OOS_CLOSE = 10.0  # ... unless the conversation's topic explains the message nearly as well
# Units, counters, kin and "trả lời": "1 người bao nhiêu tiền 1 năm", "còn con gái tôi thì sao" name no procedure.
NOT_SUBJECT = frozenset({"nam", "thang", "ngay", "tuan", "lan", "trang", "gio", "phut", "ban", "cai", "to", "nguoi",
                     "khoan", "dong", "trieu", "nghin", "ngan", "gai", "trai", "chong", "vo", "ong", "bo", "chau",
                     "noi", "ngoai", "chu", "cau", "du", "thim", "mo", "dua", "nha", "loi"})
SURE_SCORE = 60.0  # a reading this sure needs no subject beyond the part asked ("nộp hồ sơ qua mạng")
# Parts whose phrases never name a procedure ("nộp hồ sơ qua mạng" asks online and names the online service).
NAMELESS = frozenset({"fee", "benefit", "validity", "time", "conditions", "who", "contact"})
PERSONAL = frozenset({"conditions", "fee", "benefit", "who"})  # parts asked of a group of people
WHICH = "which"  # a part asked with no procedure named and none in the conversation
CATALOGUE = "catalogue"  # the small-talk intent of a bare "thủ tục": the list of procedures
# Where a message's clauses part ("…, còn …", "… thì …"); unaccented "con", "ma", "nhung" are too often words.
CLAUSE = re.compile(r"[,.;:!?\n]+|\s(?:thì|thi|còn|mà|nhưng|rồi|roi)\s", re.I)
VAGUE = frozenset({"thu tuc", "thu tuc hanh chinh", "hoi", "hoi dap", "giup", "help", "menu", "danh muc",
                   "tu van", "ho tro", "cau hoi", "thong tin", "dich vu"})


def _out_of_scope(match: Match) -> bool:
    """The match names a known out-of-scope procedure clearly."""
    return match.decision == QUEUE and bool(match.scores) and match.scores[0][0].startswith(OOS_PREFIX) \
        and match.scores[0][1] >= OOS_SCORE


class Dialogue:
    """Decides each message of a conversation; a plain object over the matcher and the knowledge."""

    def __init__(self, matcher: Matcher, kb: KnowledgeBase) -> None:
        self.matcher = matcher
        self.kb = kb
        self.finder = FacetFinder(kb.facets, kb.facet_weak, kb.facet_frames)
        self.followup = phrase_pattern(kb.followup)
        self.groups = phrase_pattern(kb.groups)
        self.english = English(kb.english)
        lexicon = matcher.lexicon
        social = {intent: [matcher.normalize(p) for p in phrases] for intent, phrases in kb.social.items()}
        self.small = SmallTalk(matcher.smalltalk, social, known=lambda w: w in lexicon.words,
                               named_pair=self._filler_pair_names)

    def facets(self, norm: str) -> tuple[str, ...]:
        """The parts of a topic the message asks for, in the order asked."""
        return self.finder.find(norm)

    def decide(self, text: str, ctx: Context | None, now: float) -> Decision:
        """The decision for one message, and the conversation's context after it."""
        ctx = ctx or Context()
        english = self.english.detect(text)
        if english:
            query = self.english.translate(text)
            intent = self.english.smalltalk(text, query)
            if intent is not None:
                return Decision(SMALLTALK, Match(SMALLTALK), smalltalk=intent, english=True, context=ctx)
            if not query:  # nothing the knowledge knows: an officer answers
                return self._queue(text, Match(QUEUE, normalized=self.matcher.normalize(text)), (), ctx, now, True)
        match = self.matcher.match(query if english else text)
        norm = match.normalized
        facets = self.finder.find(norm)
        match, facets = self._through_way(match, facets)
        live = ctx.live(now)
        if not english:
            if norm in VAGUE:
                return Decision(SMALLTALK, match, smalltalk=CATALOGUE, context=ctx)
            small = self._smalltalk(match, facets, live, ctx)
            if small is not None:
                return small
            if len(norm.split()) == 1 and match.decision != ANSWER and not live:
                return Decision(SMALLTALK, match, smalltalk=CATALOGUE, context=ctx)
        if not english and match.decision != ANSWER:
            match = self._clause_out_of_scope(text, norm) or match
        if english and match.decision == SMALLTALK and not (live and facets):
            # "where do I apply" with no procedure before it: ask which one
            return Decision(SMALLTALK, match, smalltalk=WHICH, english=True, context=ctx)
        if live and ctx.topic is not None:
            decided = self._in_context(text, match, facets, ctx, now, english)
            if decided is not None:
                return decided
        if match.decision == ANSWER and match.score < SURE_SCORE and set(facets) <= NAMELESS \
                and self._names_nothing(norm):
            # "được bao nhiêu tiền 1 tháng" with no procedure before it: ask which one rather than guess.
            return Decision(SMALLTALK, match, facets=facets, smalltalk=WHICH, english=english, context=ctx)
        return self._fresh(text, match, facets, ctx, now, english)

    def _through_way(self, match: Match, facets: tuple[str, ...]) -> tuple[Match, tuple[str, ...]]:
        """A way of doing any procedure ("trực tuyến") asked of a procedure the message names: that procedure's part."""
        part = self.kb.ways.get(match.topic or "") if match.decision == ANSWER else None
        if part is None:
            return match, facets
        words = [w for w in self._subject(self._rest(match.normalized)) if w not in self.matcher.generic]
        own = self.matcher.match(" ".join(words)) if words else match
        if own.decision != ANSWER or own.topic in (None, match.topic):
            return match, facets
        return replace(match, topic=own.topic, score=own.score), tuple(dict.fromkeys((part, *facets)))

    def _smalltalk(self, match: Match, facets: tuple[str, ...], live: bool, ctx: Context) -> Decision | None:
        """Small talk, unless a part asked in a live conversation makes it a follow-up ("làm ở đâu")."""
        if match.decision == SMALLTALK:
            if live and facets and match.smalltalk == "help":
                return None
            return Decision(SMALLTALK, match, smalltalk=match.smalltalk, context=ctx)
        strong = self.finder.strong_found(match.normalized)
        intent = self.small.classify(match.normalized.split(), strong)
        if intent is None:
            return None
        return Decision(SMALLTALK, replace(match, decision=SMALLTALK, smalltalk=intent), smalltalk=intent,
                        context=ctx)

    def _rest(self, norm: str, facets: tuple[str, ...] = ()) -> str:
        """The message without the parts asked and the follow-up words (and groups of people, when the part
        asked is a condition, a fee or an amount)."""
        rest = self.finder.strip(norm)
        for pattern in (self.followup, self.groups if PERSONAL & set(facets) else None):
            if pattern is not None:
                rest = pattern.sub(" ", rest)
        return " ".join(rest.split())

    def _subject(self, rest: str) -> list[str]:
        """The words that name something: the rest of the message without filler, numbers and measure words."""
        return [w for w in self.matcher.lexicon.resolve(rest.split())
                if w not in FILLER and w not in NOT_SUBJECT and not w.isdigit()]

    def _filler_pair_names(self, a: str, b: str) -> bool:
        """Two filler-looking words that name a subject together ("bản sao", "sao y")."""
        return a in FILLER and b in FILLER and self.matcher.names(f"{a}_{b}")

    def _names_nothing(self, norm: str) -> bool:
        """No subject beyond the parts asked, not even a pair of filler-looking words that names one."""
        rest = self._rest(norm)
        return not self._subject(rest) and not any(self._filler_pair_names(a, b)
                                                   for a, b in itertools.pairwise(rest.split()))

    def _clause_out_of_scope(self, text: str, norm: str) -> Match | None:
        """A known out-of-scope procedure named in one clause of a longer message ("đi làm ăn xa mấy tháng, có
        phải khai báo tạm vắng ko"): the whole message is read as that procedure."""
        clauses = [c for c in CLAUSE.split(text) if len(c.split()) >= 2]
        if len(clauses) < 2:
            return None
        norms = [self.matcher.normalize(c) for c in clauses]
        asks = [bool(self.finder.find(n)) for n in norms]
        for i, clause_norm in enumerate(norms):
            # The clause that asks, or the one before it when the asking one names nothing ("…, thì đăng ký ở
            # đâu"); a clause that only tells ("không có lương hưu") is not read on its own.
            before_bare_question = i + 1 < len(norms) and asks[i + 1] and self._names_nothing(norms[i + 1])
            if not (asks[i] or before_bare_question):
                continue
            m = self.matcher.match_normalized(clause_norm)
            if _out_of_scope(m) and m.out_of_scope:  # named by a word of the clause, not by "hỗ trợ gì"
                return replace(m, normalized=norm)
        return None

    def _named(self, subject: list[str]) -> float:
        """How much the subject's words name, a known pair ("hộ chiếu") counting as one word of its own weight."""
        lexicon = self.matcher.lexicon
        pairs = [f"{a}_{b}" for a, b in itertools.pairwise(subject) if f"{a}_{b}" in lexicon.df]
        paired = {w for p in pairs for w in p.split("_")}
        return sum(lexicon.weight(p) for p in pairs) + sum(
            lexicon.weight(w) for w in subject if w in lexicon.words and w not in paired)

    def _names_other(self, norm: str, other: str, current: str) -> bool:
        """The message has a word or pair that names `other` and is not the current topic's ("tiền điện")."""
        m = self.matcher
        return bool(m.naming(norm) & m.topic_features(other) - m.topic_features(current))

    def _opens_follow_up(self, norm: str) -> bool:
        """Opened with a follow-up word ("thế", "còn", "vậy")."""
        return self.followup is not None and self.followup.match(norm) is not None

    def _in_context(self, text: str, match: Match, facets: tuple[str, ...], ctx: Context, now: float,
                    english: bool) -> Decision | None:
        """The current topic, a switch, choices that include the current topic, or None (read it afresh)."""
        assert ctx.topic is not None
        norm = match.normalized
        rest = self._rest(norm, facets)
        subject = self._subject(rest)
        elliptical = bool(facets) or self._opens_follow_up(norm)

        def stay() -> Decision:
            assert ctx.topic is not None
            return replace(self._answer(text, match, ctx.topic, facets, ctx, now, True, english),
                           subject=tuple(subject))

        if not subject:  # only the part asked, follow-up words, people ("còn con gái tôi thì sao")
            return stay() if elliptical or len(norm.split()) <= 3 else None
        scores = dict(match.scores)
        ctx_score = scores.get(ctx.topic, 0.0)
        own_words = self.matcher.topic_features(ctx.topic)
        # Held for an officer unless the conversation's topic explains it nearly as well ("cần khám sức khỏe không").
        if _out_of_scope(match) and ctx_score < match.scores[0][1] - OOS_CLOSE and (
                not facets or len(subject) >= 2 or any(w not in own_words for w in subject)
                or self._names_other(norm, match.scores[0][0], ctx.topic)):
            return None  # "thế còn nhận con nuôi?": a known procedure the knowledge base lacks
        # How much the message names by itself: words a topic knows by their weight, and words no topic knows
        # ("khám sức khỏe", "nhà trai") by their number.
        named = self._named(subject)
        unknown = sum(w not in self.matcher.lexicon.words for w in subject)
        if match.decision == ANSWER and match.topic in self.kb.ways and match.topic != ctx.topic:
            return self._way_in_context(text, match, facets, ctx, now, english) or stay()
        if match.decision == ANSWER and match.topic is not None:
            own = self.matcher.match(rest) if named < SUBJECT_WEIGHT else match
            close = ctx_score >= match.score - CONTEXT_LEAD  # "phản ánh ở đâu" while reporting a bribe
            if match.topic == ctx.topic or (not close and own.decision == ANSWER and own.topic == match.topic):
                return self._answer(text, match, match.topic, facets, ctx, now, False, english)
            return stay()  # "lệ phí đăng ký hết bao nhiêu": the part asked pulled another topic, not its words
        ranked = [t for t, s in match.scores if t in self.matcher.topics]
        weak = named < SUBJECT_WEIGHT and unknown <= 1
        if (weak and (elliptical or ctx.topic in match.suggestions)) or (ranked[:1] == [ctx.topic] and (
                unknown <= 1 or ctx_score >= self.matcher.suggest_threshold)):
            return stay()
        if match.decision != SUGGEST or not elliptical:
            return None  # "hộ tịch" alone, or nothing in the knowledge near it: read afresh
        ranked = [t for t in ranked if scores[t] >= self.matcher.suggest_threshold]
        # Its own subject, and no confident reading: choices, the current topic among them.
        choices = tuple(dict.fromkeys((ctx.topic, *match.suggestions, *ranked)))[:3]
        return Decision(SUGGEST, match, facets=facets, suggestions=choices, english=english,
                        context=replace(ctx.after(text, None, None, now), topic=None), previous=ctx.turns)

    def _way_in_context(self, text: str, match: Match, facets: tuple[str, ...], ctx: Context, now: float,
                        english: bool) -> Decision | None:
        """A way of doing procedures read in a conversation: the way answers unless the current topic is a
        procedure holding the way's part (None: stay with that part)."""
        assert match.topic is not None and ctx.topic is not None
        part = self.kb.ways[match.topic]
        topic = self.kb.topic(ctx.topic)
        if ctx.topic in self.kb.ways or part is None or topic is None or topic.section(part) is None:
            return self._answer(text, match, match.topic, facets, ctx, now, False, english)
        return None

    def _answer(self, text: str, match: Match, topic: str, facets: tuple[str, ...], ctx: Context, now: float,
                used: bool, english: bool = False) -> Decision:
        first = facets[0] if facets else None
        return Decision(ANSWER, match, topic, facets, context_used=used, english=english,
                        context=ctx.after(text, topic, first, now), previous=ctx.turns)

    def _fresh(self, text: str, match: Match, facets: tuple[str, ...], ctx: Context, now: float,
               english: bool = False) -> Decision:
        if match.decision == ANSWER and match.topic:
            return self._answer(text, match, match.topic, facets, ctx, now, used=False, english=english)
        if match.decision == SUGGEST and facets and match.scores:
            # The parts asked can pull toward topics whose examples ask the same ("thời hạn bao lâu"): when
            # the message's own words alone settle on the leading topic, that is the reading.
            own = self.matcher.match(self._rest(match.normalized, facets))
            if own.decision == ANSWER and own.topic == match.scores[0][0]:
                return self._answer(text, replace(match, decision=ANSWER, topic=own.topic), own.topic, facets, ctx,
                                    now, used=False, english=english)
        if match.decision == SUGGEST:
            # One topic offered: an elliptical next turn ("cần giấy tờ gì") continues it.
            kept = match.suggestions[0] if len(match.suggestions) == 1 else ctx.topic if ctx.live(now) else None
            return Decision(SUGGEST, match, facets=facets, suggestions=match.suggestions, english=english,
                            context=replace(ctx.after(text, None, None, now), topic=kept), previous=ctx.turns)
        return self._queue(text, match, facets, ctx, now, english)

    def _queue(self, text: str, match: Match, facets: tuple[str, ...], ctx: Context, now: float,
               english: bool) -> Decision:
        live = ctx.live(now)
        oos = bool(match.scores) and match.scores[0][0].startswith(OOS_PREFIX)
        kept = ctx.topic if live and not oos else None  # out of scope: the topic no longer holds
        return Decision(QUEUE, match, facets=facets, english=english,
                        context=replace(ctx.after(text, None, None, now), topic=kept),
                        previous=ctx.turns if live else ())
