"""What officers teach the bot, as items the database stores and the YAML document the loader and offices read.

Every learned item keeps the number of the ticket it came from, or the citizen's question it was taken from
(the "Chưa hiểu" page), so erasing a citizen's data removes what was learned from their words too. Nothing is
saved while it holds personal data (bot/understanding/publish.py): the officer edits it. The document has the shape
learned.yaml always had: `questions` (topic id -> [text or {text, ticket, question_id}]) and `topics` (whole
topics with one free `answer`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.understanding.text import tokens

QUESTION, TOPIC = "question", "topic"
HEADER = "# Tri thức đã học (papibot learned export): câu hỏi mẫu thêm vào chủ đề, và chủ đề mới do cán bộ viết.\n"
Document = dict[str, Any]


class LearnedFormatError(ValueError):
    """A learned document that cannot be stored: not YAML, or not questions/topics of the expected shape."""


@dataclass(frozen=True)
class LearnedItem:
    """One learned thing: an example question added to a topic, or a whole topic (its fields as JSON)."""

    kind: str
    topic_id: str
    body: str
    ticket_id: int | None = None
    question_id: int | None = None  # the citizen's question it was taken from


def origins_of(lines: list[str], asked: dict[int, str]) -> dict[str, int]:
    """Which citizen's question each line was taken from: the one it equals, else the one that supplies at least
    half of its words (an officer's light edit); lines of the officer's own words have none."""
    words = {qid: set(tokens(text)) for qid, text in asked.items()}
    found: dict[str, int] = {}
    for line in lines:
        mine = set(tokens(line))
        exact = [qid for qid, text in asked.items() if tokens(text) == tokens(line)]
        share = max(((len(mine & theirs) / len(mine), qid) for qid, theirs in words.items() if mine),
                    default=(0.0, 0))
        if exact or share[0] >= 0.5:
            found[line] = exact[0] if exact else share[1]
    return found


def new_topic(topic_id: str, title: str, questions: list[str], answer: str, day: dt.date, basis: str,
              ticket_id: int | None = None) -> dict[str, Any]:
    """A learned topic's fields: the officer's title, questions and answer, linked to its ticket if any."""
    return {
        "id": topic_id, "title": title, "category": "Dịch vụ hành chính công", "questions": questions,
        "answer": answer[:1500], "legal_basis": [basis], "source": "https://sonla.gov.vn",
        "verified": day.isoformat(), **({"ticket": ticket_id} if ticket_id else {}),
    }


def split_topic(topic: dict[str, Any], origins: dict[str, int]) -> tuple[dict[str, Any], list[LearnedItem]]:
    """A new topic's questions taken from citizens' words become examples of their own, linked to their question
    (an erasure removes them and leaves the officer's title and answer); the title stands in when none is left."""
    own = [q for q in topic["questions"] if q not in origins]
    taken = [LearnedItem(QUESTION, topic["id"], q, None, origins[q]) for q in topic["questions"] if q in origins]
    return {**topic, "questions": own or [topic["title"]]}, taken


def promoted_topic(ticket_id: int, title: str, question: str, answer: str, day: dt.date) -> dict[str, Any]:
    """The topic /promote --new makes from an answered ticket (id hoi-dap-N)."""
    return new_topic(f"hoi-dap-{ticket_id}", title, [question], answer, day,
                     f"Trả lời của cán bộ Văn phòng UBND tỉnh cho câu hỏi #{ticket_id}", ticket_id)


def _ticket(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _question(topic_id: str, item: object) -> LearnedItem:
    text = item.get("text") if isinstance(item, dict) else item
    if not isinstance(text, str) or not text.strip():
        raise LearnedFormatError(f"questions.{topic_id}: mỗi câu hỏi phải là văn bản hoặc {{text, ticket}}")
    ticket = _ticket(item.get("ticket")) if isinstance(item, dict) else None
    origin = _ticket(item.get("question_id")) if isinstance(item, dict) else None
    return LearnedItem(QUESTION, topic_id, text.strip(), ticket, origin)


def to_items(document: object) -> list[LearnedItem]:
    """The items of a learned document, in order; LearnedFormatError when its shape is wrong."""
    if document is None:
        return []
    if not isinstance(document, dict) or set(document) - {"questions", "topics"}:
        raise LearnedFormatError("tệp phải có đúng hai mục questions và topics")
    items: list[LearnedItem] = []
    for i, topic in enumerate(document.get("topics") or []):
        if not isinstance(topic, dict) or not isinstance(topic.get("id"), str):
            raise LearnedFormatError(f"topics[{i}]: mỗi chủ đề phải là một bảng có id")
        body = json.dumps(topic, ensure_ascii=False, default=str)  # a hand-typed date becomes its ISO text
        items.append(LearnedItem(TOPIC, topic["id"], body, _ticket(topic.get("ticket"))))
    questions = document.get("questions") or {}
    if not isinstance(questions, dict):
        raise LearnedFormatError("questions phải là bảng mã chủ đề: [câu hỏi]")
    for topic_id, texts in questions.items():
        if not isinstance(texts, list):
            raise LearnedFormatError(f"questions.{topic_id}: phải là danh sách câu hỏi")
        items += [_question(str(topic_id), q) for q in texts]
    return items


def to_document(items: Iterable[LearnedItem]) -> Document:
    """The YAML-shaped document of stored items (questions with their ticket keep it as {text, ticket})."""
    questions: dict[str, list[Any]] = {}
    topics: list[dict[str, Any]] = []
    for item in items:
        if item.kind == TOPIC:
            topics.append(json.loads(item.body))
        else:
            links = {"ticket": item.ticket_id, "question_id": item.question_id}
            entry = {"text": item.body, **{k: v for k, v in links.items() if v}} if any(links.values()) else item.body
            questions.setdefault(item.topic_id, []).append(entry)
    return {"questions": questions, "topics": topics}


def read_document(path: Path) -> Document:
    """A learned YAML file as a document; LearnedFormatError when it cannot be read or has the wrong shape."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LearnedFormatError(f"không đọc được {path}: {' '.join(str(exc).split())}") from exc
    return to_document(to_items(data))


def dump_document(document: Document) -> str:
    """The document as YAML for offices that edit it (papibot learned export)."""
    return HEADER + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def counts(document: Document) -> tuple[int, int]:
    """How many example questions and topics a document holds."""
    return sum(len(q) for q in document["questions"].values()), len(document["topics"])


def learned_items(document: Document) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """What was learned: example question texts by topic id, and whole topics."""
    questions = {str(k): [str(q["text"]) if isinstance(q, dict) else str(q) for q in v]
                 for k, v in document["questions"].items()}
    return questions, list(document["topics"])
