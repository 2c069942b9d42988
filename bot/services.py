"""Composition of the core: knowledge, storage, rendering and the use-case services, opened and closed together."""

from __future__ import annotations

from dataclasses import dataclass

from bot.admin import AdminService
from bot.brain import Brain
from bot.changes import Today, notify_passed, vn_today
from bot.citizen import CitizenService
from bot.config import Config
from bot.learn import LearnedFormatError
from bot.learned import LearnedKnowledge, import_once, stored_document
from bot.notify import Officers
from bot.render import Renderer
from bot.staff import StaffService, load_staff_data
from bot.storage import Storage
from knowledge.loader import LEARNED_FILE, KnowledgeError


@dataclass
class Services:
    """Everything a channel needs; built once at start-up, closed at shutdown."""

    config: Config
    brain: Brain
    storage: Storage
    renderer: Renderer
    officers: Officers
    citizen: CitizenService
    staff: StaffService
    admin: AdminService
    learned: LearnedKnowledge
    today: Today = vn_today  # the date dated changes are judged on (tests pin it)

    async def close(self) -> None:
        """Release the database."""
        await self.storage.close()

    async def dated_changes(self) -> int:
        """Tell the officers, once each, of the dated changes that passed while their topic was not checked again."""
        return await notify_passed(self.brain.kb, self.officers, self.today())


async def _brain(config: Config, storage: Storage) -> tuple[Brain, int]:
    """The knowledge folder with the learned items of the database (imported once from a learned.yaml)."""
    try:
        await import_once(storage, config.learned_file, config.knowledge_dir / LEARNED_FILE, config.knowledge_dir)
    except LearnedFormatError as exc:
        raise KnowledgeError([f"{config.learned_file}: {exc}"]) from exc
    version, document = await stored_document(storage)
    return Brain(config.knowledge_dir, config.answer_threshold, config.suggest_threshold, document), version


async def open_services(config: Config, today: Today = vn_today) -> Services:
    """Open the database, load the knowledge with what officers taught (refusing a broken one), wire the services;
    `today` gives the date replies and pages judge dated changes on."""
    renderer = Renderer(config.knowledge_dir / "templates")
    book, metrics = load_staff_data(config.staff_file("tasks.yaml"), config.staff_file("metrics.yaml"))
    storage: Storage = await Storage.open(config)
    try:
        brain, version = await _brain(config, storage)
    except BaseException:
        await storage.close()
        raise
    learned = LearnedKnowledge(brain, storage, version)
    officers = Officers(storage, renderer, config.admin_chat_id, web_url=config.web_url)
    return Services(
        config=config,
        brain=brain,
        storage=storage,
        renderer=renderer,
        officers=officers,
        citizen=CitizenService(brain, storage, renderer, officers, learned, config.retention_days,
                               config.doubt_margin, today),
        staff=StaffService(book, metrics, storage, renderer),
        admin=AdminService(brain, storage, renderer, learned),
        learned=learned,
        today=today,
    )
