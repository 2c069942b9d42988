"""What citizens notice of dated changes, sources and the office's contacts: the caution line after a change (the
clock pinned, never patched), the legal basis of the part on screen first, and contact details shown when known
and said to be missing when not."""

from __future__ import annotations

import re
from pathlib import Path

from bot.kernel.models import Reply
from bot.usecases.outcomes import succeeded
from tests.conftest import admin, citizen, press, say
from tests.pinned import AFTER, BEFORE, opened, reverify
from tests.test_answer_what_asked import everywhere, rendered

CAUTION = "Thông tin này có thể đã thay đổi từ 01/01/2027"
__all__ = ["opened"]  # the fixture


def _button(reply: Reply, prefix: str) -> str:
    return next(data for row in reply.buttons for _, data in row if data.startswith(prefix))


async def test_after_the_change_the_topics_replies_carry_one_caution_line_in_either_language(opened) -> None:
    before = await opened(BEFORE)
    reply = await say(before, citizen(1), "cấp lại căn cước bị mất hết bao nhiêu tiền")
    assert reply.diagnosis.topic == "can-cuoc" and not everywhere(reply, CAUTION)
    after = await opened(AFTER)
    reply = await say(after, citizen(2), "cấp lại căn cước bị mất hết bao nhiêu tiền")
    assert reply.diagnosis.topic == "can-cuoc" and everywhere(reply, CAUTION, "Lệ phí")
    assert all(text.count(CAUTION) == 1 for text in rendered(reply).values())
    part = await press(after, citizen(2), "sec:can-cuoc:time")
    assert everywhere(part, CAUTION, "07 ngày làm việc")
    other = await say(after, citizen(3), "đăng ký khai sinh cho con ở đâu")
    assert other.diagnosis.topic == "khai-sinh" and not everywhere(other, CAUTION)
    english = await say(after, citizen(4), "how do I get an identity card")
    assert english.diagnosis.topic == "can-cuoc"
    assert everywhere(english, "This information may have changed since 01/01/2027")


async def test_a_topic_checked_again_after_the_change_loses_the_caution(opened, config) -> None:
    after = await opened(AFTER)
    reverify(Path(config.knowledge_dir), "can-cuoc", "2027-01-02")
    assert succeeded(await after.admin.reload(admin()))  # a dated change never blocks /reload
    reply = await say(after, citizen(5), "làm căn cước ở đâu")
    assert reply.diagnosis.topic == "can-cuoc" and not everywhere(reply, CAUTION)


async def test_the_legal_basis_button_shows_the_source_of_the_part_on_screen_first(opened) -> None:
    services = await opened(BEFORE)
    reply = await say(services, citizen(6), "đăng ký tạm trú mất bao nhiêu tiền")
    assert reply.diagnosis.topic == "dang-ky-tam-tru" and everywhere(reply, "Lệ phí")
    payload = _button(reply, "sec:dang-ky-tam-tru:basis")
    assert payload == "sec:dang-ky-tam-tru:basis_fee"
    basis = await press(services, citizen(6), payload)
    for text in rendered(basis).values():
        own = text.index("Lệ phí theo: Thông tư 75/2022/TT-BTC về lệ phí đăng ký cư trú")
        assert own < text.index("Các văn bản của thủ tục:") < text.index("• Luật Cư trú 2020")
    summary = await press(services, citizen(6), "sec:dang-ky-tam-tru:basis")  # nothing on screen has a source
    assert not everywhere(summary, "Lệ phí theo") and everywhere(summary, "• Thông tư 75/2022/TT-BTC")


async def test_asked_together_the_basis_follows_the_part_asked(opened) -> None:
    services = await opened(BEFORE)
    reply = await say(services, citizen(7), "chuyển đất vườn lên đất ở nộp tiền sử dụng đất bao nhiêu, căn cứ pháp lý")
    assert reply.diagnosis.topic == "chuyen-muc-dich-su-dung-dat"
    assert everywhere(reply, "Lệ phí theo: Nghị định 103/2024/NĐ-CP")


async def test_a_phone_number_missing_from_contacts_is_said_with_the_official_page(opened) -> None:
    services = await opened(BEFORE)
    reply = await say(services, citizen(8), "số điện thoại trung tâm hành chính công tỉnh")
    assert reply.diagnosis.topic == "trung-tam-phuc-vu-hcc"
    assert everywhere(reply, "chưa có thông tin về số điện thoại liên hệ", "https://dichvucong.sonla.gov.vn",
                      "Hỏi cán bộ", "Giờ làm việc: Giờ hành chính")


async def test_a_phone_number_filled_in_contacts_is_given(opened, config) -> None:
    path = Path(config.knowledge_dir) / "contacts.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'^  phone: "".*$', "  phone: 0212 3 999 999", text, flags=re.MULTILINE)
    text = re.sub(r'^  address: "".*$', "  address: Số 1 đường Ví Dụ, phường Tô Hiệu", text, flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")
    services = await opened(BEFORE)
    reply = await say(services, citizen(9), "số điện thoại trung tâm hành chính công tỉnh")
    assert everywhere(reply, "Số điện thoại: 0212 3 999 999", "Địa chỉ: Số 1 đường Ví Dụ, phường Tô Hiệu")
    assert not everywhere(reply, "chưa có thông tin về số điện thoại")
    place = await say(services, citizen(10), "trung tâm phục vụ hành chính công tỉnh ở đâu")
    assert place.diagnosis.topic == "trung-tam-phuc-vu-hcc"
    assert everywhere(place, "Nơi nộp", "Địa chỉ: Số 1 đường Ví Dụ")


async def test_a_commune_is_reached_through_the_official_list(opened) -> None:
    services = await opened(BEFORE)
    reply = await say(services, citizen(11), "số điện thoại để hỏi đăng ký khai sinh")
    assert reply.diagnosis.topic == "khai-sinh"
    assert everywhere(reply, "chưa có thông tin về số điện thoại liên hệ", "UBND xã, phường", "https://sonla.gov.vn")
    place = await say(services, citizen(12), "đăng ký kết hôn ở đâu")
    assert place.diagnosis.topic == "ket-hon" and everywhere(place, "Nơi nộp", "UBND xã, phường nơi bạn ở")
