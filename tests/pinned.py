"""Services on a pinned day: the clock replies, notices and pages judge dated changes on is injected, never
patched. `opened(day, **settings)` opens services over the test's database and knowledge copy; all are closed
at the end of the test."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.engine.services import Services, open_services
from bot.kernel.config import Config, load_config

BEFORE, AFTER = dt.date(2026, 12, 31), dt.date(2027, 1, 2)  # around the căn cước fee change of 01/01/2027


def reverify(knowledge: Path, topic_id: str, day: str) -> None:
    """Set a topic's `verified` date, as an officer does after checking it against the law."""
    path = knowledge / "topics" / f"{topic_id}.yaml"
    text = re.sub(r"^verified: .*$", f"verified: {day}", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
async def opened(config: Config) -> AsyncIterator[Callable[..., Awaitable[Services]]]:
    """Opens services over the test's database and knowledge copy on a pinned day; closes them all."""
    opened: list[Services] = []

    async def open_on(today: dt.date, **settings: object) -> Services:
        cfg = load_config(env={}, data_dir=config.data_dir, db_path=config.db_path, db_url=config.db_url,
                          knowledge_dir=config.knowledge_dir, **settings)
        services = await open_services(cfg, today=lambda: today)
        opened.append(services)
        return services

    yield open_on
    for services in opened:
        await services.close()


