"""Answer what was asked: a new subject is read on its own, small talk is never a ticket, every part asked is
answered in order, and a part the knowledge lacks is said plainly; as each channel renders the reply."""

from __future__ import annotations

import pytest

from bot.engine.services import Services
from bot.kernel.models import Reply
from bot.kernel.render import plain_messages, split_message, to_plain
from channels import console, zalo_bot
from channels.zalo_oa import sender as zalo_oa
from tests.conftest import citizen, press, say


def rendered(reply: Reply) -> dict[str, str]:
    """The reply as each channel shows it: Telegram HTML parts, plain text with numbered options elsewhere."""
    out = {"telegram": to_plain("\n".join(split_message(reply.text)))}
    for name, module in (("console", console), ("zalo_oa", zalo_oa), ("zalo_bot", zalo_bot)):
        out[name] = "\n".join(plain_messages(reply.text, reply.buttons, module.LIMIT, module.HINT))
    return out


def everywhere(reply: Reply, *needles: str) -> bool:
    """Every channel's text holds every needle."""
    return all(all(n in text for n in needles) for text in rendered(reply).values())


async def tickets(services: Services) -> int:
    return len(await services.storage.tickets.by_status())


async def test_a_new_subject_after_a_topic_is_not_answered_from_that_topic(services: Services) -> None:
    user = citizen(1)
    assert (await say(services, user, "xin giấy xác nhận tình trạng hôn nhân")).diagnosis.topic == \
        "xac-nhan-tinh-trang-hon-nhan"
    assert (await say(services, user, "mất bao lâu")).diagnosis.topic == "xac-nhan-tinh-trang-hon-nhan"
    reply = await say(services, user, "ông tôi năm nay 82 tuổi thì được hưởng trợ cấp gì, làm ở đâu")
    assert reply.diagnosis.topic != "xac-nhan-tinh-trang-hon-nhan"
    assert everywhere(reply, "Trợ cấp xã hội hằng tháng")
    seen = reply.diagnosis
    assert seen.decision == "suggest" or seen.topic == "tro-cap-xa-hoi"  # choices at worst, never confidently wrong


async def test_an_elderly_mothers_allowance_after_a_driving_licence_question(services: Services) -> None:
    user = citizen(2)
    assert (await say(services, user, "đổi bằng lái xe hết hạn")).diagnosis.topic == "giay-phep-lai-xe"
    reply = await say(services, user, "mẹ tôi 80 tuổi không có lương hưu thì có được nhận trợ cấp hằng tháng không")
    assert reply.diagnosis.topic != "giay-phep-lai-xe"
    assert everywhere(reply, "Trợ cấp xã hội hằng tháng")


async def test_a_part_asked_without_a_subject_stays_with_the_topic(services: Services) -> None:
    user = citizen(3)
    await say(services, user, "làm hộ chiếu")
    reply = await say(services, user, "thế lệ phí bao nhiêu")
    assert reply.diagnosis.topic == "ho-chieu" and everywhere(reply, "hộ chiếu", "Lệ phí")


@pytest.mark.parametrize("text", ["vâng em cảm ơn ạ", "ad ơi có ai ko", "buồn quá", "???", "👍", "good morning",
                                  "bot ngốc thế", "thôi khỏi", "ăn cơm chưa", "bạn là người thật hay máy vậy",
                                  "Do you speak English?", "What's the weather like in Son La tomorrow?"])
async def test_small_talk_gets_a_polite_reply_never_a_ticket(services: Services, text: str) -> None:
    reply = await say(services, citizen(4), text)
    assert reply.diagnosis.decision == "smalltalk" and reply.diagnosis.ticket_id is None
    assert await tickets(services) == 0
    assert not everywhere(reply, "chưa có trong cơ sở tri thức") and not everywhere(reply, "cán bộ sẽ trả lời")


async def test_asking_for_a_person_offers_an_officer_and_a_ticket_only_when_chosen(services: Services) -> None:
    user = citizen(5)
    reply = await say(services, user, "cho tôi nói chuyện với cán bộ")
    assert reply.diagnosis.decision == "smalltalk" and await tickets(services) == 0
    assert everywhere(reply, "Hỏi cán bộ")
    payload = next(data for row in reply.buttons for _, data in row if data.startswith("esc:"))
    queued = await press(services, user, payload)
    assert queued.diagnosis.ticket_id is not None and await tickets(services) == 1


