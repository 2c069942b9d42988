"""Shared fixtures: the shipped knowledge base, and services over a real database (a SQLite file in tmp_path,
or, for modules that set `BOTH_BACKENDS = True`, also a fresh database on a throwaway PostgreSQL server)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot.engine.delivery import DeliveryWorker
from bot.engine.guard import FloodGuard
from bot.engine.router import Router
from bot.engine.services import Services, open_services
from bot.kernel.config import DEFAULT_KNOWLEDGE, Config, load_config
from bot.kernel.events import BUTTON, MESSAGE, Event
from bot.kernel.models import ADMIN, CITIZEN, OutboxItem, Progress, Reply, User
from bot.store.outbox import CITIZEN_LANE, OFFICER_LANE
from bot.store.storage import Storage
from handlers.routes import ROUTES
from knowledge.loader import KnowledgeBase, load_knowledge
from tests.pgserver import PgServer, pg_bin

ROOT_DIR = Path(__file__).resolve().parents[1]
SHARED = ROOT_DIR.parent / "shared"


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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a module's tests on both backends when it sets BOTH_BACKENDS (except those marked sqlite_only)."""
    if "backend" not in metafunc.fixturenames or not getattr(metafunc.module, "BOTH_BACKENDS", False):
        return
    if metafunc.definition.get_closest_marker("sqlite_only") is None:
        metafunc.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session (required in CI, skipped elsewhere when not installed)."""
    bindir = pg_bin()
    if bindir is None:
        message = "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PgServer(bindir).start()
    yield server
    server.stop()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which storage backend the test runs on: `sqlite` unless the module asks for both."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database's URL on the postgres backend, else "" (the SQLite file in tmp_path)."""
    if backend != "postgres":
        yield ""
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def config(tmp_path: Path, knowledge_copy: Path, db_url: str) -> Config:
    """Settings pointing at a fresh database and a private knowledge copy."""
    return load_config(env={}, data_dir=tmp_path / "data", db_path=tmp_path / "papibot.db", db_url=db_url,
                       knowledge_dir=knowledge_copy)


@pytest.fixture
async def services(config: Config) -> AsyncIterator[Services]:
    """The real services over a real database."""
    s = await open_services(config)
    yield s
    await s.close()


def citizen(user_id: int = 42, channel: str = "console") -> User:
    """A citizen talking through the console."""
    return User(channel, str(user_id), str(user_id), f"Công dân {user_id}", CITIZEN)


def admin(user_id: int = 7) -> User:
    """An admin."""
    return User("console", str(user_id), str(user_id), "Cán bộ", ADMIN)


def event_for(user: User, text: str = "", payload: str = "", update_id: str | None = None) -> Event:
    """What the console adapter would hand the core for this user (its role is trusted there)."""
    return Event(user.channel, user.user_id, user.chat_id, BUTTON if payload else MESSAGE, text=text,
                 payload=payload, update_id=update_id, name=user.name, role=user.role, buttons=False)


async def say(services: Services, user: User, text: str) -> Reply:
    """A message through the router, as every channel dispatches it."""
    reply = await Router(services, ROUTES, FloodGuard(0)).handle(event_for(user, text))
    assert reply is not None
    return reply


async def press(services: Services, user: User, payload: str) -> Reply:
    """A button press through the router's codec and table."""
    reply = await Router(services, ROUTES, FloodGuard(0)).handle(event_for(user, payload=payload))
    assert reply is not None
    return reply


class FuncSender:
    """A channel sender made of a function, for the delivery worker in tests."""

    def __init__(self, channel: str, send: Callable[[str, Reply], Awaitable[object]]) -> None:
        self.channel, self._send = channel, send

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Call the function; its exceptions are the channel's."""
        await self._send(chat_id, reply)
        return None


async def deliver_due(storage: Storage, channel: str, send: Callable[[str, Reply], Awaitable[object]],
                      notify: Callable[[OutboxItem, str], Awaitable[None]] | None = None) -> int:
    """One run of the real delivery worker over both lanes, through `send`; returns how many went out."""
    worker = DeliveryWorker(storage, {channel: FuncSender(channel, send)}, notify)
    return await worker.run_once(CITIZEN_LANE) + await worker.run_once(OFFICER_LANE)
