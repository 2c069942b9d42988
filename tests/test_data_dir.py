"""The data directory holds the database (learned knowledge included), imported tasks and backups; knowledge/ is
only read."""

from __future__ import annotations

import argparse
import hashlib
import logging
from pathlib import Path

import pytest

from app import cli
from app.commands import db as cli_db
from app.commands import learned as cli_learned
from app.commands import staff as cli_staff
from bot.engine.services import open_services
from bot.kernel.config import DEFAULT_KNOWLEDGE, load_config
from bot.usecases.outcomes import succeeded
from tests.conftest import ROOT_DIR, admin, citizen, say

SEED = ROOT_DIR.parent / "shared" / "seed" / "bao-cao-papi-6-thang-2021.txt"


def hashes(folder: Path) -> dict[str, str]:
    """Every file under `folder` (caches aside) with the SHA-256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_settings_place_the_database_in_the_data_dir(tmp_path: Path) -> None:
    config = load_config(env={"PAPIBOT_DATA_DIR": str(tmp_path / "d")})
    assert config.db_path == tmp_path / "d" / "papibot.db" and config.learned_file == tmp_path / "d" / "learned.yaml"
    other = load_config(env={"PAPIBOT_DATA_DIR": str(tmp_path / "d"), "PAPIBOT_DB": str(tmp_path / "x.db")})
    assert other.db_path == tmp_path / "x.db" and other.data_dir == tmp_path / "d"
    older = load_config(env={"PAPIBOT_DB": str(tmp_path / "old" / "p.db")})  # a PAPIBOT_DB-only setup
    assert older.data_dir == tmp_path / "old"
    assert load_config(env={}).db_path == Path("data/papibot.db")


async def test_main_flows_write_only_to_the_data_dir(tmp_path: Path, knowledge_copy: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    shipped, copied = hashes(DEFAULT_KNOWLEDGE), hashes(knowledge_copy)
    config = load_config(env={"PAPIBOT_DATA_DIR": str(data)}, knowledge_dir=knowledge_copy)
    services = await open_services(config)
    try:
        number = (await say(services, citizen(3), "xin phép bay flycam quay phim đám cưới")).diagnosis.ticket_id
        await services.admin.answer(admin(), number, "Liên hệ Cục Tác chiến, Bộ Tổng Tham mưu.")
        promoted = await services.admin.promote(admin(), number, "tra-cuu-thu-tuc", "xin phép bay flycam")
        assert succeeded(promoted), promoted
    finally:
        await services.close()
    assert (data / "papibot.db").exists() and not (data / "learned.yaml").exists()  # learned: in the database
    if SEED.exists():
        args = argparse.Namespace(file=str(SEED), period=None, yaml=None, by=None, today="2026-08-01")
        assert await cli_staff.cmd_import(args, config) == 0  # into the database: no file is written
        assert not (data / "tasks.yaml").exists() and config.staff_file("tasks.yaml") == knowledge_copy / "tasks.yaml"
    assert await cli.cmd_purge(argparse.Namespace(days=1), config) == 0
    assert cli_db.cmd_db_backup(argparse.Namespace(to=None, keep=14), config) == 0
    assert list((data / "backups").glob("papibot-*.db"))
    assert await cli_learned.cmd_learned_export(argparse.Namespace(file=None), config) == 0
    assert "bay flycam" in capsys.readouterr().out
    capsys.readouterr()
    assert hashes(knowledge_copy) == copied and hashes(DEFAULT_KNOWLEDGE) == shipped
    assert not (knowledge_copy / "learned.yaml").exists()


async def test_a_legacy_learned_file_is_read_and_never_written(tmp_path: Path, knowledge_copy: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    legacy = knowledge_copy / "learned.yaml"
    legacy.write_text("questions:\n  tra-cuu-thu-tuc: [hỏi về giấy phép bay flycam]\ntopics: []\n", encoding="utf-8")
    before = legacy.read_bytes()
    config = load_config(env={"PAPIBOT_DATA_DIR": str(tmp_path / "data")}, knowledge_dir=knowledge_copy)
    with caplog.at_level(logging.WARNING):
        services = await open_services(config)
    try:
        assert any("imported 1 learned questions" in r.getMessage() for r in caplog.records)
        topic = services.brain.kb.topic("tra-cuu-thu-tuc")
        assert topic is not None and "hỏi về giấy phép bay flycam" in topic.questions
        number = (await say(services, citizen(4), "xin phép nuôi chim yến trong nhà")).diagnosis.ticket_id
        await services.admin.answer(admin(), number, "Liên hệ Sở Văn hóa.")
        assert succeeded(await services.admin.promote(admin(), number, "tra-cuu-thu-tuc", "nuôi chim yến trong nhà"))
    finally:
        await services.close()
    assert legacy.read_bytes() == before and not config.learned_file.exists()
    restarted = await open_services(config)  # the legacy file is not imported a second time
    try:
        topic = restarted.brain.kb.topic("tra-cuu-thu-tuc")
        assert topic is not None and "nuôi chim yến trong nhà" in topic.questions
        assert topic.questions.count("hỏi về giấy phép bay flycam") == 1  # carried across once
    finally:
        await restarted.close()
