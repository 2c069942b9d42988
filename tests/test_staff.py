"""Staff service, consistency checks, report rendering and the staff CLI, on the office's report."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from bot import cli_staff
from bot.config import load_config
from bot.figures import check_metrics, check_text, load_metrics
from bot.models import CITIZEN, STAFF, User
from bot.render import Renderer, split_message, to_plain
from bot.report_import import import_report
from bot.staff import StaffService
from bot.storage import Storage
from bot.tasks import TaskBook

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed" / "bao-cao-papi-6-thang-2021.txt"
pytestmark = pytest.mark.skipif(
    not SEED.exists(),
    reason="the seed report ../shared/seed/bao-cao-papi-6-thang-2021.txt is not beside the project")

CITIZEN_USER = User("telegram", "1", "1", "Dân", CITIZEN)
OFFICER = User("telegram", "7", "7", "Chị Hòa", STAFF)


@pytest.fixture
def kdir(tmp_path):
    """A knowledge folder of our own: templates and metrics copied, tasks.yaml imported from the seed."""
    k = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge" / "templates", k / "templates")
    shutil.copy(ROOT / "knowledge" / "metrics.yaml", k / "metrics.yaml")
    if (ROOT / "knowledge" / "messages.yaml").exists():
        shutil.copy(ROOT / "knowledge" / "messages.yaml", k / "messages.yaml")
    import_report(SEED, k / "tasks.yaml")
    return k


@pytest.fixture
async def staff(kdir, tmp_path):
    storage = await Storage.open(tmp_path / "t.db")
    service = StaffService(TaskBook.load(kdir / "tasks.yaml"), load_metrics(kdir / "metrics.yaml"), storage,
                           Renderer(kdir / "templates"))
    yield service
    await service.storage.close()  # a test may reopen it ("the bot restarts"): an unclosed one hangs the exit


async def test_citizens_are_politely_refused(staff):
    for method, arg in ((staff.status, ""), (staff.task, "8.1"), (staff.set_status, "5.6 done"),
                        (staff.counts, "")):
        reply = await method(CITIZEN_USER, arg)
        assert reply.decision == "refused"
        assert "cán bộ" in reply.text and "TCHCQT" not in reply.text
    assert await staff.storage.task_overrides() == {}


async def test_status_lists_all_areas_with_counts(staff):
    reply = await staff.status(OFFICER, "")
    text = to_plain(reply.text)
    for name in ("Tham gia của người dân ở cấp cơ sở", "Thủ tục hành chính công", "Quản trị điện tử"):
        assert name in text
    assert "6/9" in text  # area V: 6 of its 9 tasks report a result
    assert "23/31" in text


AREA_VIII_QUERIES = ["quan-tri-dien-tu", "8", "VIII", "viii", "điện tử", "dien tu", "Quản trị điện tử"]


@pytest.mark.parametrize("query", AREA_VIII_QUERIES)
async def test_area_lookup(staff, query):
    reply = await staff.status(OFFICER, query)
    assert reply.decision == "status"
    assert "Phòng TCHCQT" in reply.text and "8.1" in reply.text


async def test_loose_name_and_ambiguous_area(staff):
    assert "Kiểm soát tham nhũng" in (await staff.status(OFFICER, "tham nhung")).text
    reply = await staff.status(OFFICER, "công")
    assert reply.decision == "ambiguous_area"
    data = [b[0][1] for b in reply.buttons]
    assert "st:thu-tuc-hanh-chinh-cong" in data and "st:cung-ung-dich-vu-cong" in data
    assert all(d.startswith("st:") and len(d.encode()) <= 64 for d in data)  # Telegram's callback limit


async def test_unknown_area_offers_every_area(staff):
    reply = await staff.status(OFFICER, "thể thao")
    assert reply.decision == "unknown_area"
    assert "thể thao" in reply.text and len(reply.buttons) == 8


async def test_area_v_lists_nine_tasks(staff):
    data = await staff.status_data("5")
    assert [t["id"] for t in data["tasks"]] == [f"5.{i}" for i in range(1, 10)]
    assert data["area"]["total"] == 9
    reply = await staff.status(OFFICER, "thu-tuc-hanh-chinh-cong")
    assert all(len(part) <= 4096 for part in split_message(reply.text))


async def test_task_in_full_and_bad_task(staff):
    reply = await staff.task(OFFICER, "8.1")
    assert "Kế hoạch số 183/KH-UBND" in reply.text and "18 câu hỏi" in reply.text
    assert "Phòng TCHCQT" in reply.text and "Hoàn thành" in reply.text
    bad = await staff.task(OFFICER, "99.99")
    assert bad.decision == "unknown_task" and "99.99" in bad.text
    assert (await staff.task(OFFICER, "<b>")).decision == "unknown_task"


async def test_output_is_escaped(staff):
    reply = await staff.status(OFFICER, "<script>")
    assert "<script>" not in reply.text and "&lt;script&gt;" in reply.text


async def test_capnhat_records_who_and_when_and_survives_reimport(staff, kdir, tmp_path):
    before = await staff.task_data("5.6")
    assert before["status"] == "ongoing"
    reply = await staff.set_status(OFFICER, "5.6 hoàn thành Đã trả lời 12 phản ánh")
    assert reply.decision == "updated" and "Hoàn thành" in reply.text and "Chị Hòa" in reply.text
    import_report(SEED, kdir / "tasks.yaml")  # the office re-imports the report
    await staff.storage.close()
    staff.storage = await Storage.open(tmp_path / "t.db")  # and the bot restarts
    staff.book = TaskBook.load(kdir / "tasks.yaml")
    after = await staff.task_data("5.6")
    assert after["status"] == "done" and after["report_status"] == "ongoing"
    assert after["override"]["note"] == "Đã trả lời 12 phản ánh" and after["override"]["changed_by"] == "telegram:7"
    assert (await staff.status_data("V"))["area"]["done"] == 7


async def test_capnhat_bad_input(staff):
    assert (await staff.set_status(OFFICER, "5.6 finished")).decision == "bad_status"
    assert (await staff.set_status(OFFICER, "99.99 done")).decision == "unknown_task"
    assert (await staff.set_status(OFFICER, "5.6")).decision == "usage_capnhat"
    assert await staff.storage.task_overrides() == {}


async def test_counts_show_live_queue_beside_report_figures(staff):
    await staff.storage.create_ticket(CITIZEN_USER, "Xin hỏi thủ tục?", "xin hoi thu tuc")
    data = await staff.counts_data()
    assert data["queue"]["received"] == 1 and data["queue"]["pending"] == 1
    values = {m["key"]: m["value"] for m in data["metrics"]}
    assert values["dossiers_received"] == 609 and values["petitions_received"] == 255
    assert values["online_meetings_government"] == 28 and values["paperless_rooms"] == 3
    text = to_plain((await staff.counts(OFFICER, "hồ sơ")).text)
    assert "609" in text and "01/12/2020–31/05/2021" in text and "255" not in text


def test_checker_finds_the_reports_discrepancies():
    metrics = load_metrics(ROOT / "knowledge" / "metrics.yaml")
    messages = [d.message for d in check_metrics(metrics)]
    assert any("394" in m and "266" in m for m in messages)
    assert any("12,2%" in m and "12,1%" in m for m in messages)  # 73/601
    assert any("20" in m and "18" in m for m in messages)  # portal questions, body vs appendix
    assert not any("98,7%" in m or "83,5%" in m or "4,3%" in m or "1,3%" in m for m in messages)
    assert not any(d.kind == "sum" for d in check_metrics(metrics))  # 502+73+26=601, 14+30+211=255, 69+6=75…
    text_found = check_text(metrics, SEED.read_text(encoding="utf-8"))
    assert not any(d.kind in ("missing", "text") for d in text_found)  # metrics.yaml matches the report
    assert any("24/KH-UBND" in d.message for d in text_found)


def test_checker_catches_a_sum_that_does_not_add_up(tmp_path):
    path = tmp_path / "metrics.yaml"
    path.write_text((ROOT / "knowledge" / "metrics.yaml").read_text(encoding="utf-8")
                    .replace("value: 502", "value: 500"), encoding="utf-8")
    messages = [d.message for d in check_metrics(load_metrics(path))]
    assert any("601" in m and "500 + 73 + 26 = 599" in m for m in messages)


def _args(**kw):
    return argparse.Namespace(**kw)


async def test_cli_status_task_counts_json(kdir, tmp_path, capsys):
    config = load_config(env={}, data_dir=tmp_path / "data", db_path=tmp_path / "db", knowledge_dir=kdir)
    assert await cli_staff.cmd_status(_args(json=True, area="quan-tri-dien-tu"), config) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["area"]["number"] == "VIII" and data["tasks"][0]["id"] == "8.1"
    assert data["tasks"][0]["lead"] == "Phòng TCHCQT"
    assert await cli_staff.cmd_status(_args(json=True, area=None), config) == 0
    areas = json.loads(capsys.readouterr().out)["areas"]
    assert len(areas) == 8 and {"number", "slug", "name", "total", "done", "overdue"} <= set(areas[0])
    assert await cli_staff.cmd_task(_args(json=True, id="8.1"), config) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "8.1"
    assert await cli_staff.cmd_task(_args(json=False, id="99.99"), config) == 1
    assert await cli_staff.cmd_counts(_args(json=True, topic=None), config) == 0
    counts = json.loads(capsys.readouterr().out)
    assert {"received", "answered", "pending", "closed"} <= set(counts["queue"])
    assert {"key", "label", "value", "unit", "period"} <= set(counts["metrics"][0])


def test_cli_check_exit_codes(kdir, tmp_path, capsys):
    config = load_config(env={}, data_dir=tmp_path / "data", db_path=tmp_path / "db", knowledge_dir=kdir)
    assert cli_staff.cmd_check(_args(file=str(SEED), strict=False), config) == 0
    assert "394" in capsys.readouterr().out
    assert cli_staff.cmd_check(_args(file=None, strict=True), config) == 1


def test_cli_import_bad_file_keeps_tasks_yaml(kdir, tmp_path, capsys):
    config = load_config(env={}, data_dir=tmp_path / "data", db_path=tmp_path / "db", knowledge_dir=kdir)
    before = (kdir / "tasks.yaml").read_bytes()
    bad = tmp_path / "x.txt"
    bad.write_text("không phải báo cáo", encoding="utf-8")
    assert cli_staff.cmd_import(_args(file=str(bad), out=None), config) == 2
    assert "không bị thay đổi" in capsys.readouterr().err
    assert (kdir / "tasks.yaml").read_bytes() == before


@pytest.mark.parametrize("fmt", ["md", "html"])
async def test_report_rendering(kdir, tmp_path, fmt):
    config = load_config(env={}, data_dir=tmp_path / "data", db_path=tmp_path / "db", knowledge_dir=kdir)
    out = tmp_path / f"report.{fmt}"
    storage = await Storage.open(config.db_path)
    await storage.set_task_status("7.3", "done", "Đã trình <ký>", 7)
    await storage.close()
    assert await cli_staff.cmd_report(_args(format=fmt, out=str(out)), config) == 0
    text = out.read_text(encoding="utf-8")
    for expected in ("Quản trị điện tử", "Phòng TCHCQT", "Kế hoạch số 183/KH-UBND", "Hàng đợi", "609"):
        assert expected in text
    assert text.count("Chưa đến hạn") >= 1 and "Hoàn thành" in text
    if fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "<style>" in text and "@media print" in text
        assert "&lt;ký&gt;" in text and "<ký>" not in text
        assert "http" not in text.split("<body>")[0]  # self-contained: no external CSS or fonts
    else:
        assert text.startswith("# ") and "| VIII | Quản trị điện tử | 1 | 1 |" in text
