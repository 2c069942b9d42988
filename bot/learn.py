"""Write what admins promote from answered tickets into the knowledge folder (learned.yaml)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from knowledge.loader import LEARNED_FILE


def _read(directory: Path) -> dict[str, Any]:
    path = directory / LEARNED_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data if isinstance(data, dict) else {}
    data.setdefault("questions", {})
    data.setdefault("topics", [])
    return data


def _write(directory: Path, data: dict[str, Any]) -> None:
    """Replace the file atomically so a crash never leaves half a knowledge file."""
    header = "# Written by /promote: example questions and topics learned from officers' answers.\n"
    text = header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".learned-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, directory / LEARNED_FILE)


def add_learned_question(directory: Path, topic_id: str, question: str) -> None:
    """Add a citizen's question as a new example of an existing topic."""
    data = _read(directory)
    questions = data["questions"].setdefault(topic_id, [])
    if question not in questions:
        questions.append(question)
    _write(directory, data)


def add_learned_topic(directory: Path, ticket_id: int, question: str, answer: str, day: dt.date) -> str:
    """Create a topic from a ticket and its answer; returns the new topic id."""
    data = _read(directory)
    topic_id = f"hoi-dap-{ticket_id}"
    data["topics"] = [t for t in data["topics"] if t.get("id") != topic_id]
    title = question if len(question) <= 80 else question[:77].rsplit(" ", 1)[0] + "…"
    data["topics"].append({
        "id": topic_id,
        "title": title,
        "category": "Dịch vụ hành chính công",
        "questions": [question],
        "answer": answer[:1500],
        "legal_basis": [f"Trả lời của cán bộ Văn phòng UBND tỉnh cho câu hỏi #{ticket_id}"],
        "source": "https://sonla.gov.vn",
        "verified": day.isoformat(),
    })
    _write(directory, data)
    return topic_id


def add_topic(directory: Path, topic_id: str, title: str, questions: list[str], answer: str, day: dt.date,
              basis: str) -> None:
    """Create (or replace) a learned topic written by an officer: their title, questions and answer."""
    data = _read(directory)
    data["topics"] = [t for t in data["topics"] if t.get("id") != topic_id]
    data["topics"].append({
        "id": topic_id, "title": title, "category": "Dịch vụ hành chính công", "questions": questions,
        "answer": answer[:1500], "legal_basis": [basis], "source": "https://sonla.gov.vn",
        "verified": day.isoformat(),
    })
    _write(directory, data)


def learned_items(directory: Path) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """What was learned so far: example questions by topic id, and whole topics."""
    data = _read(directory)
    return {str(k): list(v or []) for k, v in data["questions"].items()}, list(data["topics"])


def remove_learned(directory: Path, topic_id: str, question: str | None = None) -> bool:
    """Remove one learned example question (or, with no question, a learned topic); False if absent."""
    data = _read(directory)
    if question is None:
        before = len(data["topics"])
        data["topics"] = [t for t in data["topics"] if t.get("id") != topic_id]
        data["questions"].pop(topic_id, None)  # examples added to a removed topic would dangle
        found = len(data["topics"]) < before
    else:
        questions = data["questions"].get(topic_id) or []
        found = question in questions
        data["questions"][topic_id] = [q for q in questions if q != question]
        if not data["questions"][topic_id]:
            del data["questions"][topic_id]
    if found:
        _write(directory, data)
    return found
