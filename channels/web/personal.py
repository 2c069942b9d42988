"""Personal data in a question before it becomes knowledge: phone and ID numbers, emails, people's names."""

from __future__ import annotations

import re

# Common surnames in Sơn La, Kinh and Thái: a capitalised name starting with one of them is likely a person.
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
            "Ngô", "Dương", "Lý", "Lò", "Cầm", "Quàng", "Tòng", "Lường", "Hà", "Sùng", "Giàng", "Mùa", "Thào")
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)[\s.-]?\d(?:[\s.-]?\d){7,9}(?!\d)")
_ID = re.compile(r"(?<!\d)(?:\d{9}|\d{12})(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME = re.compile(r"\b(?:" + "|".join(SURNAMES) + r")(?:\s+[A-ZÀ-ỸĐ][\wÀ-ỹ]*){1,3}")


def personal_data(text: str) -> list[str]:
    """What in `text` looks like personal data, each as a short Vietnamese description; empty when clean."""
    try:  # the shared checker, once it is available, knows more than this minimal one
        from bot.privacy import find_personal_data  # type: ignore[import-not-found,unused-ignore]

        return [str(found) for found in find_personal_data(text, SURNAMES)]
    except ImportError:
        pass
    found = [f"số điện thoại «{m.group(0)}»" for m in _PHONE.finditer(text)]
    found += [f"số giấy tờ tùy thân «{m.group(0)}»" for m in _ID.finditer(text) if not _PHONE.fullmatch(m.group(0))]
    found += [f"email «{m.group(0)}»" for m in _EMAIL.finditer(text)]
    found += [f"tên người «{m.group(0)}»" for m in _NAME.finditer(text)]
    return found
