"""`papibot kb check` on dated changes and sources: what an office sees before and after a change, the share of
parts with a source, and the mistakes in `changes`, `basis` and contacts.yaml it names."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from app.cli import main
from knowledge.loader import check_knowledge, load_knowledge
from knowledge.review import passed
from knowledge.schema import Problems, parse_topic
from tests.pinned import reverify
from tests.test_knowledge import _topic_data

SHARE = re.compile(r"^Căn cứ theo phần: (\d+)/(\d+) phần lệ phí, thời hạn, nơi làm, đối tượng có nguồn \((\d+) %\)$",
                   re.MULTILINE)


def kb_check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
             knowledge: Path | None, *args: str) -> tuple[int, str]:
    """`papibot kb check ARGS` through its main function, on `knowledge` (None: the shipped folder)."""
    monkeypatch.setenv("PAPIBOT_DATA_DIR", str(tmp_path / "data"))
    if knowledge is not None:
        monkeypatch.setenv("PAPIBOT_KNOWLEDGE", str(knowledge))
    code = main(["kb", "check", *args])
    return code, capsys.readouterr().out


def _append(folder: Path, topic_id: str, text: str) -> None:
    path = folder / "topics" / f"{topic_id}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_change_is_warned_of_a_month_before_and_fails_the_check_after_it(monkeypatch, capsys, tmp_path) -> None:
    code, out = kb_check(monkeypatch, capsys, tmp_path, None, "--today", "2026-12-05")
    assert code == 0, out
    assert re.search(r"^cảnh báo: topics/can-cuoc\.yaml: changes: can-cuoc sắp thay đổi từ 01/01/2027 \(còn 27 ngày\)",
                     out, re.MULTILINE)
    assert out.splitlines()[-1].startswith("OK: 43 topics")
    code, out = kb_check(monkeypatch, capsys, tmp_path, None, "--today", "2027-01-02")
    assert code == 1
    assert "topics/can-cuoc.yaml: changes: can-cuoc có thay đổi từ 01/01/2027 chưa được đối chiếu" in out
    assert "Thông tư 64/2025/TT-BTC" in out  # the note says what to check


def test_an_image_build_is_not_stopped_by_a_passed_change_but_still_warns(monkeypatch, capsys, tmp_path) -> None:
    code, out = kb_check(monkeypatch, capsys, tmp_path, None, "--today", "2027-01-02", "--dates-warn")
    assert code == 0
    assert "cảnh báo: topics/can-cuoc.yaml: changes: can-cuoc có thay đổi từ 01/01/2027 chưa được đối chiếu" in out
    assert "--dates-warn" in Path("Dockerfile").read_text(encoding="utf-8")


def test_more_than_a_month_before_nothing_is_said(monkeypatch, capsys, tmp_path) -> None:
    code, out = kb_check(monkeypatch, capsys, tmp_path, None, "--today", "2026-11-15")
    assert code == 0 and "can-cuoc" not in out.replace("chưa có nguồn: can-cuoc", "")


def test_a_topic_verified_on_or_after_the_change_passes_again(monkeypatch, capsys, tmp_path, knowledge_copy) -> None:
    reverify(knowledge_copy, "can-cuoc", "2027-01-01")
    code, out = kb_check(monkeypatch, capsys, tmp_path, knowledge_copy, "--today", "2027-01-02")
    assert code == 1 and "can-cuoc có thay đổi" not in out and "ho-ngheo có thay đổi" in out
    reverify(knowledge_copy, "ho-ngheo", "2027-01-02")
    code, out = kb_check(monkeypatch, capsys, tmp_path, knowledge_copy, "--today", "2027-01-02")
    assert code == 0, out


def test_a_bad_date_is_refused_by_the_command(monkeypatch, capsys, tmp_path) -> None:
    with pytest.raises(SystemExit):
        kb_check(monkeypatch, capsys, tmp_path, None, "--today", "1/1/2027")


def test_the_check_prints_the_share_and_every_part_without_a_source(monkeypatch, capsys, tmp_path,
                                                                    knowledge_copy) -> None:
    code, out = kb_check(monkeypatch, capsys, tmp_path, knowledge_copy, "--today", "2026-12-05")
    assert code == 0
    sourced, counted, percent = map(int, SHARE.search(out).groups())  # type: ignore[union-attr]
    assert counted > 100 and 0 < sourced < counted and percent == round(100 * sourced / counted)
    assert "chưa có nguồn: dang-ky-tam-tru: thời hạn, nơi nộp, ai được làm" in out  # its fee names its circular
    assert "chưa có nguồn: khai-sinh: lệ phí, thời hạn, nơi nộp, ai được làm" in out
    _append(knowledge_copy, "khai-sinh", "basis:\n  fee: Thông tư 85/2019/TT-BTC\n")
    _, after = kb_check(monkeypatch, capsys, tmp_path, knowledge_copy, "--today", "2026-12-05")
    assert SHARE.search(after).group(1) == str(sourced + 1)  # type: ignore[union-attr]
    assert "chưa có nguồn: khai-sinh: thời hạn, nơi nộp, ai được làm" in after


def test_every_shipped_basis_names_a_document_of_its_topic(kb) -> None:
    with_basis = [t for t in kb.topics if t.basis]
    assert len(with_basis) >= 5
    for topic in with_basis:
        for key, _ in topic.basis:
            assert topic.section(key), (topic.id, key)
            assert all(doc in topic.legal_basis for doc in topic.basis_of(key)), (topic.id, key)
    assert kb.topic("dang-ky-tam-tru").basis_of("fee") == ("Thông tư 75/2022/TT-BTC về lệ phí đăng ký cư trú",)


def test_the_cccd_fee_cut_is_a_dated_change_of_the_shipped_knowledge(kb) -> None:
    topic = kb.topic("can-cuoc")
    assert [c.on for c in topic.changes] == [dt.date(2027, 1, 1)]
    assert not passed(topic, dt.date(2026, 12, 31)) and passed(topic, dt.date(2027, 1, 1))


def _problems(**fields: object) -> list[str]:
    problems = Problems()
    parse_topic(_topic_data(**fields), "topics/vi-du.yaml", problems)
    return list(problems)


def test_changes_and_basis_are_validated() -> None:
    assert _problems(changes=[{True: dt.date(2027, 1, 1), "note": "Hết giảm lệ phí."}]) == []  # `on:` in YAML
    assert _problems(basis={"fee": "Luật Hộ tịch 2014", "documents": ["https://dichvucong.gov.vn (Cổng DVC)"]}) == []
    assert "topics/vi-du.yaml: changes[0]: needs exactly on (a date, YYYY-MM-DD) and note (text)" in _problems(
        changes=[{"on": "sang năm", "note": "x"}])
    assert any(p.startswith("topics/vi-du.yaml: basis.time: the topic has no section 'time'")
               for p in _problems(basis={"time": "Luật Hộ tịch 2014"}))
    assert any("basis.fee: 'Thông tư 85/2019/TT-BTC' is not in legal_basis" in p
               for p in _problems(basis={"fee": "Thông tư 85/2019/TT-BTC"}))
    assert any("basis.fee: 'Luật' is not in legal_basis" in p for p in _problems(basis={"fee": "Luật"}))


def test_a_topic_file_with_a_broken_change_names_file_and_field(knowledge_copy) -> None:
    _append(knowledge_copy, "khai-sinh", "changes:\n  - on: 2027-01-01\n")
    _, problems = check_knowledge(knowledge_copy)
    assert "topics/khai-sinh.yaml: changes[0]: needs exactly on (a date, YYYY-MM-DD) and note (text)" in problems


def test_contacts_yaml_is_validated(knowledge_copy) -> None:
    path = knowledge_copy / "contacts.yaml"
    text = path.read_text(encoding="utf-8").replace("website: https://dichvucong", "website: http://dichvucong")
    path.write_text(text.replace("    - khai-tu\n", "    - khai-tu\n    - khai-tu-nham\n") + "fax: 1\n",
                    encoding="utf-8")
    _, problems = check_knowledge(knowledge_copy)
    assert "contacts.yaml: (file): expected the mappings centre and communes" in problems
    path.write_text(text.replace("    - khai-tu\n", "    - khai-tu\n    - khai-tu-nham\n"), encoding="utf-8")
    _, problems = check_knowledge(knowledge_copy)
    assert "contacts.yaml: centre.website: must be an official https:// link" in problems
    assert "contacts.yaml: communes.topics: no topic with id 'khai-tu-nham'" in problems


def test_shipped_contacts_fill_only_what_a_document_gives(kb) -> None:
    centre = kb.contacts.centre
    assert centre["phone"] == "" and centre["address"] == ""  # in no document of the repository yet
    assert centre["website"] == kb.topic("trung-tam-phuc-vu-hcc").source
    assert load_knowledge(Path(kb.directory)).contacts.commune_link.startswith("https://")
