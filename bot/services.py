"""Composition of the core: knowledge, storage, rendering and the use-case services, opened and closed together."""

from __future__ import annotations

from dataclasses import dataclass

from bot.admin import AdminService
from bot.brain import Brain
from bot.citizen import CitizenService
from bot.config import Config
from bot.notify import Officers
from bot.render import Renderer
from bot.staff import StaffService, load_staff_data
from bot.storage import Storage


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

    async def close(self) -> None:
        """Release the database."""
        await self.storage.close()


async def open_services(config: Config) -> Services:
    """Load the knowledge (refusing a broken one), open the database, wire the services."""
    brain = Brain(config.knowledge_dir, config.answer_threshold, config.suggest_threshold, config.learned_file)
    renderer = Renderer(config.knowledge_dir / "templates")
    book, metrics = load_staff_data(config.staff_file("tasks.yaml"), config.staff_file("metrics.yaml"))
    storage: Storage = await Storage.open(config)
    officers = Officers(storage, renderer, config.admin_chat_id)
    return Services(
        config=config,
        brain=brain,
        storage=storage,
        renderer=renderer,
        officers=officers,
        citizen=CitizenService(brain, storage, renderer, officers, config.retention_days),
        staff=StaffService(book, metrics, storage, renderer),
        admin=AdminService(brain, storage, renderer),
    )
