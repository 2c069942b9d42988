"""Learned knowledge lives in the database: every process sharing it follows the knowledge version; the old
learned.yaml is imported once; offices can export and import it as YAML."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.commands import learned as cli_learned
from bot.engine.services import Services, open_services
from bot.kernel.config import Config
from bot.usecases.outcomes import succeeded
from tests.conftest import admin, citizen, press, say

BOTH_BACKENDS = True  # two processes on one PostgreSQL database, and on one SQLite file
TOPIC = "tra-cuu-thu-tuc"
ASKED = "xin phép bay flycam quay phim đám cưới"


@pytest.fixture
async def pair(config: Config) -> AsyncIterator[tuple[Services, Services]]:
    """Two papibot processes' services on the same database."""
    first = await open_services(config)
    second = await open_services(config)
    yield first, second
    await first.close()
    await second.close()


async def _answered_ticket(services: Services, user: int = 5) -> int:
    number = (await say(services, citizen(user), ASKED)).diagnosis.ticket_id
    assert number is not None
    await services.admin.answer(admin(), number, "Liên hệ Cục Tác chiến, Bộ Tổng Tham mưu.")
    return number


async def test_a_promotion_in_one_process_is_answered_by_the_other(pair: tuple[Services, Services]) -> None:
    first, second = pair
    number = await _answered_ticket(first)
    assert (await say(second, citizen(6), ASKED)).diagnosis.topic != TOPIC
    assert succeeded(await first.admin.promote(admin(), number, TOPIC, ASKED))
    assert (await say(first, citizen(6), ASKED)).diagnosis.topic == TOPIC  # the writer reloaded at once
    assert (await say(second, citizen(7), ASKED)).diagnosis.topic != TOPIC  # the other one until its next check
    assert await second.learned.check()
    assert (await say(second, citizen(7), ASKED)).diagnosis.topic == TOPIC
    assert not await second.learned.check()  # nothing changed since: nothing reloaded


async def test_a_new_topic_and_its_removal_reach_the_other_process(pair: tuple[Services, Services]) -> None:
    first, second = pair
    number = await _answered_ticket(first)
    assert succeeded(await first.admin.promote_new(admin(), number, "Xin phép bay flycam"))
    await second.learned.check()
    assert second.brain.kb.topic(f"hoi-dap-{number}") is not None
    assert await first.learned.remove(f"hoi-dap-{number}") == []
    await second.learned.check()
    assert second.brain.kb.topic(f"hoi-dap-{number}") is None


async def test_a_reload_of_the_knowledge_files_reaches_the_other_process(pair: tuple[Services, Services]) -> None:
    first, second = pair
    path = first.config.knowledge_dir / "topics" / f"{TOPIC}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "questions:\n", f"questions:\n  - {ASKED}\n", 1), encoding="utf-8")
    assert ASKED not in second.brain.kb.topic(TOPIC).questions
    assert succeeded(await first.admin.reload(admin()))
    assert ASKED in first.brain.kb.topic(TOPIC).questions
    assert await second.learned.check()
    assert ASKED in second.brain.kb.topic(TOPIC).questions
    assert not await first.learned.check()  # its own reload is not loaded a second time


async def test_a_failed_reload_keeps_the_previous_knowledge(config: Config, tmp_path: Path) -> None:
    own = tmp_path / "other-knowledge"
    shutil.copytree(config.knowledge_dir, own)
    first = await open_services(config)
    second = await open_services(dataclasses.replace(config, knowledge_dir=own))  # on another machine
    try:
        (own / "topics" / "ket-hon.yaml").write_text("id: ket-hon\ntitle: [broken\n", encoding="utf-8")
        number = await _answered_ticket(first)
        assert succeeded(await first.admin.promote(admin(), number, TOPIC, ASKED))
        before = second.brain.kb
        assert await second.learned.check()  # the version moved, but its folder is broken
        assert second.brain.kb is before and second.brain.kb.topic("ket-hon") is not None
        assert not await second.learned.check()  # and it is not retried every few seconds
    finally:
        await first.close()
        await second.close()


