"""Conversation as citizens have it: follow-ups, facets, phone-first answers, small talk, English."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine.services import Services, open_services
from bot.kernel.clock import FixedClock
from bot.kernel.config import DEFAULT_KNOWLEDGE
from bot.kernel.render import Renderer, to_plain
from bot.understanding.answers import Presenter
from bot.understanding.brain import Brain
from bot.understanding.turns import Context, Decision
from tests.conftest import citizen, press, say

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def brain() -> Brain:
    return Brain(DEFAULT_KNOWLEDGE, 40, 24)


@pytest.fixture(scope="module")
def present() -> Presenter:
    return Presenter(Renderer(DEFAULT_KNOWLEDGE / "templates"))


def conversations(path: Path) -> list[list[tuple[str, str | None, str]]]:
    out, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                out.append(current)
            current = []
            continue
        topic, facet, text = line.split("\t", 2)
        current.append((topic, None if facet == "-" else facet, text))
    return [*out, current] if current else out


def walk(brain: Brain, path: Path) -> Iterator[tuple[int, str, str | None, str, Decision]]:
    """Each turn of each conversation in the file, with the decision the bot takes in that conversation."""
    for conversation in conversations(path):
        talk: Context | None = None
        for i, (topic, facet, text) in enumerate(conversation):
            d = brain.dialogue.decide(text, talk, time.time())
            talk = d.context
            yield i, topic, facet, text, d


def test_the_projects_own_conversations_are_followed(brain: Brain, present: Presenter) -> None:
    followups = followups_right = facets = facets_right = wrong = turns = 0
    for i, topic, facet, text, d in walk(brain, DATA / "conversations.tsv"):
        turns += 1
        answered = d.decision == "answer" and d.topic
        shown = present.facet_shown(brain.kb, d.topic, d.facet) if d.topic else None
        if topic == "~":
            assert d.decision == "smalltalk", text
            continue
        if answered and d.topic != topic:
            wrong += 1
        if topic != "-" and i > 0:
            followups += 1
            followups_right += bool(answered and d.topic == topic)
        if facet and topic != "-":
            facets += 1
            facets_right += bool(answered and d.topic == topic and shown == facet)
    assert followups >= 100 and facets >= 80
    # Context is evidence: a turn with a subject of its own gets choices rather than the current topic.
    assert followups_right / followups >= 0.90
    assert facets_right / facets >= 0.85
    assert wrong / turns <= 0.015


def test_topic_switches_are_read_on_their_own(brain: Brain) -> None:
    wrong = turns = followups = followups_right = 0
    for i, topic, _, _, d in walk(brain, DATA / "switches.tsv"):
        turns += 1
        answered = d.decision == "answer" and d.topic
        wrong += bool(answered and d.topic != topic and topic != "~")
        if topic not in ("-", "~") and i > 0:
            followups += 1
            followups_right += bool(answered and d.topic == topic)
    assert turns >= 200
    assert wrong / turns <= 0.01  # one turn in the set: see the README
    assert followups_right / followups >= 0.90


def test_open_small_talk_and_requests_for_a_person_are_never_tickets(brain: Brain) -> None:
    lines = [line for name in ("smalltalk-open.txt", "human.txt")
             for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert len(lines) >= 100
    decisions = [brain.dialogue.decide(text, None, time.time()) for text in lines]
    bad = [t for t, d in zip(lines, decisions, strict=True) if d.decision in ("queue", "answer")]
    assert bad == []
    human = [brain.dialogue.decide(t, None, time.time()).smalltalk for t in
             (DATA / "human.txt").read_text(encoding="utf-8").splitlines() if t]
    assert human.count("human") == len(human)


def test_multi_part_questions_show_every_part(brain: Brain, present: Presenter) -> None:
    rows = [line.split("\t", 2) for line in (DATA / "multipart.tsv").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    good = 0
    for topic, parts, question in rows:
        d = brain.dialogue.decide(question, None, time.time())
        shown = present.facets_shown(brain.kb, d.topic, d.facets) if d.decision == "answer" else ()
        good += d.topic == topic and set(parts.split("+")) <= set(shown)
    assert len(rows) >= 40 and good / len(rows) >= 0.90


def test_small_talk_never_creates_a_ticket(brain: Brain) -> None:
    lines = (DATA / "smalltalk.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(lines) >= 30
    decisions = {text: brain.dialogue.decide(text, None, time.time()).decision for text in lines}
    assert [t for t, d in decisions.items() if d != "smalltalk"] == []


def test_english_questions_get_english_replies_and_no_wrong_answer(brain: Brain, present: Presenter) -> None:
    rows = [line.split("\t", 1) for line in (DATA / "english.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    right = 0
    for topic, question in rows:
        d = brain.dialogue.decide(question, None, time.time())
        assert d.english, question
        assert not (d.decision == "answer" and d.topic != topic), question
        right += d.decision == "answer" and d.topic == topic
        if d.decision == "answer":
            reply = to_plain(present.answer(brain.kb, d.topic or "", d.facet, 1, english=True).text)
            assert "Official page" in reply and "Ask an officer" in str(
                present.answer(brain.kb, d.topic or "", None, 1, english=True).buttons)
    assert right >= len(rows) * 0.7


def test_first_replies_are_short_and_every_part_is_one_tap_away(brain: Brain, present: Presenter) -> None:
    lengths = []
    for topic in brain.kb.topics:
        reply = present.answer(brain.kb, topic.id, None, 1)
        lengths.append(len(to_plain(reply.text)))
        payloads = {data for row in reply.buttons for _, data in row}
        for key, _ in topic.sections[1:]:
            assert f"sec:{topic.id}:{key}" in payloads
        assert f"sec:{topic.id}:basis" in payloads and "esc:1" in payloads
        assert "Căn cứ" not in to_plain(reply.text)  # the legal basis is a tap away, not in the way
    assert statistics.median(lengths) < 600


@pytest.mark.parametrize(("question", "topic", "facet", "needle"), [
    ("làm căn cước mất bao nhiêu tiền", "can-cuoc", "fee", "50.000"),
    ("khai tử cần giấy tờ gì", "khai-tu", "documents", "Giấy báo tử"),
    ("hộ chiếu bao lâu có", "ho-chieu", "time", "ngày làm việc"),
    ("xin lý lịch tư pháp theo luật nào", "ly-lich-tu-phap", "basis", "Luật Lý lịch tư pháp"),
])
def test_a_question_about_one_part_gets_that_part_first(brain: Brain, present: Presenter, question: str,
                                                        topic: str, facet: str, needle: str) -> None:
    d = brain.dialogue.decide(question, None, time.time())
    assert (d.decision, d.topic, d.facet) == ("answer", topic, facet)
    assert needle in to_plain(present.answer(brain.kb, topic, facet, 1).text)


def test_the_2026_corrections_reach_the_citizen(brain: Brain, present: Presenter) -> None:
    def part(topic: str, facet: str | None) -> str:  # as the part's button opens it, whole
        return to_plain(present.answer(brain.kb, topic, facet, whole=True).text)

    card = part("can-cuoc", None) + part("can-cuoc", "who")
    assert "14" in card and "25, 40" in card
    record = part("ly-lich-tu-phap", "who")
    assert "Phiếu số 2" in record and "ủy quyền" in record
    permit = " ".join(part("giay-phep-xay-dung", f) for f in (None, "who", "notes", "basis"))
    assert "Luật Xây dựng năm 2025" in permit and "dưới 7 tầng" in permit and "500 m²" in permit
    assert "175/2024/NĐ-CP" not in part("giay-phep-xay-dung", "basis").replace("thay thế Nghị định 175", "")


async def test_context_lives_in_the_database_and_expires(config) -> None:
    clock = FixedClock()
    services: Services = await open_services(config, clock=clock)
    try:
        assert (await say(services, citizen(), "làm hộ chiếu")).diagnosis.topic == "ho-chieu"
    finally:
        await services.close()
    services = await open_services(config, clock=clock)  # a restart keeps the conversation
    try:
        reply = await say(services, citizen(), "bao lâu thì có")
        assert reply.diagnosis.topic == "ho-chieu" and "Thời hạn" in reply.text
        clock.advance(31 * 60)
        assert (await say(services, citizen(), "bao lâu thì có")).diagnosis.topic != "ho-chieu"  # a long pause resets
        await say(services, citizen(), "làm hộ chiếu")
        await say(services, citizen(), "/start")
        assert (await say(services, citizen(), "bao lâu thì có")).diagnosis.topic != "ho-chieu"  # so does /start
    finally:
        await services.close()


async def test_a_queued_follow_up_carries_the_previous_turns(services: Services) -> None:
    await say(services, citizen(), "làm hộ chiếu cho con")
    reply = await say(services, citizen(), "cấp phép bay flycam quay phim đám cưới")
    ticket = await services.storage.tickets.get(reply.diagnosis.ticket_id or 0)
    assert ticket is not None and ticket.previous == ["làm hộ chiếu cho con"]
    post = services.renderer.render("admin_post.html", t=ticket)
    assert "Trước đó công dân đã hỏi" in post and "làm hộ chiếu cho con" in post


async def test_a_bare_thu_tuc_opens_the_catalogue_and_sections_open_by_button(services: Services) -> None:
    catalogue = await say(services, citizen(), "thủ tục")
    assert "Danh mục thủ tục" in catalogue.text and catalogue.diagnosis.ticket_id is None
    answer = await say(services, citizen(), "đăng ký kết hôn")
    fee = next(data for row in answer.buttons for label, data in row if label == "Lệ phí")
    opened = await press(services, citizen(), fee)
    assert "Lệ phí" in opened.text and opened.diagnosis.topic == "ket-hon"
    where = await say(services, citizen(), "còn làm ở đâu")  # the button moved the conversation there
    assert where.diagnosis.topic == "ket-hon" and "Nơi nộp" in where.text
    assert (await services.storage.tickets.stats()).received == 0  # nothing here needed an officer
