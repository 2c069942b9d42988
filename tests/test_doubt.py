"""Doubt about an answer: the pure judgement on a Decision, and the setting."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config
from bot.dialogue import Decision
from bot.doubt import CONTEXT, MARGIN, doubt_of
from bot.matcher import ANSWER, SUGGEST, Match


def _decision(scores: tuple[tuple[str, float], ...], topic: str = "khai-sinh", context_used: bool = False,
              decision: str = ANSWER) -> Decision:
    match = Match(decision, topic, scores[0][1] if scores else 0.0, scores=scores)
    return Decision(decision, match, topic, context_used=context_used)


def test_context_answer_is_doubtful_when_a_real_rival_reaches_the_suggestion_threshold() -> None:
    rival = (("ho-chieu", 30.0), ("khai-sinh", 12.0))
    assert doubt_of(_decision(rival, context_used=True), 24.0, 15.0) == CONTEXT
    assert doubt_of(_decision(rival, context_used=True), 31.0, 15.0) is None  # the rival is under the threshold
    oos_only = (("oos:3", 80.0), ("khai-sinh", 20.0))
    assert doubt_of(_decision(oos_only, context_used=True), 24.0, 15.0) is None  # pseudo topics are no rivals
    assert doubt_of(_decision((("khai-sinh", 60.0),), context_used=True), 24.0, 15.0) is None  # only itself


def test_answer_is_doubtful_when_its_lead_is_under_the_margin() -> None:
    assert doubt_of(_decision((("khai-sinh", 60.0), ("khai-tu", 48.0))), 24.0, 15.0) == MARGIN
    assert doubt_of(_decision((("khai-sinh", 60.0), ("khai-tu", 45.0))), 24.0, 15.0) is None  # exactly the margin
    assert doubt_of(_decision((("khai-sinh", 60.0),)), 24.0, 15.0) is None  # no runner-up: the lead is 60
    learned = (("oos:1", 70.0), ("khai-sinh", 62.0))  # a learned answer just under an out-of-scope entry
    assert doubt_of(_decision(learned), 24.0, 15.0) == MARGIN


def test_only_answers_are_in_doubt() -> None:
    close = (("khai-sinh", 40.0), ("khai-tu", 39.0))
    assert doubt_of(_decision(close, decision=SUGGEST), 24.0, 15.0) is None


def test_the_margin_is_a_setting() -> None:
    assert load_config(env={}).doubt_margin == 15.0
    assert load_config(env={"PAPIBOT_DOUBT_MARGIN": "8.5"}).doubt_margin == 8.5
    with pytest.raises(ConfigError):
        load_config(env={"PAPIBOT_DOUBT_MARGIN": "nhiều"})
    with pytest.raises(ConfigError):
        load_config(env={"PAPIBOT_DOUBT_MARGIN": "-1"})

