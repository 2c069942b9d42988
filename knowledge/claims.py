"""What a topic claims and how far to trust it: its known future changes (`changes`), the source of each of its
sections (`basis`), as the loader reads them (knowledge/review.py judges them on a given day)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from knowledge.problems import Problems

WARN_DAYS = 30  # `kb check` warns this many days before a change
# The sections whose every claim can be wrong and needs a source: who, place, time and fee.
COUNTED = ("fee", "time", "place", "who")
COUNTED_NAMES = "lệ phí, thời hạn, nơi làm, đối tượng"
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Change:
    """A known future change of the rules a topic states: from `on`, its text may no longer hold."""

    on: dt.date
    note: str


def parse_changes(problems: Problems, where: str, data: dict[str, Any]) -> tuple[Change, ...]:
    """`changes: [{on: YYYY-MM-DD, note: …}]`; YAML reads a bare `on` key as true, which is accepted too."""
    value = data.get("changes", [])
    if not isinstance(value, list):
        problems.add(where, "changes", "expected a list of {on: YYYY-MM-DD, note: text}")
        return ()
    out = []
    for i, item in enumerate(value):
        item = {("on" if k is True else k): v for k, v in item.items()} if isinstance(item, dict) else {}
        on, note = item.get("on"), item.get("note")
        if set(item) != {"on", "note"} or not isinstance(on, dt.date) or not isinstance(note, str) or not note.strip():
            problems.add(where, f"changes[{i}]", "needs exactly on (a date, YYYY-MM-DD) and note (text)")
            continue
        out.append(Change(on, note.strip()))
    return tuple(sorted(out, key=lambda c: c.on))


def basis_document(item: str, legal_basis: Iterable[str]) -> str | None:
    """The legal_basis entry an item names (the entry itself, or its opening words with the document's number or
    year, such as "Thông tư 75/2022/TT-BTC"); the item itself when it is a named source with an https:// link."""
    for entry in legal_basis:
        if entry == item or (_DIGIT.search(item) and entry.startswith(item) and entry[len(item):][:1] in " (,;"):
            return entry
    return item if "https://" in item else None


def parse_basis(problems: Problems, where: str, data: dict[str, Any], sections: set[str],
                legal_basis: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`basis: {section: document or [documents]}`: each key a section the topic has, each document one of its
    legal_basis (or a named source with its https:// link)."""
    value = data.get("basis", {})
    if not isinstance(value, dict):
        problems.add(where, "basis", "expected a mapping section: document of legal_basis (or a list of them)")
        return ()
    out = []
    for key, items in value.items():
        items = [items] if isinstance(items, str) else items
        if key not in sections:
            problems.add(where, f"basis.{key}", f"the topic has no section {key!r} ({', '.join(sorted(sections))})")
            continue
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
            problems.add(where, f"basis.{key}", "expected a document of legal_basis or a list of them")
            continue
        for item in items:
            if basis_document(item.strip(), legal_basis) is None:
                problems.add(where, f"basis.{key}", f"{item!r} is not in legal_basis (nor a named source with an "
                             "https:// link)")
        out.append((str(key), tuple(i.strip() for i in items)))
    return tuple(out)


def vn_date(day: dt.date) -> str:
    """A date as Vietnamese readers write it: 01/01/2027."""
    return day.strftime("%d/%m/%Y")
