"""Doubt about an answer: the pure judgement on a Decision, the setting, and its counts in `queue stats --json`."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.kernel.config import ConfigError, load_config
from bot.understanding.doubt import CONTEXT, MARGIN, RIGHT, doubt_of
from bot.understanding.matcher import ANSWER, SUGGEST, Match
from bot.understanding.turns import Decision


def _decision(scores: tuple[tuple[str, float], ...], topic: str = "khai-sinh", context_used: bool = False,
              decision: str = ANSWER) -> Decision:
    match = Match(decision, topic, scores[0][1] if scores else 0.0, scores=scores)
    return Decision(decision, match, topic, context_used=context_used, subject=("tinh",) if context_used else ())


def test_context_answer_is_doubtful_when_a_real_rival_reaches_the_suggestion_threshold() -> None:
    rival = (("ho-chieu", 30.0), ("khai-sinh", 12.0))
    assert doubt_of(_decision(rival, context_used=True), 24.0, 15.0) == CONTEXT
    assert doubt_of(_decision(rival, context_used=True), 31.0, 15.0) is None  # the rival is under the threshold
    oos_only = (("oos:3", 80.0), ("khai-sinh", 20.0))
    assert doubt_of(_decision(oos_only, context_used=True), 24.0, 15.0) is None  # pseudo topics are no rivals
    assert doubt_of(_decision((("khai-sinh", 60.0),), context_used=True), 24.0, 15.0) is None  # only itself
    elliptical = Decision(ANSWER, Match(ANSWER, "khai-sinh", 30.0, scores=rival), "khai-sinh", context_used=True)
    assert doubt_of(elliptical, 24.0, 15.0) is None  # "mất bao lâu" alone has no reading to disagree with


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


def test_queue_stats_count_doubts_and_verdicts(tmp_path, monkeypatch, capsys) -> None:
    from app.cli import main
    from bot.engine.services import open_services
    from tests.conftest import citizen

    monkeypatch.setenv("PAPIBOT_DB", str(tmp_path / "d.db"))
    monkeypatch.setenv("PAPIBOT_DOUBT_MARGIN", "50")  # "làm căn cước công dân ở đâu" leads by about 46 points

    async def scenario() -> None:
        services = await open_services(load_config())
        try:
            for user in (1, 2):
                reply = await services.citizen.ask(citizen(user), "làm căn cước công dân ở đâu")
                assert reply.diagnosis.decision == ANSWER
            first = (await services.storage.doubts.pending())[-1]
            assert await services.storage.doubts.judge(first.id, RIGHT, "web:lan")
        finally:
            await services.close()

    asyncio.run(scenario())
    assert main(["queue", "stats", "--json"]) == 0
    doubt = json.loads(capsys.readouterr().out)["doubt"]
    assert doubt == {"flagged": 2, "context": 0, "margin": 2, "open": 1, "right": 1, "dismissed": 0, "taught": 0}
