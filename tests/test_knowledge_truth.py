"""Knowledge truth, round three: the defects an audit found in the topics' texts, checked on the reply a citizen
gets (in Vietnamese, and in English where the topic has an English summary), as every channel renders it.
The sources of each correction are listed in knowledge/README.md."""

from __future__ import annotations

import re

import pytest

from bot.engine.services import Services
from bot.kernel.models import Reply
from knowledge.loader import KnowledgeBase
from tests.conftest import citizen, press, say
from tests.test_answer_what_asked import everywhere, rendered


def nowhere(reply: Reply, *needles: str) -> bool:
    """No channel's text holds any of the needles."""
    return not any(n in text for text in rendered(reply).values() for n in needles)


async def ask(services: Services, n: int, text: str, topic: str) -> Reply:
    reply = await say(services, citizen(n), text)
    assert reply.diagnosis.topic == topic, (text, reply.diagnosis.topic, reply.text)
    return reply


# --- giay-phep-xay-dung: the 2025 Construction Law's exemption is 7 storeys and 500 m², not the detailed plan ---

@pytest.mark.parametrize("text", ["nhà 3 tầng có phải xin giấy phép xây dựng không",
                                  "trường hợp nào được miễn giấy phép xây dựng"])
async def test_the_permit_exemption_is_under_7_storeys_and_500_m2(services: Services, text: str) -> None:
    reply = await ask(services, 1, text, "giay-phep-xay-dung")
    assert everywhere(reply, "dưới 7 tầng", "500 m²", "quy chế quản lý kiến trúc", "hỏi UBND xã")
    assert nowhere(reply, "quy hoạch chi tiết", "quy hoạch phân khu")


async def test_the_permit_exemption_in_english(services: Services) -> None:
    reply = await ask(services, 2, "Do I need a permit to build a house?", "giay-phep-xay-dung")
    assert everywhere(reply, "under 7 storeys", "500 m²", "ask the commune before building")
    assert nowhere(reply, "detailed", "zoning")


async def test_the_permit_summary_no_longer_ties_the_exemption_to_a_detailed_plan(services: Services) -> None:
    reply = await ask(services, 3, "giấy phép xây dựng", "giay-phep-xay-dung")
    assert everywhere(reply, "dưới 7 tầng", "500 m²") and nowhere(reply, "quy hoạch chi tiết")


# --- can-cuoc: a card made in the 2 years before 14 lasts until 25; the change at 14 costs nothing ------------

async def test_a_card_for_a_13_year_old_is_not_said_to_last_only_until_14(services: Services) -> None:
    reply = await ask(services, 4, "làm căn cước cho con 13 tuổi thì thẻ dùng được đến khi nào", "can-cuoc")
    assert everywhere(reply, "từ đủ 12 đến dưới 14 tuổi", "đủ 25 tuổi")
    assert nowhere(reply, "chỉ dùng đến khi trẻ đủ 14 tuổi")


async def test_a_card_for_a_13_year_old_in_english(services: Services) -> None:
    reply = await ask(services, 5, "My child is 13. Until what age is an ID card valid?", "can-cuoc")
    assert everywhere(reply, "lasts until 25") and nowhere(reply, "valid only until 14")


async def test_no_part_of_the_card_topic_says_a_childs_card_lasts_only_until_14(services: Services) -> None:
    user = citizen(6)
    first = await say(services, user, "căn cước")
    assert first.diagnosis.topic == "can-cuoc" and nowhere(first, "chỉ dùng đến khi trẻ đủ 14")
    payloads = [data for row in first.buttons for _, data in row if data.startswith("sec:can-cuoc:")]
    assert len(payloads) >= 8
    for payload in payloads:  # every part, opened whole by its button
        part = await press(services, user, payload)
        assert nowhere(part, "chỉ dùng đến khi trẻ đủ 14", "only until 14"), payload


@pytest.mark.parametrize("text", ["con tôi đủ 14 tuổi đổi căn cước mất bao nhiêu tiền",
                                  "đổi căn cước khi đủ 14 tuổi có mất phí không"])
async def test_the_change_at_14_is_not_quoted_as_50000_dong(services: Services, text: str) -> None:
    reply = await ask(services, 7, text, "can-cuoc")
    assert everywhere(reply, "Đổi thẻ khi đủ 14 tuổi: không mất lệ phí", "trẻ em dưới 16 tuổi")
    for channel, body in rendered(reply).items():  # no line that names the age of 14 prices it
        for line in body.splitlines():
            if re.search(r"\b14 tuổi\b", line):
                assert "50.000" not in line, (channel, line)


