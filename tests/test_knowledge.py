"""The knowledge base as shipped, and what an office sees when it breaks a file."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.kernel.config import DEFAULT_KNOWLEDGE
from bot.understanding.learn import promoted_topic
from knowledge.loader import KnowledgeError, check_knowledge, load_knowledge
from knowledge.schema import CATEGORIES, SECTION_KEYS, SECTION_LABELS, SECTION_LABELS_EN, Problems, parse_topic
from tests.conftest import SHARED

TOPICS_TSV = SHARED / "eval" / "topics.tsv"


def test_shipped_knowledge_base_is_complete(kb) -> None:
    assert len(kb.topics) >= 43
    for topic in kb.topics:
        assert len(topic.questions) >= 10, topic.id
        assert 0 < len(topic.summary) <= 600, topic.id
        assert all(0 < len(text) <= 1000 for _, text in topic.sections), topic.id
        assert [k for k, _ in topic.sections] == [k for k in SECTION_KEYS if topic.section(k)], topic.id
        assert 0 < len(topic.summary_en) <= 600, topic.id
        assert topic.category in CATEGORIES
        assert topic.source.startswith("https://")
        assert topic.legal_basis


@pytest.mark.skipif(
    not TOPICS_TSV.exists(),
    reason="the evaluation topics ../shared/eval/topics.tsv are not beside the project")
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
    out = subprocess.run([sys.executable, "-m", "app.cli", "kb", "check"], capture_output=True, text=True,
                         env=env, cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 1
    assert "topics/khai-tu.yaml: title: missing" in out.stdout


def test_kb_check_passes_on_shipped_knowledge() -> None:
    out = subprocess.run([sys.executable, "-m", "app.cli", "kb", "check", "--today", "2026-12-05"],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1].startswith("OK: 43 topics")


# --- topics in sections -------------------------------------------------------------------------------

def _topic_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "vi-du",
        "title": "Thủ tục ví dụ",
        "category": "Hộ tịch",
        "questions": [f"câu hỏi {i}" for i in range(10)],
        "sections": {
            "summary": "Nộp tại UBND cấp xã, 05 ngày làm việc, miễn lệ phí.",
            "documents": "- Tờ khai\n- Giấy tờ tùy thân",
            "fee": "Miễn lệ phí.",
        },
        "summary_en": "Apply at the commune People's Committee; 5 working days; free.",
        "legal_basis": ["Luật Hộ tịch 2014"],
        "source": "https://dichvucong.gov.vn",
        "verified": "2026-11-28",
    }
    data.update(changes)
    return data


def _parse(data: dict[str, object], **kwargs: object) -> tuple[object, list[str]]:
    problems = Problems()
    topic = parse_topic(data, "topics/vi-du.yaml", problems, **kwargs)  # type: ignore[arg-type]
    return topic, list(problems)


def test_sections_are_kept_in_canonical_order_and_joined_for_the_renderer() -> None:
    data = _topic_data()
    data["sections"] = {"fee": "Miễn lệ phí.", "documents": "- Tờ khai", "summary": "Tóm tắt ngắn."}
    topic, problems = _parse(data)
    assert problems == []
    assert [k for k, _ in topic.sections] == ["summary", "documents", "fee"]
    assert topic.summary == "Tóm tắt ngắn."
    assert topic.section("fee") == "Miễn lệ phí."
    assert topic.section("online") is None
    assert topic.answer == "Tóm tắt ngắn.\n\n**Hồ sơ:**\n- Tờ khai\n\n**Lệ phí:** Miễn lệ phí."
    assert set(SECTION_LABELS) == set(SECTION_LABELS_EN) == set(SECTION_KEYS[1:]) | {"basis"}


def test_unknown_section_is_reported_with_its_name() -> None:
    data = _topic_data()
    data["sections"] = {**data["sections"], "fees": "50.000 đồng"}  # type: ignore[dict-item]
    topic, problems = _parse(data)
    assert topic is None
    assert any(p.startswith("topics/vi-du.yaml: sections.fees: unknown section") for p in problems)


def test_broken_sections_are_each_reported() -> None:
    data = _topic_data()
    data["sections"] = {"who": "Công dân", "place": "", "time": ["05 ngày"], "notes": "x" * 1001}
    topic, problems = _parse(data)
    assert topic is None
    assert "topics/vi-du.yaml: sections.summary: missing (every topic needs a short summary)" in problems
    assert "topics/vi-du.yaml: sections.place: missing or empty (expected text)" in problems
    assert "topics/vi-du.yaml: sections.time: missing or empty (expected text)" in problems
    assert "topics/vi-du.yaml: sections.notes: 1001 characters, at most 1000 allowed" in problems
    assert not any("sections.who" in p for p in problems)
    _, problems = _parse(_topic_data(sections="Nộp tại UBND cấp xã."))
    assert any(p.startswith("topics/vi-du.yaml: sections: missing or not a mapping") for p in problems)


def test_too_long_summary_is_reported() -> None:
    data = _topic_data()
    data["sections"] = {"summary": "a" * 601}
    _, problems = _parse(data)
    assert problems == ["topics/vi-du.yaml: sections.summary: 601 characters, at most 600 allowed"]
    data["sections"] = {"summary": "a" * 600}
    assert _parse(data)[1] == []


def test_topic_file_needs_summary_en_and_no_free_answer() -> None:
    data = _topic_data()
    del data["summary_en"]
    _, problems = _parse(data)
    assert problems == ["topics/vi-du.yaml: summary_en: missing or empty (expected text)"]
    _, problems = _parse(_topic_data(summary_en="x" * 601))
    assert problems == ["topics/vi-du.yaml: summary_en: 601 characters, at most 600 allowed"]
    _, problems = _parse(_topic_data(answer="**Hồ sơ:** tờ khai"))
    assert len(problems) == 1 and problems[0].startswith("topics/vi-du.yaml: answer: unknown field")


def test_learned_topic_with_a_free_answer_is_accepted_as_its_summary() -> None:
    data = _topic_data(questions=["một câu hỏi"], answer="Liên hệ UBND cấp xã. " * 40)
    del data["sections"], data["summary_en"]
    topic, problems = _parse(data, min_questions=1, learned=True)
    assert problems == []
    assert topic.sections == (("summary", data["answer"].strip()),)
    assert topic.answer == topic.summary == data["answer"].strip()
    assert topic.summary_en == ""
    _, problems = _parse(data, min_questions=1)  # the same mapping is not a valid topic file
    assert any("answer: unknown field" in p for p in problems)
    assert any("sections: missing" in p for p in problems)


def test_a_topic_made_by_promotion_loads(knowledge_copy: Path) -> None:
    topic = promoted_topic(12, "Xin phép tổ chức lễ hội", "Xin giấy phép tổ chức lễ hội?", "Liên hệ UBND cấp xã.",
                           dt.date(2026, 11, 28))
    kb, problems = check_knowledge(knowledge_copy, {"questions": {}, "topics": [topic]})
    assert not [p for p in problems if p.startswith("learned.yaml")]
    learned = kb.topic(topic["id"])
    assert learned is not None and learned.summary == "Liên hệ UBND cấp xã." and learned.summary_en == ""
    both = {**topic, "sections": {"summary": "Có cả hai."}}
    _, problems = check_knowledge(knowledge_copy, {"questions": {}, "topics": [both]})
    assert "learned.yaml topics[0]: answer: give either sections or one answer, not both" in problems


# --- legal corrections that a spot-check found: kept true in the shipped topics -------------------------

def _shipped(topic_id: str):
    problems = Problems()
    path = DEFAULT_KNOWLEDGE / "topics" / f"{topic_id}.yaml"
    topic = parse_topic(yaml.safe_load(path.read_text(encoding="utf-8")), path.name, problems)
    assert topic is not None, problems
    return topic


def test_identity_card_is_changed_at_14_unless_made_in_the_2_years_before() -> None:
    topic = _shipped("can-cuoc")
    who = topic.section("who")
    assert "Phải đổi thẻ khi đủ 14, 25, 40 và 60 tuổi" in who
    assert "dưới 12 tuổi" in who and "từ đủ 12 đến dưới 14 tuổi dùng đến khi đủ 25 tuổi" in who
    assert "chỉ dùng đến khi trẻ đủ 14" not in topic.answer  # Article 21(2): a card made from 12 lasts until 25
    assert "14" in topic.summary and "26/2023/QH15" in " ".join(topic.legal_basis)


def test_criminal_record_relatives_need_no_authorisation_and_form_2_is_personal() -> None:
    topic = _shipped("ly-lich-tu-phap")
    who = topic.section("who")
    form_1, form_2 = (line for line in who.splitlines() if line.startswith("- **Phiếu số"))
    assert "Cha, mẹ, vợ, chồng, con" in form_1 and "không cần bất kỳ văn bản ủy quyền" in form_1
    assert "không được ủy quyền, không ai làm thay được" in form_2 and "kể cả cha, mẹ, vợ, chồng, con" in form_2
    assert "không cần công chứng" not in topic.answer  # the old, wrong reading: relatives need no paper at all
    fee = topic.section("fee")
    assert "Thông tư 16/2025/TT-BTC" in fee and "100.000 đồng" in fee and "miễn phí" in fee


def test_building_permit_follows_the_construction_law_2025() -> None:
    topic = _shipped("giay-phep-xay-dung")
    basis = " ".join(topic.legal_basis)
    assert "Luật Xây dựng năm 2025" in basis and "135/2025" not in basis  # its number is not confirmed
    assert "175/2024" not in basis
    who = topic.section("who")
    assert "dưới 7 tầng" in who and "tổng diện tích sàn dưới 500 m²" in who and "quy chế quản lý kiến trúc" in who
    assert "quy hoạch chi tiết" not in topic.answer  # the 2025 exemption does not turn on a detailed plan
    for _, text in topic.sections:  # the old decree may be named only as no longer the rule
        assert "175/2024" not in text or "không còn là quy định hiện hành" in text