async def test_erasure_in_one_process_removes_what_was_learned_everywhere(pair: tuple[Services, Services]) -> None:
    first, second = pair
    number = await _answered_ticket(first)
    assert succeeded(await first.admin.promote(admin(), number, TOPIC, ASKED))
    await second.learned.check()
    assert ASKED in second.brain.kb.topic(TOPIC).questions
    await say(first, citizen(5), "/xoadulieu")
    assert "Đã xóa" in (await press(first, citizen(5), "del:yes")).text
    assert ASKED not in first.brain.kb.topic(TOPIC).questions
    assert await first.storage.database.value("SELECT count(*) FROM learned_items") == 0
    assert await second.learned.check()
    assert ASKED not in second.brain.kb.topic(TOPIC).questions


async def test_learned_yaml_is_imported_once_on_upgrade(config: Config, caplog: pytest.LogCaptureFixture) -> None:
    old = config.learned_file
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text(f"questions:\n  {TOPIC}:\n  - text: {ASKED}\n    ticket: 3\ntopics: []\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        first, second = await open_services(config), await open_services(config)  # two processes start
    try:
        imported = [r.getMessage() for r in caplog.records if "imported" in r.getMessage()]
        assert len(imported) == 1 and "1 learned questions and 0 learned topics" in imported[0]
        assert not old.exists() and old.with_name("learned.yaml.imported").exists()
        assert ASKED in first.brain.kb.topic(TOPIC).questions and ASKED in second.brain.kb.topic(TOPIC).questions
        assert await first.learned.remove(TOPIC, ASKED) == []  # officers remove every learned item
    finally:
        await first.close()
        await second.close()
    old.write_text(f"questions:\n  {TOPIC}: [{ASKED}]\ntopics: []\n", encoding="utf-8")  # a stale copy put back
    with caplog.at_level(logging.WARNING):
        restarted = await open_services(config)
    try:
        assert ASKED not in restarted.brain.kb.topic(TOPIC).questions  # not imported a second time
        assert any("is not read" in r.getMessage() for r in caplog.records)
    finally:
        await restarted.close()


async def test_export_then_import_round_trip_through_the_cli(services: Services, config: Config, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    number = await _answered_ticket(services)
    assert succeeded(await services.admin.promote_new(admin(), number, "Xin phép bay flycam"))
    exported = tmp_path / "learned-edit.yaml"
    assert await cli_learned.cmd_learned_export(argparse.Namespace(file=str(exported)), config) == 0
    text = exported.read_text(encoding="utf-8")
    assert "Xin phép bay flycam" in text and f"ticket: {number}" in text
    edited = text.replace("questions: {}", f"questions:\n  {TOPIC}:\n  - tra cứu thủ tục bay flycam")
    exported.write_text(edited, encoding="utf-8")
    version = await services.storage.learned.version()
    assert await cli_learned.cmd_learned_import(argparse.Namespace(file=str(exported)), config) == 0
    assert "Đã nhập 1 câu hỏi mẫu và 1 chủ đề" in capsys.readouterr().out
    assert await services.storage.learned.version() > version
    assert await services.learned.check()  # the running bot reloads at its next check
    assert "tra cứu thủ tục bay flycam" in services.brain.kb.topic(TOPIC).questions
    assert services.brain.kb.topic(f"hoi-dap-{number}") is not None
    assert await cli_learned.cmd_learned_export(argparse.Namespace(file=None), config) == 0
    assert "tra cứu thủ tục bay flycam" in capsys.readouterr().out  # standard output


@pytest.mark.parametrize(("content", "reason"), [
    ("questions: {khong-co-chu-de: [hỏi gì đó]}\ntopics: []\n", "questions.khong-co-chu-de: no topic with this id"),
    (f"questions: {{{TOPIC}: [Tôi là Lò Thị Mai, SĐT 0912345678]}}\ntopics: []\n", "số điện thoại «0912345678»"),
    ("questions: [unclosed\n", "tệp không đúng dạng"),
    ("cau_hoi: {}\n", "questions và topics"),
])
async def test_import_refuses_a_file_with_problems_and_changes_nothing(
        services: Services, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        content: str, reason: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    version = await services.storage.learned.version()
    assert await cli_learned.cmd_learned_import(argparse.Namespace(file=str(bad)), config) == 1
    err = capsys.readouterr().err
    assert "không nhập, tri thức đã học giữ nguyên" in err and reason in err
    assert await services.storage.learned.version() == version and not await services.learned.check()