@pytest.mark.parametrize(("text", "labels"), [
    ("làm căn cước cho con 8 tuổi ở đâu, mất bao nhiêu tiền", ["Nơi nộp:", "Lệ phí:"]),
    ("làm hộ chiếu ở đâu, bao lâu thì có", ["Nơi nộp:", "Thời hạn:"]),
    ("đăng ký kết hôn cần giấy tờ gì, lệ phí bao nhiêu", ["Hồ sơ:", "Lệ phí:"]),
])
async def test_every_part_asked_is_in_the_first_reply_in_the_order_asked(services: Services, text: str,
                                                                        labels: list[str]) -> None:
    reply = await say(services, citizen(6), text)
    assert reply.diagnosis.decision == "answer"
    for body in rendered(reply).values():
        positions = [body.find(label) for label in labels]
        assert -1 not in positions and positions == sorted(positions), body
    assert len(to_plain(reply.text)) <= 1300


async def test_an_allowance_amount_is_never_answered_with_the_fee(services: Services) -> None:
    user = citizen(7)
    await say(services, user, "trợ cấp xã hội cho người cao tuổi")
    reply = await say(services, user, "được bao nhiêu tiền 1 tháng")
    assert reply.diagnosis.topic == "tro-cap-xa-hoi"
    assert not everywhere(reply, "Lệ phí") and not everywhere(reply, "Không mất phí")
    assert everywhere(reply, "Mức hưởng") or everywhere(reply, "chưa có thông tin")


async def test_a_bribe_question_gets_where_to_report_not_a_fee(services: Services) -> None:
    reply = await say(services, citizen(8), "cán bộ xã đòi tiền bồi dưỡng thì báo ở đâu")
    assert reply.diagnosis.topic == "phong-chong-tham-nhung"
    assert not everywhere(reply, "Lệ phí")


async def test_a_phone_number_the_knowledge_lacks_is_said_plainly(services: Services) -> None:
    reply = await say(services, citizen(9), "số điện thoại trung tâm phục vụ hành chính công tỉnh")
    assert reply.diagnosis.topic == "trung-tam-phuc-vu-hcc"
    assert everywhere(reply, "chưa có thông tin về số điện thoại liên hệ", "Hỏi cán bộ")


async def test_english_follow_ups_use_the_context(services: Services) -> None:
    user = citizen(10)
    first = await say(services, user, "how do I register a birth")
    assert first.diagnosis.topic == "khai-sinh"
    reply = await say(services, user, "how much does it cost?")
    assert reply.diagnosis.topic == "khai-sinh" and everywhere(reply, "Fee", "Official page")


async def test_an_out_of_scope_procedure_inside_a_longer_sentence_is_held(services: Services) -> None:
    user = citizen(11)
    reply = await say(services, user, "đi làm ăn xa mấy tháng thì có phải khai báo tạm vắng ko")
    assert reply.diagnosis.decision == "queue" and reply.diagnosis.topic is None
    assert everywhere(reply, "tạm vắng")


@pytest.mark.parametrize(("text", "unwanted"), [
    ("mua bảo hiểm nhân thọ ở đâu", "Bảo hiểm y tế"),
    ("làm lại sim điện thoại bị mất", "sổ đỏ"),
    ("tiêm vắc xin cho bé ở đâu", "khai sinh"),
])
async def test_a_generic_word_alone_offers_no_procedure(services: Services, text: str, unwanted: str) -> None:
    reply = await say(services, citizen(12), text)
    assert reply.diagnosis.decision == "queue" and reply.diagnosis.topic is None
    assert not everywhere(reply, unwanted)


async def test_a_part_asked_with_no_procedure_asks_which_one(services: Services) -> None:
    reply = await say(services, citizen(13), "dc bn tien 1 thang")
    assert reply.diagnosis.decision == "smalltalk" and reply.diagnosis.topic is None
    assert everywhere(reply, "thủ tục nào") and await tickets(services) == 0


