"""Shared fixtures: the shipped knowledge base, and services over a real SQLite file in tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import DEFAULT_KNOWLEDGE, Config, load_config
from bot.models import ADMIN, CITIZEN, User
from bot.services import Services, open_services
from knowledge.loader import KnowledgeBase, load_knowledge

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The knowledge base as shipped."""
    return load_knowledge(DEFAULT_KNOWLEDGE)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge folder (for promotion and breakage tests)."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


@pytest.fixture
def config(tmp_path: Path, knowledge_copy: Path) -> Config:
    """Settings pointing at a fresh database and a private knowledge copy."""
    return load_config(env={}, db_path=tmp_path / "papibot.db", knowledge_dir=knowledge_copy)


@pytest.fixture
async def services(config: Config) -> AsyncIterator[Services]:
    """The real services over a real SQLite file."""
    s = await open_services(config)
    yield s
    await s.close()


def citizen(user_id: int = 42, channel: str = "console") -> User:
    """A citizen talking through the console."""
    return User(channel, user_id, user_id, f"Công dân {user_id}", CITIZEN)


def admin(user_id: int = 7) -> User:
    """An admin."""
    return User("console", user_id, user_id, "Cán bộ", ADMIN)
