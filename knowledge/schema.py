"""The shape of every knowledge file, as plain dataclasses plus field checks that report every problem."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from knowledge.claims import Change, basis_document, parse_basis, parse_changes
from knowledge.problems import Problems as Problems

CATEGORIES = (
    "Hộ tịch",
    "Chứng thực",
    "Cư trú và giấy tờ tùy thân",
    "Đất đai",
    "Xây dựng",
    "Kinh doanh",
    "Chính sách xã hội",
    "Giao thông",
    "Khiếu nại, tố cáo",
    "Dịch vụ hành chính công",
    "Thông tin và tham gia",
)
TOPIC_FIELDS = ("id", "title", "category", "questions", "sections", "summary_en", "legal_basis", "source", "verified",
                "changes", "basis")  # changes and basis: knowledge/claims.py
# A learned topic (learned.yaml, promoted from an officer's answer) may carry one free `answer` instead of sections.
LEARNED_FIELDS = (*TOPIC_FIELDS, "answer", "ticket")  # ticket: the question it came from (erasure follows it)
# conditions: yes/no questions and exemptions ("có được … không", "khi nào được miễn"); validity: how long a
# document stays valid; benefit: what a citizen receives (an allowance), apart from the fee a citizen pays.
SECTION_KEYS = ("summary", "who", "conditions", "documents", "place", "time", "validity", "fee", "benefit", "online",
                "notes")
# Headings of the sections after the summary (which has none), and of the legal basis list.
SECTION_LABELS = {
    "who": "Ai được làm",
    "conditions": "Điều kiện",
    "validity": "Giá trị sử dụng",
    "benefit": "Mức hưởng",
    "documents": "Hồ sơ",
    "place": "Nơi nộp",
    "time": "Thời hạn",
    "fee": "Lệ phí",
    "online": "Làm trực tuyến",
    "notes": "Lưu ý",
    "basis": "Căn cứ pháp lý",
}
FACET_LABELS = {**{k: v.lower() for k, v in SECTION_LABELS.items()}, "contact": "số điện thoại liên hệ"}

SECTION_LABELS_EN = {
    "who": "Who may apply",
    "conditions": "Conditions",
    "validity": "Validity",
    "benefit": "What you receive",
    "documents": "Documents",
    "place": "Where to apply",
    "time": "Processing time",
    "fee": "Fee",
    "online": "Online",
    "notes": "Notes",
    "basis": "Legal basis",
}
# The parts of a topic a citizen can ask for: every section but the summary and notes, plus the legal basis.
# "contact" (a phone number, a hotline) is no section: the bot says plainly that it does not have it.
FACETS = ("fee", "benefit", "validity", "time", "place", "online", "documents", "conditions", "who", "basis", "contact")
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MIN_QUESTIONS = 10
MAX_SUMMARY = 600
MAX_SECTION = 1000
MAX_SUMMARY_EN = 600
MAX_ANSWER = 1500  # a learned topic's free answer (bot/understanding/learn.py cuts officers' answers at this length)


@dataclass(frozen=True)
class Topic:
    """One procedure or service a citizen can ask about."""

    id: str
    title: str
    category: str
    questions: tuple[str, ...]
    sections: tuple[tuple[str, str], ...]  # (key, text) in SECTION_KEYS order, only the sections present
    legal_basis: tuple[str, ...]
    source: str
    verified: dt.date
    summary_en: str = ""
    file: str = ""
    changes: tuple[Change, ...] = ()  # known future changes, by date
    basis: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (section, the documents it rests on)

    def section(self, name: str) -> str | None:
        """The text of one section (a key of SECTION_KEYS), or None when the topic does not have it."""
        return next((text for key, text in self.sections if key == name), None)

    def basis_of(self, name: str) -> tuple[str, ...]:
        """The documents one section rests on, as legal_basis names them (empty when it names none)."""
        items = next((items for key, items in self.basis if key == name), ())
        return tuple(basis_document(i, self.legal_basis) or i for i in items)

    @property
    def summary(self) -> str:
        """The short answer a citizen reads first."""
        return self.section("summary") or ""

    @property
    def answer(self) -> str:
        """All sections as one text: the summary, then one `**Label:** text` paragraph per section."""
        parts = []
        for key, text in self.sections:
            if key == "summary":
                parts.append(text)
            elif text.startswith("- "):
                parts.append(f"**{SECTION_LABELS[key]}:**\n{text}")
            else:
                parts.append(f"**{SECTION_LABELS[key]}:** {text}")
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Smalltalk:
    """A social exchange (greeting, thanks, help) with its polite reply."""

    id: str
    patterns: tuple[str, ...]
    reply: str


@dataclass(frozen=True)
class OutOfScope:
    """A real procedure the knowledge base does not cover: recognised so it is never answered wrongly."""

    name: str
    patterns: tuple[str, ...]


def _text(problems: Problems, where: str, data: dict[str, Any], field: str, label: str = "") -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        problems.add(where, label or field, "missing or empty (expected text)")
        return ""
    return value.strip()


def _text_list(problems: Problems, where: str, data: dict[str, Any], field: str, minimum: int) -> tuple[str, ...]:
    value = data.get(field)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.add(where, field, "missing or not a list of non-empty texts")
        return ()
    if len(value) < minimum:
        problems.add(where, field, f"has {len(value)} entries, at least {minimum} needed")
    return tuple(v.strip() for v in value)


def _date(problems: Problems, where: str, data: dict[str, Any]) -> dt.date:
    value = data.get("verified")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.add(where, "verified", f"not a date (YYYY-MM-DD): {value!r}")
        return dt.date.min


def _sections(problems: Problems, where: str, data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    value = data.get("sections")
    if not isinstance(value, dict):
        problems.add(where, "sections", f"missing or not a mapping of sections ({', '.join(SECTION_KEYS)})")
        return ()
    for unknown in sorted(set(value) - set(SECTION_KEYS), key=str):
        problems.add(where, f"sections.{unknown}", f"unknown section (allowed: {', '.join(SECTION_KEYS)})")
    if "summary" not in value:
        problems.add(where, "sections.summary", "missing (every topic needs a short summary)")
    out = []
    for key in SECTION_KEYS:
        if key not in value:
            continue
        text = _text(problems, where, value, key, f"sections.{key}")
        limit = MAX_SUMMARY if key == "summary" else MAX_SECTION
        if len(text) > limit:
            problems.add(where, f"sections.{key}", f"{len(text)} characters, at most {limit} allowed")
        out.append((key, text))
    return tuple(out)


def _learned_answer(problems: Problems, where: str, data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    if "sections" in data:
        problems.add(where, "answer", "give either sections or one answer, not both")
        return ()
    answer = _text(problems, where, data, "answer")
    if len(answer) > MAX_ANSWER:
        problems.add(where, "answer", f"{len(answer)} characters, at most {MAX_ANSWER} allowed")
    return (("summary", answer),)


def parse_topic(
    data: object, where: str, problems: Problems, min_questions: int = MIN_QUESTIONS, learned: bool = False
) -> Topic | None:
    """Check one topic mapping; add every problem found and return the topic if it is usable.

    A topic file needs `sections` (with a summary) and `summary_en`. A learned topic (`learned=True`, from
    learned.yaml) may instead carry one free `answer`, used as its summary, and needs no `summary_en`.
    """
    if not isinstance(data, dict):
        problems.add(where, "(file)", "expected a mapping of fields")
        return None
    before = len(problems)
    allowed = LEARNED_FIELDS if learned else TOPIC_FIELDS
    for unknown in sorted(set(data) - set(allowed), key=str):
        hint = " (topic files use sections: summary, who, documents, ...)" if unknown == "answer" else ""
        problems.add(where, str(unknown), f"unknown field{hint} (allowed: {', '.join(allowed)})")
    topic_id = _text(problems, where, data, "id")
    if topic_id and not ID_PATTERN.match(topic_id):
        problems.add(where, "id", f"{topic_id!r} must be lowercase ascii words joined by hyphens")
    category = _text(problems, where, data, "category")
    if category and category not in CATEGORIES:
        problems.add(where, "category", f"{category!r} is not one of: {', '.join(CATEGORIES)}")
    if learned and "answer" in data:
        sections = _learned_answer(problems, where, data)
    else:
        sections = _sections(problems, where, data)
    summary_en = ""
    if not learned or "summary_en" in data:
        summary_en = _text(problems, where, data, "summary_en")
        if len(summary_en) > MAX_SUMMARY_EN:
            problems.add(where, "summary_en", f"{len(summary_en)} characters, at most {MAX_SUMMARY_EN} allowed")
    source = _text(problems, where, data, "source")
    if source and not source.startswith("https://"):
        problems.add(where, "source", "must be an official https:// link")
    legal_basis = _text_list(problems, where, data, "legal_basis", 1)
    topic = Topic(
        id=topic_id,
        title=_text(problems, where, data, "title"),
        category=category,
        questions=_text_list(problems, where, data, "questions", min_questions),
        sections=sections,
        legal_basis=legal_basis,
        source=source,
        verified=_date(problems, where, data),
        summary_en=summary_en,
        file=where,
        changes=parse_changes(problems, where, data),
        basis=parse_basis(problems, where, data, {key for key, _ in sections}, legal_basis),
    )
    return topic if len(problems) == before else None
