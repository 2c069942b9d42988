"""Doubt about an answer the bot gave: officers review these beside the questions it could not answer.

Two kinds, judged on the message's standalone match (`Decision.match`, which ignores the conversation):

- "context": the answer came from the conversation's topic although the message has words of its own (not
  only the part asked), and read on its own it ranked another (real) topic at or above the suggestion
  threshold;
- "margin": the answer came from the message itself, but its lead over the runner-up (any scored entry,
  a known out-of-scope procedure included) is under the configured margin.
"""

from __future__ import annotations

from bot.understanding.matcher import ANSWER, OOS_PREFIX, Match
from bot.understanding.turns import Decision

CONTEXT, MARGIN = "context", "margin"
RIGHT, DISMISSED, TAUGHT = "right", "dismissed", "taught"  # an officer's verdict on a doubtful answer
VERDICTS = (RIGHT, DISMISSED, TAUGHT)


def alternatives(match: Match, topic: str | None, floor: float = 0.0) -> list[tuple[str, float]]:
    """Real topics other than `topic` that a match scored at or above `floor`, best first."""
    return [(t, s) for t, s in match.scores if t != topic and not t.startswith(OOS_PREFIX) and s >= floor]


def rivals(d: Decision, floor: float) -> list[tuple[str, float]]:
    """Real topics other than the answered one that the standalone reading scored at or above `floor`."""
    return alternatives(d.match, d.topic, floor)


def lead(d: Decision) -> float:
    """How far the answered topic's standalone score stands above the best other scored entry."""
    own = next((s for t, s in d.match.scores if t == d.topic), d.match.score)
    others = [s for t, s in d.match.scores if t != d.topic]
    return own - max(others, default=0.0)


def doubt_of(d: Decision, suggest_threshold: float, margin: float) -> str | None:
    """"context", "margin" or None: whether an answer deserves an officer's second look."""
    if d.decision != ANSWER:
        return None
    if d.context_used:  # a turn of only the part asked ("mất bao lâu") has no reading of its own to disagree
        return CONTEXT if d.subject and rivals(d, suggest_threshold) else None
    return MARGIN if lead(d) < margin else None
