"""Officers' learned knowledge shared through the database: each process's brain follows the knowledge version.

A writer stores the change (which bumps the version) and reloads at once; every other process notices the
new version with one cheap read every few seconds (`check`) and reloads. A failed reload keeps the old
knowledge. Before the database held it, learned knowledge lived in learned.yaml: the first start imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from bot.store.storage import Storage
from bot.understanding.brain import Brain
from bot.understanding.learn import (
    QUESTION,
    Document,
    LearnedFormatError,
    LearnedItem,
    counts,
    read_document,
    split_topic,
    to_document,
    to_items,
)
from bot.understanding.publish import NameOverride, PersonalDataRefused, Verdict, guard, override_note

log = logging.getLogger(__name__)
IMPORTED_SUFFIX = ".imported"
KNOWLEDGE_POLL = 5.0  # seconds between checks of the knowledge version


async def checked(storage: Storage, items: list[LearnedItem], knowledge_dir: Path,
                  override: NameOverride | None = None, topic: str = "(tệp)") -> Verdict:
    """The one check of understanding/publish.py before learned items are stored, with the audit row of a name override;
    PersonalDataRefused when they hold personal data that may not be published."""
    verdict = guard(items, knowledge_dir, override)
    if verdict.names and override is not None:
        ticket = next((i.ticket_id for i in items if i.ticket_id), None)
        await storage.audit.record(override.who, "allow_name", ticket, override_note(topic, verdict, override))
    return verdict


async def import_once(storage: Storage, data_file: Path, legacy: Path, knowledge_dir: Path) -> bool:
    """On a database whose learned store was never filled, import data_file (else the legacy file) once.

    The data-directory file is then renamed `learned.yaml.imported` so nobody edits a dead file; the legacy
    one in the knowledge folder is only read. LearnedFormatError when the file cannot be read or holds
    personal data (it is fixed, or imported with `papibot learned import --allow-name`).
    """
    if await storage.learned.initialised():
        for stale in (p for p in (data_file, legacy) if p.exists()):
            log.warning("%s is not read: learned knowledge lives in the database (papibot learned import)", stale)
        return False
    source = next((p for p in (data_file, legacy) if p.exists()), None)
    try:
        document = read_document(source) if source is not None else to_document([])
    except LearnedFormatError:
        if source is not None and not source.exists():
            return False  # another process on this data directory imported it and renamed it meanwhile
        raise
    try:
        await checked(storage, to_items(document), knowledge_dir)
    except PersonalDataRefused as exc:
        raise LearnedFormatError(f"có thông tin cá nhân, không nhập ({exc})") from exc
    if not await storage.learned.replace(to_items(document), first=True):
        return False  # another process sharing the database imported first
    if source is None:
        return True
    questions, topics = counts(document)
    log.warning("imported %s learned questions and %s learned topics from %s into the database",
                questions, topics, source)
    if source == data_file:
        os.replace(data_file, data_file.with_name(data_file.name + IMPORTED_SUFFIX))
    return True


async def stored_document(storage: Storage) -> tuple[int, Document]:
    """The knowledge version and the learned document as the database holds them now."""
    version, items = await storage.learned.snapshot()
    return version, to_document(items)


class LearnedKnowledge:
    """The learned knowledge in the database and this process's brain, kept at the same version."""

    def __init__(self, brain: Brain, storage: Storage, version: int) -> None:
        self.brain, self.storage, self.version = brain, storage, version
        self._lock = asyncio.Lock()

    async def refresh(self) -> list[str]:
        """Reload from the database now; returns the problems that kept the previous knowledge."""
        async with self._lock:
            version, document = await stored_document(self.storage)
            problems = self.brain.reload(document)
            self.version = version  # a refused version is not retried every few seconds, as before
            return problems

    async def check(self) -> bool:
        """One cheap read of the version; reloads (True) when another process changed the knowledge."""
        if await self.storage.learned.version() == self.version:
            return False
        problems = await self.refresh()
        log.info("knowledge version %s: reloaded%s", self.version, f" with problems: {problems[0]}" if problems else "")
        return True

    async def reload_files(self) -> list[str]:
        """An officer's reload of the knowledge folder: here now, in every other process at its next check."""
        problems = await self.refresh()
        if not problems:
            seen = self.version
            version = await self.storage.learned.bump()
            if version == seen + 1 and self.version == seen:
                self.version = version  # nothing else changed meanwhile: no need to reload again
        return problems

    async def add_questions(self, topic_id: str, questions: list[str], ticket_id: int | None = None, *,
                            origins: dict[str, int] | None = None, override: NameOverride | None = None) -> list[str]:
        """Store example questions for a topic (each linked to its ticket, or to the citizen's question it was
        taken from) and reload; returns the problems that kept the old knowledge. PersonalDataRefused first
        when they hold personal data."""
        items = [LearnedItem(QUESTION, topic_id, q, ticket_id, (origins or {}).get(q)) for q in questions]
        await checked(self.storage, items, self.brain.directory, override, topic_id)
        await self.storage.learned.add_questions(topic_id, questions, ticket_id, origins)
        return await self.refresh()

    async def add_topic(self, topic: dict[str, Any], *, origins: dict[str, int] | None = None,
                        override: NameOverride | None = None) -> list[str]:
        """Store (or replace) a learned topic and reload; questions taken from citizens' words are kept apart,
        linked to their question. PersonalDataRefused first when it holds personal data."""
        fields, taken = split_topic(topic, origins or {})
        item = to_items({"topics": [fields]})[0]
        await checked(self.storage, [item, *taken], self.brain.directory, override, item.topic_id)
        await self.storage.learned.put_topic(item.topic_id, item.body, item.ticket_id, taken)
        return await self.refresh()

    async def remove(self, topic_id: str, question: str | None = None) -> list[str] | None:
        """Remove a learned question (or topic) and reload: the reload's problems, None when there was none."""
        if not await self.storage.learned.remove(topic_id, question):
            return None
        return await self.refresh()

    async def replace(self, document: Document, override: NameOverride | None = None) -> list[str]:
        """Put a whole document in place of the learned knowledge and reload; PersonalDataRefused first when it
        holds personal data."""
        items = to_items(document)
        await checked(self.storage, items, self.brain.directory, override)
        await self.storage.learned.replace(items)
        return await self.refresh()


async def follow_knowledge(learned: LearnedKnowledge, stop: asyncio.Event, every: float = KNOWLEDGE_POLL) -> None:
    """Until `stop`: every few seconds, reload when another process sharing the database changed the knowledge."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        try:
            await learned.check()
        except Exception:  # the database is briefly unusable: the current knowledge keeps serving
            log.exception("knowledge version check failed")
