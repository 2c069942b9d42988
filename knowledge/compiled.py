"""What a compiled copy of the knowledge needs from this package: the files the loader reads, and a loaded
knowledge base as plain data (lists of numbers into one table of texts) and back, without reading YAML again.

Each distinct text is stored once in the table: sources, categories and legal documents repeat across topics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from knowledge import contacts as contacts_file
from knowledge.claims import Change
from knowledge.loader import KnowledgeBase
from knowledge.schema import OutOfScope, Smalltalk, Topic

# Every file of the folder knowledge/loader.py reads besides topics/*.yaml (tests/test_knowledge_cache.py checks
# the list against the files the loader opens).
READ_FILES = ("synonyms.yaml", "smalltalk.yaml", "out_of_scope.yaml", "facets.yaml", "english.yaml",
              "ambiguous.yaml", contacts_file.FILE)


def source_files(directory: Path) -> list[Path]:
    """The files the loader reads from `directory`, whether they exist or not, in a fixed order."""
    return sorted((directory / "topics").glob("*.yaml")) + [directory / name for name in READ_FILES]


class Texts:
    """Numbers each distinct text once; `table` lists them by number."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.table: list[str] = []

    def __call__(self, text: str) -> int:
        number = self._numbers.get(text)
        if number is None:
            number = self._numbers[text] = len(self.table)
            self.table.append(text)
        return number

    def all(self, texts: Iterable[str]) -> list[int]:
        """The numbers of several texts."""
        return [self(t) for t in texts]


def _topic(t: Topic, n: Texts) -> list[Any]:
    return [n(t.id), n(t.title), n(t.category), n.all(t.questions), [[n(k), n(v)] for k, v in t.sections],
            n.all(t.legal_basis), n(t.source), n(t.verified.isoformat()), n(t.summary_en), n(t.file),
            [[n(c.on.isoformat()), n(c.note)] for c in t.changes], [[n(k), n.all(v)] for k, v in t.basis]]


def to_plain(kb: KnowledgeBase, n: Texts) -> dict[str, Any]:
    """The knowledge base (its folder aside) as JSON-ready numbers into `n`'s table."""
    c = kb.contacts
    return {
        "topics": [_topic(t, n) for t in kb.topics],
        "synonyms": [[n(k), n.all(v)] for k, v in kb.synonyms.items()],
        "smalltalk": [[n(s.id), n.all(s.patterns), n(s.reply)] for s in kb.smalltalk],
        "out_of_scope": [[n(o.name), n.all(o.patterns)] for o in kb.out_of_scope],
        "facets": [[n(k), n.all(v)] for k, v in kb.facets.items()],
        "lists": [n.all(kb.followup), n.all(kb.facet_weak), n.all(kb.facet_frames), n.all(kb.groups),
                  n.all(kb.generic)],
        "social": [[n(k), n.all(v)] for k, v in kb.social.items()],
        "english": [[n(k), n(v)] for k, v in kb.english.items()],
        "ambiguous": [[n.all(phrases), n.all(topics)] for phrases, topics in kb.ambiguous],
        "ways": [[n(k), None if v is None else n(v)] for k, v in kb.ways.items()],
        "contacts": [[[n(k), n(v)] for k, v in c.centre.items()], n.all(c.centre_topics), n(c.commune_text),
                     n(c.commune_link), n.all(c.commune_topics)],
    }


def from_plain(data: dict[str, Any], table: Sequence[str], directory: Path) -> KnowledgeBase:
    """The knowledge base `to_plain` gave, its texts from `table`, as loaded from `directory`."""
    s = table.__getitem__

    def texts(numbers: list[int]) -> tuple[str, ...]:
        return tuple(map(s, numbers))

    def mapping(pairs: list[list[Any]]) -> dict[str, tuple[str, ...]]:
        return {s(k): texts(v) for k, v in pairs}

    day = _days(table)
    topics = tuple(
        Topic(id=s(i), title=s(title), category=s(category), questions=texts(qs),
              sections=tuple((s(k), s(v)) for k, v in sections), legal_basis=texts(basis), source=s(source),
              verified=day(verified), summary_en=s(en), file=s(file),
              changes=tuple(Change(day(on), s(note)) for on, note in ch), basis=tuple((s(k), texts(v)) for k, v in by))
        for i, title, category, qs, sections, basis, source, verified, en, file, ch, by in data["topics"])
    followup, weak, frames, groups, generic = (texts(x) for x in data["lists"])
    centre, centre_topics, commune_text, commune_link, commune_topics = data["contacts"]
    return KnowledgeBase(
        directory=directory, topics=topics, synonyms=mapping(data["synonyms"]),
        smalltalk=tuple(Smalltalk(s(i), texts(p), s(r)) for i, p, r in data["smalltalk"]),
        out_of_scope=tuple(OutOfScope(s(name), texts(p)) for name, p in data["out_of_scope"]),
        facets=mapping(data["facets"]), followup=followup, facet_weak=weak, facet_frames=frames, groups=groups,
        social=mapping(data["social"]), english={s(k): s(v) for k, v in data["english"]}, generic=generic,
        ambiguous=tuple((texts(p), texts(t)) for p, t in data["ambiguous"]),
        ways={s(k): None if v is None else s(v) for k, v in data["ways"]},
        contacts=contacts_file.Contacts({s(k): s(v) for k, v in centre}, texts(centre_topics), s(commune_text),
                                        s(commune_link), texts(commune_topics)),
    )


def _days(table: Sequence[str]) -> Callable[[int], dt.date]:
    """Dates read from the table, each distinct one parsed once."""
    seen: dict[int, dt.date] = {}

    def day(number: int) -> dt.date:
        found = seen.get(number)
        if found is None:
            found = seen[number] = dt.date.fromisoformat(table[number])
        return found
    return day
