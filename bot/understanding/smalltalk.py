"""Small talk as an open class: a message with no procedure content gets a polite reply, never a ticket.

The matcher answers a message that is one of the phrases of smalltalk.yaml (or nearly). Here a message is
also small talk when it is made of nothing but those phrases, the words of smalltalk.yaml `words`
(feelings, chit-chat, laughter...) and question-shaped words. Words no topic knows count as small talk only
in a short message that asks for no part of a procedure ("hôm nay trời đẹp nhỉ"); one word a topic knows
makes it a question.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping

from bot.understanding.facets import phrase_pattern
from bot.understanding.lexicon import FILLER

SYMBOLS = "symbols"  # emoji or punctuation only
CHITCHAT = "chitchat"  # no procedure in it, and no intent of its own
PARTICLES = "particles"  # words of smalltalk.yaml `words` that never set an intent ("chưa", "đấy")
# When a message mixes intents, the one a citizen most needs answered: "thôi cảm ơn" thanks, "bot ngu, cho
# gặp cán bộ" asks for a person.
PRIORITY = ("human", "insult", "who", "bye", "thanks", "praise", "feeling", CHITCHAT, "greeting", "help", "ok")
MAX_UNKNOWN = 3  # words no topic knows, at most, in a message read as chit-chat


class SmallTalk:
    """Tells small talk from questions; a plain object over the knowledge's phrases and vocabulary."""

    def __init__(self, intents: list[tuple[str, list[str]]], words: Mapping[str, list[str]],
                 known: Callable[[str], bool], named_pair: Callable[[str, str], bool]) -> None:
        self.known = known
        self.named_pair = named_pair  # two filler-looking words that name a subject ("bản sao" is "ban sao")
        self.intent_of: dict[str, str] = {}
        for intent, patterns in [*intents, *words.items()]:
            for p in patterns:
                self.intent_of.setdefault(p, intent)
        self.pattern = phrase_pattern(tuple(p for p in self.intent_of if p))

    def classify(self, words: list[str], asks_part: bool) -> str | None:
        """The small-talk intent of a normalised message, or None when it is (or may be) a question."""
        if not words:
            return SYMBOLS
        if asks_part:
            return None  # "xin ở đâu" asks a part of something: a follow-up or a question
        text = " ".join(words)  # whole-message phrases were tried by the matcher already
        rest = self.pattern.sub(" ", text) if self.pattern is not None else text
        if any(self.named_pair(a, b) for a, b in itertools.pairwise(rest.split())):
            return None
        leftover = [w for w in rest.split() if w not in FILLER]
        unknown = [w for w in leftover if not self.known(w)]
        if len(unknown) < len(leftover):  # a word a topic knows: a question
            return None
        if len(unknown) > MAX_UNKNOWN:
            return None  # "học bổng ở đâu": a procedure the knowledge lacks, for an officer
        found = self._found(text)  # only now: most messages were questions, told apart above
        named = [i for i in PRIORITY if i in found]
        if named:
            return named[0]
        return CHITCHAT if leftover else "ok"  # only particles left: "thôi không cần nữa"

    def _found(self, text: str) -> set[str]:
        """The intents whose phrases occur in the text."""
        if self.pattern is None:
            return set()
        return {self.intent_of.get(m.group(0), PARTICLES) for m in self.pattern.finditer(text)} - {PARTICLES}
