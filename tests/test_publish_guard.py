"""The one check of learned knowledge (understanding/publish.py): what personal data it finds in the many ways people
write it, that it flags nothing ordinary, and that the command line refuses personal data on every path."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest
import yaml

from app.cli import build_parser
from bot.engine.services import Services, open_services
from bot.kernel.config import DEFAULT_KNOWLEDGE, Config
from bot.understanding.learn import TOPIC, LearnedItem
from bot.understanding.publish import NameOverride, PersonalDataRefused, Verdict, check, guard
from bot.usecases.outcomes import succeeded
from knowledge.loader import KnowledgeError
from tests.conftest import ROOT_DIR, admin, citizen

DATA = ROOT_DIR / "tests" / "data"
KINDS = {"name": "name", "phone": "phone", "id": "id_number", "email": "email"}
GREETING = "Chào anh Lò Văn Páo, anh lên UBND xã nhận kết quả; cần gì gọi em 0912345678."


def rows(path: Path) -> list[str]:
    """The lines of a data file, comments and blank lines left out."""
    return [line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def found(text: str) -> Verdict:
    return check([("câu trả lời", text)], DEFAULT_KNOWLEDGE)


def test_at_least_95_percent_of_sixty_written_forms_of_personal_data_are_found() -> None:
    variants = [tuple(line.split("\t")) for line in rows(DATA / "privacy-variants.tsv")]
    assert len(variants) >= 60 and all(sum(k == kind for _, k in variants) >= 10 for kind in KINDS)
    missed = [(text, kind) for text, kind in variants if not any(h.kind == KINDS[kind] for h in found(text).hits)]
    assert 1 - len(missed) / len(variants) >= 0.95, missed


def ordinary_texts() -> list[tuple[str, str]]:
    """(source, text): the shipped topics' texts, the bot's replies, the test data's questions, officers' answers."""
    texts: list[tuple[str, str]] = []
    for path in sorted((ROOT_DIR / "knowledge" / "topics").glob("*.yaml")):
        topic = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [(path.name, t) for t in [topic["title"], *topic["questions"], *topic["sections"].values(),
                                          topic.get("summary_en", ""), *topic["legal_basis"]]]
    for name in ("messages.yaml", "smalltalk.yaml", "out_of_scope.yaml", "ambiguous.yaml"):
        texts += [(name, t) for t in strings(yaml.safe_load((ROOT_DIR / "knowledge" / name).read_text("utf-8")))]
    texts += [(p.name, p.read_text(encoding="utf-8")) for p in (ROOT_DIR / "knowledge" / "templates").iterdir()]
    for path in sorted(DATA.iterdir()):
        if path.name != "privacy-variants.tsv":
            texts += [(path.name, line.split("\t")[-1]) for line in rows(path)]
    return texts


def strings(value: object) -> list[str]:
    """Every string inside a YAML value."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for v in items for s in strings(v)]


def test_no_shipped_topic_reply_test_question_or_officer_answer_is_flagged() -> None:
    texts = ordinary_texts()
    assert len(rows(DATA / "officer-answers.txt")) == 50
    assert len({s for s, _ in texts if s.endswith(".yaml") and s[:-5] in {p.stem for p in
                (ROOT_DIR / "knowledge" / "topics").glob("*.yaml")}}) == 43
    flagged = [(source, h.describe()) for source, text in texts for h in found(text).hits]
    assert flagged == [], flagged[:20]


def test_public_offices_numbers_and_addresses_pass_personal_ones_never() -> None:
    public = "Gọi 0212 3852 360, (+84) 212 3852 360, đường dây nóng 1900 8198, 18001096, email vanphong@sonla.gov.vn"
    assert found(public).hits == ()
    for private in ("gọi 0912 345 678", "0388.123.456", "+84 98 765 4321", "pao.lo@gmail.com", "cccd 014190001234"):
        verdict = found(private)
        assert verdict.fixed and not verdict.allows("cán bộ đồng ý"), private  # never overridable
    named = found("Liên hệ đồng chí Lò Văn Minh ở bộ phận một cửa")
    assert [h.kind for h in named.hits] == ["name"] and not named.allows("") and named.allows("cán bộ tiếp dân")


def test_invisible_and_full_width_characters_hide_nothing() -> None:
    for text in ("gọi ０９１２３４５６７８", "gọi 0912\u200b345\u200b678", "Chào anh Lò\u200b Văn\u2060 Páo",
                 "mail pao.lo＠gmail．com"):
        assert found(text).hits, text


def test_a_topic_is_checked_in_every_field_a_citizen_sees() -> None:
    body = ('{"id": "x", "title": "Thủ tục", "questions": ["hỏi gì"], "answer": "Được.", '
            '"legal_basis": ["Trả lời của cán bộ Nguyễn Thị Lan"], "sections": {"fee": "gọi O912345678"}}')
    with pytest.raises(PersonalDataRefused) as refused:
        guard([LearnedItem(TOPIC, "x", body)], DEFAULT_KNOWLEDGE)
    assert [h.kind for h in refused.value.verdict.hits] == ["name", "phone"]