async def test_the_change_at_14_in_english(services: Services) -> None:
    reply = await ask(services, 8, "How much does it cost to change my child's ID card at 14?", "can-cuoc")
    assert everywhere(reply, "the change at 14 is free", "children under 16")


# --- cap-so-do-lan-dau: the 20-day limit of Decree 101/2024 was shortened in 2025 --------------------------

async def test_first_registration_time_is_not_the_old_20_days(services: Services) -> None:
    reply = await ask(services, 9, "làm sổ đỏ lần đầu mất bao lâu", "cap-so-do-lan-dau")
    assert everywhere(reply, "rút ngắn", "phiếu hẹn", "dichvucong")
    assert nowhere(reply, "20 ngày")


async def test_first_registration_time_in_english(services: Services) -> None:
    reply = await ask(services, 10, "How long does it take to get a red book for the first time?",
                      "cap-so-do-lan-dau")
    assert everywhere(reply, "shorter than before") and nowhere(reply, "20 working days")


# --- ho-chieu: Law 118/2025/QH15 amended the exit and entry law again from 1 July 2026 ---------------------

async def test_the_passport_basis_names_law_118_2025(services: Services) -> None:
    reply = await ask(services, 11, "hộ chiếu theo luật nào", "ho-chieu")
    assert everywhere(reply, "49/2019/QH14", "23/2023/QH15", "118/2025/QH15")


async def test_a_new_passport_cancels_the_old_one(services: Services) -> None:
    reply = await ask(services, 12, "làm hộ chiếu mới thì hộ chiếu cũ còn hạn có dùng được không", "ho-chieu")
    assert everywhere(reply, "hộ chiếu cũ dù còn hạn bị hủy giá trị", "chỉ dùng được 01 lần", "118/2025/QH15")


async def test_a_new_passport_cancels_the_old_one_in_english(services: Services) -> None:
    reply = await ask(services, 13, "Can I still use my old passport after I get a new one?", "ho-chieu")
    assert everywhere(reply, "a new passport cancels the old one", "one trip only")


# --- English summaries: plain, natural and true to the Vietnamese -------------------------------------------

@pytest.mark.parametrize(("text", "topic", "present", "absent"), [
    ("How much is signature certification?", "chung-thuc-chu-ky",
     "Contracts and other transactions", "Contracts (motorbike, house, land, wills)"),
    ("health insurance card lost", "bhyt", "Replacing a lost or damaged card is free", "Replacing a lost card is free"),
    ("criminal record certificate", "ly-lich-tu-phap",
     "form No. 2 can only be requested by the person it is about", "themself"),
    ("acknowledge paternity of my child", "nhan-cha-me-con",
     "Registering that someone is your father, mother or child", "Registration of recognition"),
    ("compensation when the State takes my land", "boi-thuong-thu-hoi-dat",
     "you must be told at least 90 days ahead", "owners get at least 90 days' notice"),
])
async def test_english_summaries_read_naturally(services: Services, text: str, topic: str, present: str,
                                                absent: str) -> None:
    reply = await ask(services, 14, text, topic)
    assert everywhere(reply, present) and nowhere(reply, absent)


# --- numbers no source confirmed: no longer stated to citizens ----------------------------------------------

UNCONFIRMED = ("135/2025", "254/2025", "226/2025", "116/2026", "58/2026", "108/2026", "217/2026", "335/2026",
               "321/2026")


@pytest.mark.parametrize(("text", "topic"), [
    ("xin giấy phép xây dựng theo luật nào", "giay-phep-xay-dung"),
    ("bồi thường khi thu hồi đất theo luật nào", "boi-thuong-thu-hoi-dat"),
    ("đăng ký tạm trú theo văn bản nào", "dang-ky-tam-tru"),
    ("bằng lái quá hạn có phải thi lại không", "giay-phep-lai-xe"),
    ("làm sổ đỏ lần đầu hết bao nhiêu tiền", "cap-so-do-lan-dau"),
])
async def test_unconfirmed_numbers_are_not_cited(services: Services, text: str, topic: str) -> None:
    reply = await ask(services, 15, text, topic)
    assert nowhere(reply, *UNCONFIRMED)


def test_no_topic_states_an_unconfirmed_number(kb: KnowledgeBase) -> None:
    for topic in kb.topics:
        texts = [body for _, body in topic.sections] + [topic.summary_en or ""] + list(topic.legal_basis)
        for number in UNCONFIRMED:
            assert not any(number in text for text in texts), (topic.id, number)
