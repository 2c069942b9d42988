"""A conversation's state and the decision for one message: plain data the dialogue hands its callers."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.understanding.matcher import Match

CONTEXT_TTL = 30 * 60  # seconds: a longer pause starts a new conversation
MAX_TURNS = 3  # previous turns kept, and handed to the officer with a queued follow-up


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
    match: Match  # the message read on its own
    topic: str | None = None
    facets: tuple[str, ...] = ()  # the parts asked, in the order asked
    suggestions: tuple[str, ...] = ()
    context_used: bool = False
    english: bool = False
    smalltalk: str | None = None
    context: Context = field(default_factory=Context)
    previous: tuple[tuple[str, str | None], ...] = ()  # the turns before this one (for a queued ticket)
    subject: tuple[str, ...] = ()  # words of a subject of its own, in a turn answered from the context

    @property
    def facet(self) -> str | None:
        """The first part asked."""
        return self.facets[0] if self.facets else None