async def answered(services: Services, answer: str) -> int:
    """A citizen's question the bot could not answer, answered by an officer with these words."""
    number = (await services.citizen.ask(citizen(9), "xin phép nuôi ong mật ở bản thì làm thế nào")).diagnosis.ticket_id
    assert number is not None
    assert succeeded(await services.admin.answer(admin(), number, answer))
    return number


async def cli(config: Config, *argv: str) -> int:
    """The real command line's parser and command, in this process."""
    args = build_parser().parse_args(list(argv))
    return int(await args.func(args, config))


async def learned_bodies(services: Services) -> str:
    return " ".join(str(r[0]) for r in await services.storage.database.all("SELECT body FROM learned_items"))


async def test_cli_promote_refuses_personal_data_in_the_answer_and_audits_a_kept_name(
        services: Services, config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    number = await answered(services, GREETING)
    assert await cli(config, "queue", "promote", str(number), "--new", "--title", "Xin phép nuôi ong") == 1
    out = capsys.readouterr().out
    assert "Lò Văn Páo" in out and "0912345678" in out and await learned_bodies(services) == ""
    for answer in ("gọi O912 345 678", "gửi hồ sơ qua pao.lo [at] gmail.com", "cccd 01419000 1234"):
        assert await cli(config, "queue", "promote", str(number), "--new", "--title", "Nuôi ong",
                         "--answer", answer, "--allow-name", "tên công khai") == 1  # numbers: never overridable
        assert await learned_bodies(services) == "", answer
    capsys.readouterr()
    spokesperson = "Hỏi đồng chí Lò Văn Minh, cán bộ tiếp dân của xã, điện thoại 0212 3852 360."
    assert await cli(config, "queue", "promote", str(number), "--new", "--title", "Nuôi ong",
                     "--question", "xin phép nuôi ong", "--answer", spokesperson) == 1
    assert "--allow-name" in capsys.readouterr().out  # a name alone: the way to keep it is shown
    before = time.time()
    reason = "cán bộ tiếp dân, tên công khai"
    assert await cli(config, "queue", "promote", str(number), "--new", "--title", "Nuôi ong", "--question",
                     "xin phép nuôi ong", "--answer", spokesperson, "--allow-name", reason) == 0
    [row] = [a for a in await services.storage.audit.recent() if a["action"] == "allow_name"]
    assert row["admin_id"] == "cli:0" and row["ticket_id"] == number and row["at"] >= before
    assert reason in row["detail"] and "Lò Văn Minh" not in row["detail"]


async def test_cli_promote_to_a_topic_refuses_a_lower_case_name(services: Services, config: Config) -> None:
    number = await answered(services, "Anh làm đơn gửi UBND xã.")
    edited = "tôi là sồng a chứ, xin phép nuôi ong"
    assert await cli(config, "queue", "promote", str(number), "tra-cuu-thu-tuc", "--question", edited) == 1
    assert await cli(config, "queue", "promote", str(number), "tra-cuu-thu-tuc", "--question", "xin phép nuôi ong") == 0
    assert await learned_bodies(services) == "xin phép nuôi ong"


def learned_file(path: Path, answer: str) -> Path:
    topic = {"id": "nuoi-ong", "title": "Xin phép nuôi ong", "category": "Dịch vụ hành chính công",
             "questions": ["xin phép nuôi ong mật"], "answer": answer, "legal_basis": ["Trả lời của cán bộ"],
             "source": "https://sonla.gov.vn", "verified": "2026-01-05"}
    path.write_text(yaml.safe_dump({"questions": {}, "topics": [topic]}, allow_unicode=True), encoding="utf-8")
    return path


async def test_learned_import_refuses_personal_data_in_an_answer(services: Services, config: Config, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for answer in (GREETING, "Hỏi thêm qua email páo@gmail.com", "Hỏi chị Quàng Thị Ơn ở bản Hụm"):
        assert await cli(config, "learned", "import", str(learned_file(tmp_path / "l.yaml", answer))) == 1
        assert "không nhập" in capsys.readouterr().err and await learned_bodies(services) == ""
    path = learned_file(tmp_path / "l.yaml", "Mang hồ sơ đến nhà văn hóa đường Lò Văn Giá; hỏi đồng chí Cầm Văn Nọi.")
    assert await cli(config, "learned", "import", str(path)) == 1
    assert await cli(config, "learned", "import", str(path), "--allow-name", "cán bộ phụ trách, tên công khai") == 0
    assert "Cầm Văn Nọi" in await learned_bodies(services)
    assert [a["detail"] for a in await services.storage.audit.recent() if a["action"] == "allow_name"] == [
        "(tệp): giữ 1 họ tên; lý do: cán bộ phụ trách, tên công khai"]


async def test_a_legacy_learned_file_with_personal_data_stops_the_first_start(config: Config) -> None:
    learned_file(config.knowledge_dir / "learned.yaml", GREETING)
    with pytest.raises(KnowledgeError, match="thông tin cá nhân"):
        await open_services(config)


def test_the_command_line_offers_the_override_for_names_only() -> None:
    args = build_parser().parse_args(["learned", "import", "f.yaml", "--allow-name", "lý do"])
    assert isinstance(args, argparse.Namespace) and args.allow_name == "lý do"
    assert NameOverride("cli:0", "lý do").reason == "lý do"
