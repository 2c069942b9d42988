"""The compiled knowledge in the data directory: a second start reads it instead of the YAML and answers the same;
any change to what it was made of rebuilds it; a damaged or untrusted copy is rebuilt; it never hides broken
knowledge."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.engine.services import open_services
from bot.kernel.config import DEFAULT_KNOWLEDGE, Config
from bot.understanding import cache as compiled
from bot.understanding.brain import Brain
from bot.understanding.cache import FILE, KnowledgeCache
from bot.understanding.matcher import ANSWER, Match
from bot.usecases.outcomes import succeeded
from knowledge.compiled import READ_FILES, source_files
from knowledge.loader import KnowledgeError, check_knowledge
from tests.conftest import admin, citizen, say

TOPICS = ("khai-sinh", "ket-hon", "khai-tu", "ho-chieu", "can-cuoc", "dang-ky-thuong-tru")
QUESTIONS = ("làm giấy khai sinh cho con cần những gì", "đăng ký kết hôn ở đâu", "lam ho chieu mat bao lau",
             "xin chào", "xin phép nuôi chim yến trong nhà", "giấy chào đời cho bé")
NEW_QUESTION = "  - giấy chào đời cho bé\n"
FLYCAM = "xin phép bay flycam"
LEARNED = {"questions": {"khai-sinh": ["giấy chào đời cho bé"]}, "topics": []}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A small knowledge folder: six real topics and the shared files that do not name other topics."""
    target = tmp_path / "knowledge"
    (target / "topics").mkdir(parents=True)
    for name in READ_FILES:
        if (DEFAULT_KNOWLEDGE / name).exists() and name not in ("ambiguous.yaml", "contacts.yaml"):
            shutil.copy(DEFAULT_KNOWLEDGE / name, target / name)
    for topic in TOPICS:
        shutil.copy(DEFAULT_KNOWLEDGE / "topics" / f"{topic}.yaml", target / "topics")
    return target


def start(folder: Path, data: Path, learned: dict[str, Any] | None = None) -> Brain:
    """One start's knowledge, as services open it."""
    return Brain(folder, 40.0, 24.0, learned, KnowledgeCache(data))


def answers(brain: Brain) -> list[Match]:
    return [brain.matcher.match(q) for q in QUESTIONS]


def test_a_second_start_reads_the_compiled_copy_and_answers_the_same(folder: Path, tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    first = start(folder, data)
    assert not first.from_cache and (data / FILE).exists()
    assert (data / FILE).stat().st_mode & 0o077 == 0  # papibot's alone, like the database
    with caplog.at_level(logging.DEBUG):
        second = start(folder, data)
    assert second.from_cache and any("compiled copy" in r.getMessage() for r in caplog.records)
    assert second.kb == first.kb
    assert answers(second) == answers(first)
    assert answers(second)[0].decision == ANSWER and answers(second)[0].topic == "khai-sinh"
    assert second.matcher.topic_features("ket-hon") == first.matcher.topic_features("ket-hon")


def _edit_topic(folder: Path) -> None:
    path = folder / "topics" / "khai-sinh.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("questions:\n", "questions:\n" + NEW_QUESTION, 1),
                    encoding="utf-8")


def _edit_keeping_the_time(folder: Path) -> None:
    path = folder / "topics" / "khai-sinh.yaml"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Đăng ký khai sinh cho con", "Đăng ký khai sinh cho cháu", 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _add_topic(folder: Path) -> None:
    text = (folder / "topics" / "khai-tu.yaml").read_text(encoding="utf-8")
    (folder / "topics" / "khai-tu-2.yaml").write_text(text.replace("id: khai-tu", "id: khai-tu-2", 1), encoding="utf-8")


def _remove_topic(folder: Path) -> None:
    (folder / "topics" / "ho-chieu.yaml").unlink()


def _edit_synonyms(folder: Path) -> None:
    with (folder / "synonyms.yaml").open("a", encoding="utf-8") as f:
        f.write("\nchào đời: [chao doi]\n")


def _remove_optional_file(folder: Path) -> None:
    (folder / "english.yaml").unlink()


def _questions(brain: Brain, topic_id: str) -> tuple[str, ...]:
    topic = brain.kb.topic(topic_id)
    return topic.questions if topic else ()


