"""The shape of every knowledge file, as plain dataclasses plus field checks that report every problem."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

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
TOPIC_FIELDS = ("id", "title", "category", "questions", "answer", "legal_basis", "source", "verified")
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MIN_QUESTIONS = 10
MAX_ANSWER = 1500


@dataclass(frozen=True)
class Topic:
    """One procedure or service a citizen can ask about."""

    id: str
    title: str
    category: str
    questions: tuple[str, ...]
    answer: str
    legal_basis: tuple[str, ...]
    source: str
    verified: dt.date
    file: str = ""


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


class Problems(list[str]):
    """Collects 'file: field: message' lines instead of stopping at the first."""

    def add(self, where: str, field: str, message: str) -> None:
        """Record one problem."""
        self.append(f"{where}: {field}: {message}")


def _text(problems: Problems, where: str, data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        problems.add(where, field, "missing or empty (expected text)")
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


def parse_topic(data: object, where: str, problems: Problems, min_questions: int = MIN_QUESTIONS) -> Topic | None:
    """Check one topic mapping; add every problem found and return the topic if it is usable."""
    if not isinstance(data, dict):
        problems.add(where, "(file)", "expected a mapping of fields")
        return None
    before = len(problems)
    for unknown in sorted(set(data) - set(TOPIC_FIELDS), key=str):
        problems.add(where, str(unknown), f"unknown field (allowed: {', '.join(TOPIC_FIELDS)})")
    topic_id = _text(problems, where, data, "id")
    if topic_id and not ID_PATTERN.match(topic_id):
        problems.add(where, "id", f"{topic_id!r} must be lowercase ascii words joined by hyphens")
    category = _text(problems, where, data, "category")
    if category and category not in CATEGORIES:
        problems.add(where, "category", f"{category!r} is not one of: {', '.join(CATEGORIES)}")
    answer = _text(problems, where, data, "answer")
    if len(answer) > MAX_ANSWER:
        problems.add(where, "answer", f"{len(answer)} characters, keep it under {MAX_ANSWER}")
    source = _text(problems, where, data, "source")
    if source and not source.startswith("https://"):
        problems.add(where, "source", "must be an official https:// link")
    topic = Topic(
        id=topic_id,
        title=_text(problems, where, data, "title"),
        category=category,
        questions=_text_list(problems, where, data, "questions", min_questions),
        answer=answer,
        legal_basis=_text_list(problems, where, data, "legal_basis", 1),
        source=source,
        verified=_date(problems, where, data),
        file=where,
    )
    return topic if len(problems) == before else None
