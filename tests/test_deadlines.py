"""Vietnamese deadline text and the status derived from it."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.papi.deadlines import (
    DONE,
    ONGOING,
    OVERDUE,
    UPCOMING,
    Deadline,
    derive_status,
    parse_deadline,
    parse_status,
)

D = dt.date
AS_OF = D(2021, 6, 30)


@pytest.mark.parametrize(("text", "due", "recurring"), [
    ("Quý III/2021", D(2021, 9, 30), False),
    ("- Quý I/2021.\n- Báo cáo kết quả thực hiện.", D(2021, 3, 31), False),
    ("Quý IV năm 2021", D(2021, 12, 31), False),
    ("Ban hành Kế hoạch trong Quý I.", D(2021, 3, 31), False),
    ("Tháng 10/2021", D(2021, 10, 31), False),
    ("Ban hành kế hoạch trong tháng 2/2021.", D(2021, 2, 28), False),
    ("- Kế hoạch ban hành trong Quý I/2021.\n- Báo cáo kết quả tháng 12/2021", D(2021, 12, 31), False),
    ("Năm 2021", D(2021, 12, 31), False),
    ("trước ngày 15/9/2021", D(2021, 9, 15), False),
    ("6 tháng cuối năm 2021", D(2021, 12, 31), False),
    ("Thường xuyên", None, True),
    ("Thực hiện thường xuyên", None, True),
    ("Định kỳ hàng quý, 6 tháng và 1 năm.", None, True),
    ("Khi có Quyết định công bố TTHC của các sở, ngành.", None, True),
    ("6 tháng/lần", None, True),
    ("- Tháng 01/2021 và triển khai thực hiện thường xuyên.", D(2021, 1, 31), True),
    ("thang 10/2021", D(2021, 10, 31), False),  # typed without diacritics
])
def test_parse_deadline(text, due, recurring):
    deadline = parse_deadline(text, 2021)
    assert deadline.due == due
    assert deadline.recurring is recurring


def test_status_done_when_a_result_is_reported():
    assert derive_status("Quyết định số 91/QĐ-UBND.", parse_deadline("Quý I/2021", 2021), AS_OF) == DONE


def test_status_not_done_when_result_says_not_yet():
    d = parse_deadline("Theo quy định", 2021)
    assert derive_status("Tính đến thời điểm báo cáo chưa có văn bản yêu cầu báo cáo.", d, AS_OF) == ONGOING
    assert derive_status("Hiện đang đôn đốc các sở gửi báo cáo.", d, AS_OF) == ONGOING


def test_status_by_deadline():
    assert derive_status("", parse_deadline("Quý III/2021", 2021), AS_OF) == UPCOMING
    assert derive_status("", parse_deadline("Quý I/2021", 2021), AS_OF) == OVERDUE
    assert derive_status("", parse_deadline("Thường xuyên", 2021), AS_OF) == ONGOING
    # The dated step passed without any result: overdue even though reporting recurs afterwards.
    assert derive_status("", parse_deadline("Tháng 01/2021 và thường xuyên", 2021), AS_OF) == OVERDUE
    assert derive_status("", Deadline("", AS_OF, False), AS_OF) == OVERDUE


@pytest.mark.parametrize(("word", "status"), [
    ("done", DONE), ("xong", DONE), ("Hoàn thành", DONE), ("hoan thanh", DONE),
    ("đang làm", ONGOING), ("quá hạn", OVERDUE), ("OVERDUE", OVERDUE), ("chưa đến hạn", UPCOMING),
    ("finished", None), ("", None),
])
def test_parse_status(word, status):
    assert parse_status(word) == status
