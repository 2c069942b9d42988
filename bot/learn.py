"""Write what officers promote from answered tickets into learned.yaml in the data directory.

Every learned item keeps the number of the ticket it came from, so erasing a citizen's data removes what
was learned from their questions too. Nothing is saved while it holds personal data: the officer edits it.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bot.privacy import find_personal_data, load_surnames

KINDS = {"phone": "số điện thoại", "id_number": "số giấy tờ tùy thân", "email": "địa chỉ email", "name": "họ tên"}


def personal_data(text: str, knowledge_dir: Path) -> list[str]:
    """What in `text` looks like personal data, as "kind «text»" lines (empty when clean)."""
    surnames_file = knowledge_dir / "surnames.yaml"
    surnames = load_surnames(surnames_file) if surnames_file.exists() else load_surnames()
    return [f"{KINDS[f.kind]} «{f.text}»" for f in find_personal_data(text, surnames)]


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data if isinstance(data, dict) else {}
    data.setdefault("questions", {})
    data.setdefault("topics", [])
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """Replace the file atomically so a crash never leaves half a knowledge file."""
    header = "# Written by /promote: example questions and topics learned from officers' answers.\n"
    text = header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".learned-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def add_learned_question(path: Path, topic_id: str, question: str, ticket_id: int | None = None) -> None:
    """Add an officer-checked question as a new example of an existing topic (linked to its ticket, if any)."""
    data = _read(path)
    questions = data["questions"].setdefault(topic_id, [])
    if all(_text(q) != question for q in questions):
        questions.append({"text": question, "ticket": ticket_id} if ticket_id else question)
    _write(path, data)


def add_learned_topic(path: Path, ticket_id: int, title: str, question: str, answer: str, day: dt.date) -> str:
    """Create a topic with an officer's title from a ticket and its answer; returns the new topic id."""
    data = _read(path)
    topic_id = f"hoi-dap-{ticket_id}"
    data["topics"] = [t for t in data["topics"] if t.get("id") != topic_id]
    data["topics"].append({
        "id": topic_id,
        "title": title,
        "category": "Dịch vụ hành chính công",
        "questions": [question],
        "answer": answer[:1500],
        "legal_basis": [f"Trả lời của cán bộ Văn phòng UBND tỉnh cho câu hỏi #{ticket_id}"],
        "source": "https://sonla.gov.vn",
        "verified": day.isoformat(),
        "ticket": ticket_id,
    })
    _write(path, data)
    return topic_id


def forget_tickets(path: Path, ticket_ids: set[int]) -> int:
    """Remove everything learned from these tickets; returns how many items went."""
    if not ticket_ids or not path.exists():
        return 0
    data = _read(path)
    before = len(data["topics"]) + sum(len(q) for q in data["questions"].values())
    data["topics"] = [t for t in data["topics"] if t.get("ticket") not in ticket_ids]
    data["questions"] = {k: kept for k, qs in data["questions"].items()
                         if (kept := [q for q in qs if not (isinstance(q, dict) and q.get("ticket") in ticket_ids)])}
    removed = before - len(data["topics"]) - sum(len(q) for q in data["questions"].values())
    if removed:
        _write(path, data)
    return removed


def add_topic(path: Path, topic_id: str, title: str, questions: list[str], answer: str, day: dt.date,
              basis: str, ticket_id: int | None = None) -> None:
    """Create (or replace) a learned topic written by an officer: their title, questions and answer."""
    data = _read(path)
    data["topics"] = [t for t in data["topics"] if t.get("id") != topic_id]
    data["topics"].append({
        "id": topic_id, "title": title, "category": "Dịch vụ hành chính công", "questions": questions,
        "answer": answer[:1500], "legal_basis": [basis], "source": "https://sonla.gov.vn",
        "verified": day.isoformat(), **({"ticket": ticket_id} if ticket_id else {}),
    })
    _write(path, data)


def _text(item: object) -> str:
    return str(item.get("text", "")) if isinstance(item, dict) else str(item)


def learned_items(path: Path) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """What was learned so far: example questions by topic id, and whole topics."""
    data = _read(path)
    return {str(k): [_text(q) for q in v or []] for k, v in data["questions"].items()}, list(data["topics"])


def remove_learned(path: Path, topic_id: str, question: str | None = None) -> bool:
    """Remove one learned example question (or, with no question, a learned topic); False if absent."""
    data = _read(path)
    if question is None:
        before = len(data["topics"])
        data["topics"] = [t for t in data["topics"] if t.get("id") != topic_id]
        data["questions"].pop(topic_id, None)  # examples added to a removed topic would dangle
        found = len(data["topics"]) < before
    else:
        questions = data["questions"].get(topic_id) or []
        found = any(_text(q) == question for q in questions)
        data["questions"][topic_id] = [q for q in questions if _text(q) != question]
        if not data["questions"][topic_id]:
            del data["questions"][topic_id]
    if found:
        _write(path, data)
    return found
