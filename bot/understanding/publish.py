"""The one check before officers' knowledge is published: no personal data in what other citizens are shown.

Every text of a learned item that a citizen other than its author can be shown is checked: a topic's title,
answer, sections, English summary and legal basis, and every example question (offered as a suggestion). Every
path that writes learned knowledge goes through `guard` (bot/usecases/learned.py): /promote, `papibot queue promote`,
`papibot learned import`, the first start's import of a learned.yaml, and the web console's learn page.

What counts (bot/understanding/privacy.py finds it):
- a phone number, unless it is a landline (0 then 2: "0212 3852 360"), which in an officer's text is a public
  office's; hotlines (1800, 1900, 1022…) are never taken for personal numbers. Mobile numbers (03, 05, 07, 08,
  09…) are refused, an officer's own included: a public office publishes its landline or hotline;
- an identity number, always;
- an e-mail address, unless it is a public body's (a domain under .gov.vn);
- a person's name, unless an officer overrides it with a reason (a street, a public figure, the name of an
  office's spokesperson), which is audited. Numbers, identity numbers and e-mail addresses are never overridable.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.understanding.forms import email_domain
from bot.understanding.learn import TOPIC, LearnedItem
from bot.understanding.privacy import Finding, Kind, find_personal_data, load_surnames

KINDS: dict[Kind, str] = {"phone": "số điện thoại", "id_number": "số giấy tờ tùy thân", "email": "địa chỉ email",
                          "name": "họ tên"}
FIELDS = {"title": "tiêu đề", "answer": "câu trả lời", "summary_en": "tóm tắt tiếng Anh", "legal_basis": "căn cứ",
          "questions": "câu hỏi mẫu", "sections": "mục"}
PUBLIC_DOMAIN = ".gov.vn"


@dataclass(frozen=True)
class Hit:
    """One piece of personal data in one field."""

    where: str
    kind: Kind
    text: str

    def describe(self) -> str:
        """The hit as an officer reads it: field, kind, text."""
        return f"{self.where}: {KINDS[self.kind]} «{self.text}»"


@dataclass(frozen=True)
class Verdict:
    """What the check found; names alone may be kept with a reason, anything else never."""

    hits: tuple[Hit, ...] = ()

    @property
    def names(self) -> tuple[Hit, ...]:
        """The names found (an officer may keep them, with a reason)."""
        return tuple(h for h in self.hits if h.kind == "name")

    @property
    def fixed(self) -> tuple[Hit, ...]:
        """Numbers, identity numbers and e-mail addresses: never published."""
        return tuple(h for h in self.hits if h.kind != "name")

    def allows(self, reason: str = "") -> bool:
        """Whether the texts may be published: nothing found, or only names and a reason to keep them."""
        return not self.fixed and (not self.names or bool(reason.strip()))

    def lines(self) -> list[str]:
        """Every hit, described."""
        return [h.describe() for h in self.hits]


@dataclass(frozen=True)
class NameOverride:
    """An officer's decision to publish names the check found, and why (written to the audit trail)."""

    who: str
    reason: str


class PersonalDataRefused(ValueError):
    """Learned knowledge refused because it holds personal data (and no valid override)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__("; ".join(verdict.lines()))
        self.verdict = verdict


def _public(finding: Finding) -> bool:
    if finding.kind == "phone":
        digits = "".join(c for c in finding.text if c.isdigit())
        national = digits[2:] if digits.startswith("84") and len(digits) >= 11 else digits
        return national.lstrip("0").startswith("2")
    return finding.kind == "email" and email_domain(finding.text).endswith(PUBLIC_DOMAIN)


def _surnames(knowledge_dir: Path) -> frozenset[str]:
    path = knowledge_dir / "surnames.yaml"
    return _cached_surnames(str(path), path.stat().st_mtime_ns) if path.exists() else _cached_surnames("", 0)


@lru_cache(maxsize=8)
def _cached_surnames(path: str, _mtime: int) -> frozenset[str]:
    """The surnames file, read again only when it changed (an officer's edit takes effect at once)."""
    return load_surnames(path) if path else load_surnames()


def plain(text: str) -> str:
    """The text as read: compatibility forms folded ("０９１２", "＠"), invisible characters dropped."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")


def check(fields: Iterable[tuple[str, str]], knowledge_dir: Path) -> Verdict:
    """Personal data in (where, text) pairs, public offices' numbers and addresses left out."""
    surnames = _surnames(knowledge_dir)
    hits = [Hit(where, f.kind, f.text) for where, text in fields
            for f in find_personal_data(plain(text), surnames) if not _public(f)]
    return Verdict(tuple(hits))


def _topic_fields(topic: dict[str, object]) -> Iterator[tuple[str, str]]:
    for field, label in FIELDS.items():
        value = topic.get(field)
        values = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else [value]
        yield from ((label, v) for v in values if isinstance(v, str))


def item_fields(items: Iterable[LearnedItem]) -> Iterator[tuple[str, str]]:
    """(where, text) of every text of these items a citizen can be shown."""
    for item in items:
        if item.kind == TOPIC:
            body = json.loads(item.body)
            yield from ((f"chủ đề {item.topic_id}, {where}", text) for where, text in _topic_fields(body))
        else:
            yield f"câu hỏi mẫu ({item.topic_id})", item.body


def check_items(items: Iterable[LearnedItem], knowledge_dir: Path) -> Verdict:
    """The check over learned items, every field a citizen can be shown."""
    return check(item_fields(items), knowledge_dir)


def guard(items: Iterable[LearnedItem], knowledge_dir: Path, override: NameOverride | None = None) -> Verdict:
    """The verdict on items about to be stored; PersonalDataRefused when they may not be published."""
    verdict = check_items(items, knowledge_dir)
    if not verdict.allows(override.reason if override else ""):
        raise PersonalDataRefused(verdict)
    return verdict


def override_note(topic_id: str, verdict: Verdict, override: NameOverride) -> str:
    """The audit text of a name override: how many names were kept and why (the names stay out of the trail)."""
    return f"{topic_id}: giữ {len(verdict.names)} họ tên; lý do: {override.reason.strip()}"[:200]


def refusal(verdict: Verdict, fix: str = "", allow: str = "", listed: bool = True) -> str:
    """Why saving was refused and what the officer can do, in Vietnamese: edit (`fix`), or for names alone
    keep them with a reason (`allow`); `listed` names every hit."""
    text = f"Không lưu: có thông tin cá nhân ({'; '.join(verdict.lines())})." if listed else \
        "Không lưu: có thông tin cá nhân."
    if verdict.fixed:
        text += (" Số điện thoại di động, số giấy tờ tùy thân và email cá nhân không bao giờ được đưa vào tri thức"
                 " (số máy bàn, đường dây nóng và email .gov.vn của cơ quan thì được).")
    if fix:
        text += f" Hãy sửa rồi làm lại: {fix}."
    if allow and verdict.names and not verdict.fixed:
        text += (f" Nếu đó là họ tên được phép công khai (tên đường, nhân vật lịch sử, cán bộ tiếp dân), ghi lý do:"
                 f" {allow}.")
    return text