async def test_english_small_talk_and_a_request_for_a_person(services: Services) -> None:
    user = citizen(14)
    hello = await say(services, user, "good morning")
    assert hello.diagnosis.decision == "smalltalk" and everywhere(hello, "administrative procedures")
    person = await say(services, user, "can I talk to a real person?")
    assert person.diagnosis.decision == "smalltalk" and everywhere(person, "Ask an officer")
    assert await tickets(services) == 0


async def test_a_foreigners_marriage_in_english_is_held_for_an_officer(services: Services) -> None:
    reply = await say(services, citizen(15), "I am American and want to marry my Vietnamese girlfriend in Son La, "
                                             "what do I need")
    assert reply.diagnosis.decision == "queue" and reply.diagnosis.topic is None
    assert not everywhere(reply, "Đăng ký kết hôn")


async def test_a_long_part_is_cut_in_the_first_reply_and_its_button_opens_it_whole(services: Services) -> None:
    user = citizen(16)
    reply = await say(services, user, "trợ cấp xã hội hằng tháng được bao nhiêu tiền")
    assert reply.diagnosis.topic == "tro-cap-xa-hoi" and len(to_plain(reply.text)) < 900
    payload = next((data for row in reply.buttons for _, data in row if data == "sec:tro-cap-xa-hoi:benefit"), None)
    if payload is not None:  # the part was cut: its button is still there, and opens it whole
        opened = await press(services, user, payload)
        assert len(to_plain(opened.text)) > len(to_plain(reply.text)) - 200
        assert "Nghị định" in to_plain(opened.text)


@pytest.mark.parametrize(("first", "then", "topic", "label"), [
    ("xin giấy phép xây dựng nhà ở", "có cần xin giấy phép xây dựng không", "giay-phep-xay-dung", "Điều kiện"),
    ("xin giấy phép xây dựng nhà ở", "được miễn giấy phép khi nào", "giay-phep-xay-dung", "Điều kiện"),
    ("làm căn cước cho con", "thẻ căn cước của trẻ em dùng đến khi nào", "can-cuoc", "Giá trị sử dụng"),
    ("trợ cấp xã hội cho người khuyết tật", "bao lâu được nhận tiền", "tro-cap-xa-hoi", "Thời hạn"),
    ("thẻ bảo hiểm y tế hộ gia đình", "miễn phí cho hộ cận nghèo không", "bhyt", "Điều kiện"),
])
async def test_the_part_that_means_what_the_citizen_means(services: Services, first: str, then: str, topic: str,
                                                          label: str) -> None:
    user = citizen(17)
    await say(services, user, first)
    reply = await say(services, user, then)
    assert reply.diagnosis.topic == topic and everywhere(reply, label)
    assert not everywhere(reply, "Lệ phí:") and not everywhere(reply, f"{topic}: Hồ sơ")


@pytest.mark.parametrize(("text", "title"), [
    ("cho hỏi nộp hồ sơ kết hôn trực tuyến được không", "kết hôn"),
    ("nop ho so nhap khau qua ung dung vneid duoc ko", "thường trú"),
])
async def test_online_asked_of_a_named_procedure_answers_that_procedures_online_part(services: Services, text: str,
                                                                                     title: str) -> None:
    reply = await say(services, citizen(40), text)
    assert everywhere(reply, title, "Làm trực tuyến")
    assert not any("Nộp hồ sơ trực tuyến:" in t for t in rendered(reply).values())


async def test_the_online_service_asked_alone_is_still_the_online_service(services: Services) -> None:
    reply = await say(services, citizen(41), "nộp hồ sơ trực tuyến thế nào")
    assert everywhere(reply, "Nộp hồ sơ trực tuyến", "dichvucong.gov.vn")


async def test_a_status_lookup_in_a_licence_conversation_gets_the_lookup_service(services: Services) -> None:
    user = citizen(42)
    assert (await say(services, user, "đổi bằng lái trên vneid làm như nào")).diagnosis.topic == "giay-phep-lai-xe"
    reply = await say(services, user, "đã nộp rồi, giờ muốn tra tình trạng hồ sơ đổi bằng lái thì xem ở đâu")
    assert reply.diagnosis.topic == "tra-cuu-ho-so" and everywhere(reply, "mã hồ sơ")