CHANGES: dict[str, tuple[Callable[[Path], None], Callable[[Brain], bool]]] = {
    "a topic edited": (_edit_topic, lambda b: "giấy chào đời cho bé" in _questions(b, "khai-sinh")),
    "a topic edited, its time kept": (_edit_keeping_the_time,
                                      lambda b: "Đăng ký khai sinh cho cháu" in " ".join(_questions(b, "khai-sinh"))),
    "a topic added": (_add_topic, lambda b: b.kb.topic("khai-tu-2") is not None),
    "a topic removed": (_remove_topic, lambda b: b.kb.topic("ho-chieu") is None),
    "a shared file edited": (_edit_synonyms, lambda b: "chào đời" in b.kb.synonyms),
    "an optional file removed": (_remove_optional_file, lambda b: not b.kb.english),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_the_knowledge_files_rebuilds_the_copy(change: str, folder: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert not start(folder, data).from_cache and start(folder, data).from_cache
    edit, seen = CHANGES[change]
    edit(folder)
    rebuilt = start(folder, data)
    assert not rebuilt.from_cache and seen(rebuilt)
    again = start(folder, data)  # the rebuilt copy was stored
    assert again.from_cache and seen(again) and again.kb == rebuilt.kb


def test_other_learned_knowledge_rebuilds_the_copy(folder: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert not start(folder, data).from_cache and start(folder, data).from_cache
    learned = start(folder, data, LEARNED)
    assert not learned.from_cache and learned.matcher.match("giấy chào đời cho bé").topic == "khai-sinh"
    assert start(folder, data, LEARNED).from_cache
    assert not start(folder, data).from_cache  # back to no learned items: the copy follows again


def test_a_code_change_rebuilds_the_copy(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    start(folder, data)
    monkeypatch.setattr(compiled, "FORMAT", compiled.FORMAT + 1)
    assert not start(folder, data).from_cache


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "garbage": lambda b: os.urandom(len(b)),
    "one byte flipped": lambda b: b[: len(b) // 3] + bytes([b[len(b) // 3] ^ 0xFF]) + b[len(b) // 3 + 1:],
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_copy_is_rebuilt_with_one_warning(damage: str, folder: Path, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    expected = answers(start(folder, data))
    path = data / FILE
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    with caplog.at_level(logging.WARNING):
        rebuilt = start(folder, data)
    assert not rebuilt.from_cache and answers(rebuilt) == expected
    assert [r.levelno for r in caplog.records if FILE in r.getMessage()] == [logging.WARNING]
    assert start(folder, data).from_cache


def test_a_copy_others_may_write_is_not_trusted(folder: Path, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    start(folder, data)
    (data / FILE).chmod(0o666)
    with caplog.at_level(logging.WARNING):
        assert not start(folder, data).from_cache
    assert any("others may write" in r.getMessage() for r in caplog.records)
    assert (data / FILE).stat().st_mode & 0o077 == 0 and start(folder, data).from_cache


BREAKAGE = {
    "an unknown field": lambda text: text.replace("legal_basis:", "legal_basiss:"),
    "not YAML": lambda text: "id: khai-sinh\ntitle: [unclosed\n",
}


@pytest.mark.parametrize("breakage", BREAKAGE)
def test_broken_knowledge_stops_the_start_even_with_a_valid_copy(breakage: str, folder: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    start(folder, data)
    path = folder / "topics" / "khai-sinh.yaml"
    path.write_text(BREAKAGE[breakage](path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        start(folder, data)
    assert err.value.problems == check_knowledge(folder)[1] and err.value.problems
    assert all("topics/khai-sinh.yaml" in p for p in err.value.problems)


def test_an_unwritable_data_directory_only_costs_the_next_start(folder: Path, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        brain = start(folder, blocked / "data")
    assert answers(brain)[0].topic == "khai-sinh" and not brain.from_cache
    assert any("could not be written" in r.getMessage() for r in caplog.records)


def test_every_file_the_loader_opens_is_part_of_the_key(knowledge_copy: Path) -> None:
    opened: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if recording and event == "open" and isinstance(args[0], str):
            opened.append(args[0])

    sys.addaudithook(hook)  # stays installed for the process: it records nothing once `recording` is empty
    try:
        _, problems = check_knowledge(knowledge_copy)
    finally:
        recording.clear()
    assert not problems
    read = {Path(p) for p in opened if Path(p).is_relative_to(knowledge_copy)}
    assert read and read <= set(source_files(knowledge_copy))
    assert {p.name for p in read} >= set(READ_FILES)  # the shipped folder has every optional file


async def test_knowledge_published_at_run_time_is_compiled_at_the_next_start(config: Config) -> None:
    first = await open_services(config)
    await first.close()
    services = await open_services(config)
    try:
        assert not first.brain.from_cache and services.brain.from_cache
        assert services.brain.kb == first.brain.kb and services.brain.kb.contacts.centre_topics  # every shipped file
        number = (await say(services, citizen(3), "xin phép bay flycam quay phim đám cưới")).diagnosis.ticket_id
        await services.admin.answer(admin(), number, "Liên hệ Cục Tác chiến, Bộ Tổng Tham mưu.")
        assert succeeded(await services.admin.promote(admin(), number, "tra-cuu-thu-tuc", "xin phép bay flycam"))
        assert services.brain.matcher.match(FLYCAM).topic == "tra-cuu-thu-tuc"  # reloaded at once
    finally:
        await services.close()
    for from_cache in (False, True):  # rebuilt for the new learned version, then read from the copy again
        restarted = await open_services(config)
        try:
            assert restarted.brain.from_cache is from_cache
            assert restarted.brain.matcher.match(FLYCAM).topic == "tra-cuu-thu-tuc"
        finally:
            await restarted.close()
