"""Personal data in citizens' messages: what is found, what is not, and how logs hide it."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.guard import MaskingFilter
from bot.understanding.privacy import DATA_FILE, Finding, find_personal_data, load_not_names, load_surnames, mask

SURNAMES = load_surnames()


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_personal_data(text, SURNAMES)]


PHONES = [
    "0912345678", "0912 345 678", "0912.345.678", "0912-345-678", "+84 912 345 678", "+84912345678",
    "84912345678", "(+84) 912-345-678", "(+84)912345678", "0912 34 56 78", "091 234 5678", "0212 3852 123",
    "02123852123", "0212.3852.123", "(0212) 3852 123", "+84 212 3852 123", "0388 123 456", "+84 0912 345 678",
]
IDS = ["014190001234", "014 190 001 234", "014.190.001.234", "014-190-001-234", "0141 9000 1234", "050123456",
       "050 123 456", "050.123.456"]


@pytest.mark.parametrize("phone", PHONES)
def test_every_usual_form_of_a_phone_number_is_found(phone: str) -> None:
    assert found(f"Số của em là {phone}, gọi giúp em") == [("phone", phone)]
    assert found(phone) == [("phone", phone)]


@pytest.mark.parametrize("number", IDS)
def test_every_usual_form_of_an_identity_number_is_found(number: str) -> None:
    assert found(f"căn cước {number} bị mất") == [("id_number", number)]


def test_findings_carry_their_position() -> None:
    text = "Gọi 0912 345 678 hoặc mail lo.mai@gmail.com"
    findings = find_personal_data(text, SURNAMES)
    assert findings == [Finding("phone", 4, 16, "0912 345 678"), Finding("email", 27, 43, "lo.mai@gmail.com")]
    assert all(text[f.start : f.end] == f.text for f in findings)


def test_numbers_next_to_other_numbers_are_still_found() -> None:
    assert found("mã 12345 0912345678 hoặc 0987.654.321/0212 3852 123") == [
        ("phone", "0912345678"), ("phone", "0987.654.321"), ("phone", "0212 3852 123")]
    assert found("cmnd 012 345 678 901 0912 345 678") == [("id_number", "012 345 678 901"), ("phone", "0912 345 678")]


@pytest.mark.parametrize("text", [
    "Hạn nộp hồ sơ là ngày 28/11/2026, hoặc 28.11.2026, hoặc 2026-11-28 lúc 10:15:03",
    "Lệ phí 200.000 đồng, bản sao 1.500.000đ, phạt 200.000.000 đồng, tổng 150.000.000",
    "Học phí 5000000 vnđ, quỹ 123456789 đồng, hỗ trợ 1500000000",
    "Theo Nghị định 175/2024/NĐ-CP và Quyết định 1234/QĐ-UBND, văn bản số 123456789/QĐ-UBND",
    "Phiếu #12 và phiếu #123456789 đã được trả lời",
    "Các năm 2020 2021 2022 và 2023, 2024, 2025",
    "Điều 12 khoản 3, trang 45, tầng 2, phòng 101 và 15 người",
    "Tỉ lệ 0.5 1.2 3.4 5.6 7.8",
])
def test_dates_money_years_and_document_numbers_are_not_personal_data(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize("text", [
    "Ủy ban Nhân dân tỉnh Sơn La thông báo lịch tiếp công dân",
    "Uỷ ban nhân dân huyện Mộc Châu và Công an xã Chiềng Sinh",
    "Tôi ở Thuận Châu nhưng làm việc ở Hà Nội, Việt Nam",
    "Trung tâm Phục vụ hành chính công tỉnh Sơn La ở Tô Hiệu",
    "Mai tôi lên Mai Sơn, rồi qua Mường La và Tạ Khoa",
    "Hà Giang, Cao Bằng, Lâm Đồng và Thái Nguyên",
    "Làm giấy khai sinh cho con ở đâu? Cần mang Căn cước không?",
    "Lê la cả ngày. Vì sao chưa có kết quả? Hồ sơ nộp rồi",
    "Em là Người Thái ở bản Hụm, em là Cán Bộ xã, tôi là Chủ tịch Hội",
    "ha noi va son la",
    "Thủ Tục Cấp Lại Căn Cước, Hồ Sơ Ly Hôn, Trợ Cấp Mai Táng Phí Cho Thân Nhân Người Cao Tuổi",
    "Giấy phép lái xe Hạng A1 và Hạng B2",
])
def test_places_institutions_and_ordinary_capitals_are_not_names(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(("text", "name"), [
    ("Nguyễn Văn An đến nộp hồ sơ", "Nguyễn Văn An"),  # Kinh
    ("Chị Trần Thị Thu Hà hỏi về đất", "Trần Thị Thu Hà"),
    ("Bà Lò Thị Mai ở bản Hụm, Mộc Châu", "Lò Thị Mai"),  # Thái
    ("con ông Cầm Văn Hương", "Cầm Văn Hương"),
    ("Vì Văn Nam ở Mai Sơn", "Vì Văn Nam"),
    ("anh Giàng A Páo ở Sốp Cộp", "Giàng A Páo"),  # H'Mông
    ("hộ ông Sùng A Chá", "Sùng A Chá"),
    ("chị Thào Thị Mỷ", "Thào Thị Mỷ"),
    ("Hạng A Lử ở Sốp Cộp", "Hạng A Lử"),
    ("cháu Đinh Công Tráng", "Đinh Công Tráng"),  # Mường
    ("ông Bàn Văn Tiến", "Bàn Văn Tiến"),  # Dao
    ("Nguyen Van Binh hoi", "Nguyen Van Binh"),  # typed without diacritics
])
def test_names_that_start_with_a_surname_are_found(text: str, name: str) -> None:
    assert found(text) == [("name", name)]


@pytest.mark.parametrize(("text", "name"), [
    ("Tôi là Hoa Mai, ở phường Chiềng Lề", "Hoa Mai"),
    ("tên tôi là Minh Khang", "Minh Khang"),
    ("Tên em là Sùng Thị Dợ", "Sùng Thị Dợ"),
    ("Em tên: Vàng Thị Mỷ", "Vàng Thị Mỷ"),
    ("TÔI TÊN LÀ Thu Trang", "Thu Trang"),
    ("cháu là Quang Huy ạ", "Quang Huy"),
    ("mình là Ngọc Ánh", "Ngọc Ánh"),
    ("toi la Thanh Tam", "Thanh Tam"),
    ("chào ad, em la Bich Ngoc", "Bich Ngoc"),
    ("ten toi la Duc Anh", "Duc Anh"),
    ("Tôi là Lò Thị Mai, ở bản Hụm", "Lò Thị Mai"),
])
def test_names_after_an_introduction_are_found(text: str, name: str) -> None:
    assert found(text) == [("name", name)]


def test_an_introduction_is_followed_by_a_capitalised_name_of_one_to_four_syllables() -> None:
    assert found("tôi là người dân bản Hụm") == []
    assert found("tôi là Hoa") == [("name", "Hoa")]
    assert found("Tôi là Nguyễn Thị Minh Khai Phương") == [("name", "Nguyễn Thị Minh Khai")]


@pytest.mark.parametrize(("text", "name"), [
    ("GIÀNG A SỬ ĐÃ NỘP HỒ SƠ", "GIÀNG A SỬ"),  # all capitals: the middle name tells
    ("chào anh lò văn páo", "lò văn páo"),  # lower case
    ("Lò văn Páo đã nộp", "Lò văn Páo"),
    ("tôi là sồng a chứ", "sồng a chứ"),  # a surname outside the list, after an introduction
    ("Đã nhận đơn của ông Khà Văn Nọi.", "Khà Văn Nọi"),  # ... or by its middle name
    ("Chào chị Hoa, chị mang theo Căn cước nhé", "Hoa"),  # one syllable after a form of address
    ("Anh Páo lên nhận kết quả nhé", "Páo"),
    ("a Páo lên xã nhé", "Páo"),
    ("Chao chi Hoa, chi mang theo giay to", "Hoa"),
    ("Páo ơi, lên xã nhận kết quả", "Páo"),
    ("CHÀO CHỊ CẦM THỊ NGA, HỒ SƠ ĐÃ XONG", "CẦM THỊ NGA"),
])
def test_names_are_found_by_their_shape_in_any_case(text: str, name: str) -> None:
    assert found(text) == [("name", name)]


@pytest.mark.parametrize("text", [
    "Bà ngoại đứng tên sổ đỏ, ông bà nội ủy quyền cho cháu",
    "Anh/chị mang theo Căn cước; em bé dưới 6 tuổi được miễn phí",
    "Bà mẹ Việt Nam anh hùng và Anh Hùng Lao Động được ưu tiên",
    "Trụ sở ở số 8 đường Chu Văn Thịnh, gần ngã tư Lò Văn Giá và trường THPT Chu Văn An",
    "Bệnh viện Bạch Mai, Bà Rịa - Vũng Tàu, Bác Hồ, Hai Bà Trưng",
    "vì thị trấn xa nên đi lại khó; văn bản gửi Sở Văn hóa",
    "lam so do lan dau bao lau thi nhan duoc; tam tru dc bao lau thi phai gia han",
    "Trời ơi, Anh ơi, Bà con ơi, Cán bộ ơi",
    "Gửi Phiếu yêu cầu qua mạng; Chào mừng bà con",
])
def test_kinship_places_and_ordinary_words_are_not_names(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(("text", "kind"), [
    ("gọi O912 345 678", "phone"), ("gọi О912345678", "phone"), ("gọi 0084 912 345 678", "phone"),
    ("số 0912–345–678", "phone"), ("gọi 0 9 1 2 3 4 5 6 7 8", "phone"), ("sdt 0912. 345. 678", "phone"),
    ("số không chín một hai ba bốn năm sáu bảy tám", "phone"), ("khong chin mot hai ba bon nam sau bay tam", "phone"),
    ("CCCD 01419000 1234", "id_number"), ("CMND 12345 6789", "id_number"), ("CCCD số 17 1234 567", "id_number"),
    ("thẻ BHYT GD4010123456789", "id_number"), ("hộ chiếu số C1234567", "id_number"),
    ("mail pao.lo @ gmail.com", "email"), ("pao.lo[at]gmail.com", "email"), ("pao.lo(a)gmail.com", "email"),
    ("pao.lo at gmail dot com", "email"), ("pao.lo a còng gmail chấm com", "email"), ("mail paolo@gmail nhé", "email"),
])
def test_disguised_numbers_and_addresses_are_found(text: str, kind: str) -> None:
    assert [k for k, _ in found(text)] == [kind]


def test_a_name_with_diacritics_in_an_address_is_found_whole() -> None:
    assert found("thư gửi páo@gmail.com") == [("email", "páo@gmail.com")]
    assert found("hotline 1900 8198, 18001096, 1900 123 456") == []


@pytest.mark.parametrize("address", ["lo.mai@gmail.com", "giang_a_pao+so.la@sonla.gov.vn", "A.B-C@mail.example.org"])
def test_email_addresses_are_found(address: str) -> None:
    assert found(f"gửi về {address}, cảm ơn") == [("email", address)]
    assert found("gửi về a@b, hoặc a@b.c, hoặc @gmail.com") == []


def test_the_shipped_data_file() -> None:
    not_names = load_not_names()
    assert {"Nguyễn", "Lò", "Cầm", "Giàng", "Sùng", "Thào", "Bàn", "Quách"} <= SURNAMES
    assert {"Sơn La", "Mộc Châu", "Hà Nội", "Ủy ban", "Công an", "Nhân dân", "Trung tâm"} <= not_names
    assert "Sơn" not in SURNAMES and all(len(s.split()) == 1 for s in SURNAMES)
    assert DATA_FILE.name == "surnames.yaml"


def test_a_broken_data_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "surnames.yaml"
    path.write_text("surnames:\n  kinh: Nguyễn\nnot_names: [Sơn La]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="surnames"):
        load_surnames(path)
    path.write_text("surnames: [Nguyễn Văn]\nnot_names: [Sơn La]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="one syllable"):
        load_surnames(path)
    path.write_text("surnames: [Nguyễn, Lò]\nnot_names: [Sơn La]\n", encoding="utf-8")
    assert load_surnames(path) == {"Nguyễn", "Lò"}


def test_a_custom_stop_list_replaces_the_shipped_one() -> None:
    text = "Mai Sơn"
    assert find_personal_data(text, SURNAMES) == []
    assert find_personal_data(text, SURNAMES, not_names=frozenset()) == [Finding("name", 0, 7, "Mai Sơn")]
    assert find_personal_data(text, frozenset()) == []


@pytest.mark.parametrize("phone", PHONES)
def test_mask_hides_every_form_of_a_phone_number_but_its_last_three_digits(phone: str) -> None:
    masked = mask(f"gọi {phone} nhé")
    assert masked.startswith("gọi *") and masked.endswith(f"{re.sub(r'[^0-9]', '', phone)[-3:]} nhé")
    assert len(re.sub(r"[^0-9]", "", masked)) == 3


@pytest.mark.parametrize("number", [*IDS, "123456789", "987654321012"])
def test_mask_hides_every_form_of_an_identity_number(number: str) -> None:
    masked = mask(f"cccd {number}.")
    assert re.fullmatch(r"cccd \*{6,9}[0-9]{3}\.", masked), masked


def test_mask_examples() -> None:
    assert mask("sđt 0912 345 678") == "sđt *******678"
    assert mask("(+84) 912-345-678") == "******678"
    assert mask("cccd 014.190.001.234, mail lo.mai@gmail.com") == "cccd *********234, mail l***@gmail.com"
    harmless = "ngày 28/11/2026, #12, 175/2024/NĐ-CP, 1.500.000đ"
    assert mask(harmless) == harmless


def test_log_records_at_every_level_lose_numbers_in_any_form(caplog: pytest.LogCaptureFixture) -> None:
    token = "123456:ABC-secret-token"
    log = logging.getLogger("papibot.test.privacy")
    log.addFilter(MaskingFilter((token,)))
    with caplog.at_level(logging.DEBUG, logger="papibot.test.privacy"):
        for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL):
            log.log(level, "bot%s: %s / %s / %s", token, "+84 912 345 678", "0212.3852.123", "014-190-001-234")
    assert len(caplog.records) == 5
    for record in caplog.records:
        digits = re.sub(r"[^0-9]", "", record.getMessage())
        assert token not in record.getMessage() and "***" in record.getMessage()
        assert digits == "678123234", record.getMessage()


def test_mask_is_fast_on_long_hostile_input() -> None:
    texts = ["1 " * 5000, "0912." * 2000, "a@" * 5000, "a" * 10_000 + "@", "(+84)" * 2000, "9" * 10_000]
    start = time.perf_counter()
    for text in texts:
        mask(text)
        find_personal_data(text, SURNAMES)
    assert time.perf_counter() - start < 2.0


_DIGITS = st.sampled_from("0123456789")
_MOBILE = st.tuples(st.sampled_from("35789"), st.text(_DIGITS, min_size=8, max_size=8)).map("".join)
_LANDLINE = st.text(_DIGITS, min_size=9, max_size=9).map(lambda d: "2" + d)
_CCCD = st.text(_DIGITS, min_size=11, max_size=11).map(lambda d: "0" + d)
_CMND = st.tuples(st.sampled_from("0123"), st.text(_DIGITS, min_size=8, max_size=8)).map("".join)
_GROUPINGS = {  # how people split a national phone number (without its 0), or an identity number
    ("phone", 9): [(9,), (3, 3, 3), (3, 2, 2, 2), (2, 3, 4)],
    ("phone", 10): [(10,), (3, 4, 3), (3, 7), (3, 3, 4)],
    ("id", 9): [(9,), (3, 3, 3)],
    ("id", 12): [(12,), (3, 3, 3, 3), (4, 4, 4)],
}
_FILLER = st.text(st.characters(blacklist_characters="0123456789", blacklist_categories=("Cs",)), max_size=20)


@st.composite
def _number(draw: st.DrawFn) -> tuple[str, str]:
    """A phone or identity number as people write it, and the digits that must not survive masking."""
    phone = draw(st.booleans())
    digits = draw(st.one_of(_MOBILE, _LANDLINE) if phone else st.one_of(_CCCD, _CMND))
    sizes = draw(st.sampled_from(_GROUPINGS["phone" if phone else "id", len(digits)]))
    separators = draw(st.lists(st.sampled_from([" ", ".", "-"]), min_size=len(sizes), max_size=len(sizes)))
    if not phone and len(sizes) > 1:
        separators = [separators[0]] * len(sizes)
    groups, at = [], 0
    for size, sep in zip(sizes, separators, strict=True):
        groups.append(digits[at : at + size] + sep)
        at += size
    written = "".join(groups)[:-1]
    if phone:
        return draw(st.sampled_from(["0", "+84 ", "+84", "84", "(+84) ", "(+84)"])) + written, "0" + digits
    return written, digits


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_FILLER, _number()), min_size=1, max_size=4), _FILLER)
def test_mask_leaves_no_generated_phone_or_identity_number_intact(parts: list[tuple[str, tuple[str, str]]],
                                                                   tail: str) -> None:
    text = "".join(f"{filler or ' '}{written}" for filler, (written, _) in parts) + tail
    stripped = re.sub(r"[\s.\-()+]", "", mask(text))
    for _, (_, digits) in parts:
        assert digits not in stripped and digits[1:] not in stripped, (text, mask(text))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_mask_and_find_never_raise(text: str) -> None:
    masked = mask(text)
    assert isinstance(masked, str)
    for f in find_personal_data(text, SURNAMES):
        assert text[f.start : f.end] == f.text and f.kind in ("phone", "id_number", "email", "name")
