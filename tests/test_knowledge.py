"""The knowledge base as shipped, and what an office sees when it breaks a file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.loader import KnowledgeError, check_knowledge, load_knowledge
from knowledge.schema import CATEGORIES
from tests.conftest import SHARED

TOPICS_TSV = SHARED / "eval" / "topics.tsv"


def test_shipped_knowledge_base_is_complete(kb) -> None:
    assert len(kb.topics) >= 43
    for topic in kb.topics:
        assert len(topic.questions) >= 10, topic.id
        assert len(topic.answer) <= 1500, topic.id
        assert topic.category in CATEGORIES
        assert topic.source.startswith("https://")
        assert topic.legal_basis


@pytest.mark.skipif(not TOPICS_TSV.exists(), reason="evaluation topics not beside the project")
def test_every_evaluated_topic_id_exists(kb) -> None:
    ids = [line.split("\t")[0] for line in TOPICS_TSV.read_text(encoding="utf-8").splitlines()[1:] if line]
    assert set(ids) <= {t.id for t in kb.topics}


def test_answers_never_send_citizens_to_the_abolished_district_level(kb) -> None:
    for topic in kb.topics:
        text = topic.answer.lower()
        for phrase in ("nộp tại ubnd huyện", "nộp tại ubnd cấp huyện", "ubnd cấp huyện tiếp nhận"):
            assert phrase not in text, topic.id


def _write(folder: Path, name: str, text: str) -> None:
    (folder / "topics" / name).write_text(text, encoding="utf-8")


def test_broken_file_names_file_and_field(knowledge_copy: Path) -> None:
    text = (knowledge_copy / "topics" / "khai-sinh.yaml").read_text(encoding="utf-8")
    _write(knowledge_copy, "khai-sinh.yaml", text.replace("legal_basis:", "legal_basiss:"))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(knowledge_copy)
    assert "topics/khai-sinh.yaml" in str(err.value)
    assert any("legal_basiss: unknown field" in p for p in err.value.problems)
    assert any("legal_basis: missing" in p for p in err.value.problems)


def test_all_problems_are_reported_not_just_the_first(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "khai-tu.yaml", "id: khai-tu\ntitle: [unclosed\n")
    dup = (knowledge_copy / "topics" / "ket-hon.yaml").read_text(encoding="utf-8")
    _write(knowledge_copy, "ket-hon-2.yaml", dup)
    _write(knowledge_copy, "ho-chieu.yaml", "id: ho-chieu\ntitle: Hộ chiếu\ncategory: Khác\n")
    _, problems = check_knowledge(knowledge_copy)
    text = "\n".join(problems)
    assert "topics/khai-tu.yaml: (file): cannot be read as YAML" in text
    assert "duplicate id 'ket-hon'" in text
    assert "topics/ho-chieu.yaml: category: 'Khác' is not one of" in text
    assert "topics/ho-chieu.yaml: questions: missing" in text


def test_kb_check_command_exits_non_zero_and_lists_problems(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "khai-tu.yaml", "id: khai-tu\n")
    env = {"PAPIBOT_KNOWLEDGE": str(knowledge_copy), "PATH": ""}
    out = subprocess.run([sys.executable, "-m", "bot.cli", "kb", "check"], capture_output=True, text=True,
                         env=env, cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 1
    assert "topics/khai-tu.yaml: title: missing" in out.stdout


def test_kb_check_passes_on_shipped_knowledge() -> None:
    out = subprocess.run([sys.executable, "-m", "bot.cli", "kb", "check"], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("OK: 43 topics")
