"""Staff commands on the office's report (the shipped 2021 plan) and the figures: what an officer reads in a chat.

Every answer names the plan period and the day its statuses hold for; the day is injected, never the clock's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest

from app.commands import staff as cli_staff
from bot.engine.services import open_services
from bot.kernel.models import CITIZEN, STAFF, User
from bot.kernel.render import split_message, to_plain
from bot.papi.figures import check_metrics, check_text, load_metrics
from bot.usecases.outcomes import AreaNotFound, OneArea, UnknownTask
from tests.conftest import say

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed" / "bao-cao-papi-6-thang-2021.txt"
TODAY = dt.date(2026, 3, 5)
BOTH_BACKENDS = True  # the chat commands read the plan from SQLite and from PostgreSQL alike

CITIZEN_USER = User("telegram", "1", "1", "Dân", CITIZEN)
OFFICER = User("console", "7", "7", "Chị Hòa", STAFF)


@pytest.fixture
async def services(config):
    """The real services, the plan judged on 5 March 2026: the shipped 2021 plan is a past period."""
    s = await open_services(config, today=lambda: TODAY)
    yield s
    await s.close()


@pytest.fixture
def staff(services):
    return services.staff


async def test_citizens_are_politely_refused(services):
    for text in ("/status", "/task 8.1", "/capnhat 5.6 done", "/counts"):
        reply = await say(services, CITIZEN_USER, text)
        assert "TCHCQT" not in reply.text and "Hàng đợi" not in reply.text
    task = await services.plan.task_by_code("5.6")
    assert task is not None and task.status_by.startswith("import:")  # nothing recorded


async def test_status_names_the_2021_plan_and_its_as_of_day(services):
    text = to_plain((await say(services, OFFICER, "/status")).text)
    assert "Kế hoạch 6 tháng cuối năm 2021" in text and "kỳ đã kết thúc" in text
    assert "tính đến ngày 30/06/2021 theo báo cáo" in text
    for name in ("Tham gia của người dân ở cấp cơ sở", "Thủ tục hành chính công", "Quản trị điện tử"):
        assert name in text
    assert "6/9" in text  # area V: 6 of its 9 tasks report a result
    assert "23/31" in text
    assert "chưa đến hạn" not in text.lower()  # a past period's task is never "not yet due"
    assert "chưa có kết quả 2" in text  # VII.3 and VII.4 were due in Quý IV/2021: no result was ever reported


AREA_VIII_QUERIES = ["quan-tri-dien-tu", "8", "VIII", "viii", "điện tử", "dien tu", "Quản trị điện tử"]


@pytest.mark.parametrize("query", AREA_VIII_QUERIES)
async def test_area_lookup(services, staff, query):
    assert isinstance(await staff.status(OFFICER, query), OneArea)
    reply = await say(services, OFFICER, f"/status {query}")
    assert "Phòng TCHCQT" in reply.text and "8.1" in reply.text and "tính đến 30/06/2021" in reply.text


async def test_loose_name_and_ambiguous_area(services, staff):
    assert "Kiểm soát tham nhũng" in (await say(services, OFFICER, "/status tham nhung")).text
    ambiguous = await staff.status(OFFICER, "công")
    assert isinstance(ambiguous, AreaNotFound) and ambiguous.candidates
    reply = await say(services, OFFICER, "/status công")
    data = [b[0][1] for b in reply.buttons]
    assert "st:thu-tuc-hanh-chinh-cong" in data and "st:cung-ung-dich-vu-cong" in data
    assert all(d.startswith("st:") and len(d.encode()) <= 64 for d in data)  # Telegram's callback limit


async def test_unknown_area_offers_every_area(services, staff):
    unknown = await staff.status(OFFICER, "thể thao")
    assert isinstance(unknown, AreaNotFound) and not unknown.candidates
    reply = await say(services, OFFICER, "/status thể thao")
    assert "thể thao" in reply.text and len(reply.buttons) == 8


async def test_area_v_lists_nine_tasks(services, staff):
    data = await staff.status_data("5")
    assert [t["id"] for t in data["tasks"]] == [f"5.{i}" for i in range(1, 10)]
    assert data["area"]["total"] == 9
    reply = await say(services, OFFICER, "/status thu-tuc-hanh-chinh-cong")
    assert all(len(part) <= 4096 for part in split_message(reply.text))


async def test_task_in_full_names_its_period_and_bad_task(services, staff):
    reply = await say(services, OFFICER, "/task 8.1")
    assert "Kế hoạch số 183/KH-UBND" in reply.text and "18 câu hỏi" in reply.text
    assert "Phòng TCHCQT" in reply.text and "Hoàn thành" in reply.text
    assert "Kế hoạch 6 tháng cuối năm 2021" in reply.text and "tính đến 30/06/2021" in reply.text
    later = to_plain((await say(services, OFFICER, "/task 7.3")).text)
    assert "Chưa có kết quả" in later and "Chưa đến hạn" not in later  # due Quý IV/2021, never reported
    assert await staff.task(OFFICER, "99.99") == UnknownTask("99.99")
    assert "Không có nhiệm vụ «99.99»" in (await say(services, OFFICER, "/task 99.99")).text
    assert await staff.task(OFFICER, "<b>") == UnknownTask("<b>")


async def test_output_is_escaped(services):
    reply = await say(services, OFFICER, "/status <script>")
    assert "<script>" not in reply.text and "&lt;script&gt;" in reply.text


async def test_capnhat_records_who_and_when_and_survives_reimport(services, staff, tmp_path):
    before = await staff.task_data("5.6")
    assert before is not None and before["status"] == "ongoing"
    reply = await say(services, OFFICER, "/capnhat 5.6 hoàn thành Đã trả lời 12 phản ánh")
    assert "Đã cập nhật nhiệm vụ" in reply.text and "Hoàn thành" in reply.text and "Chị Hòa" in reply.text
    assert "05/03/2026" in reply.text
    if SEED.exists():  # the office imports the report again: what the officer recorded stays
        counts, _ = await services.plan.import_report("cli:lan", SEED)
        assert counts.kept_status == ["5.6"] and not counts.added
    after = await staff.task_data("5.6")
    assert after is not None and after["status"] == "done" and after["note"] == "Đã trả lời 12 phản ánh"
    assert after["status_by"] == "console:7" and after["status_on"] == "2026-03-05"
    assert (await staff.status_data("V"))["area"]["done"] == 7
    status = to_plain((await say(services, OFFICER, "/status")).text)
    assert "1 nhiệm vụ được cập nhật sau ngày đó" in status  # the report's day stays the period's "as of"
    history = await services.storage.plan.changes(int(after["row"]))
    assert [(c.field, c.new, c.changed_by) for c in history[:2]] == [
        ("note", "Đã trả lời 12 phản ánh", "console:7"), ("status", "done", "console:7")]


async def test_capnhat_bad_input(services):
    assert "Tình trạng «finished» không hợp lệ" in (await say(services, OFFICER, "/capnhat 5.6 finished")).text
    assert "Không có nhiệm vụ «99.99»" in (await say(services, OFFICER, "/capnhat 99.99 done")).text
    assert "Cách dùng: /capnhat" in (await say(services, OFFICER, "/capnhat 5.6")).text
    assert await services.staff.set_status(OFFICER, "99.99", "done", None) == UnknownTask("99.99")
    task = await services.plan.task_by_code("5.6")
    assert task is not None and task.status_by.startswith("import:")


async def test_counts_show_live_queue_beside_report_figures_each_with_its_dates(services, staff):
    await staff.storage.tickets.create(CITIZEN_USER, "Xin hỏi thủ tục?", "xin hoi thu tuc")
    data = await staff.counts_data()
    assert data["queue"]["received"] == 1 and data["queue"]["pending"] == 1
    rows = {r["label"]: r["value"] for r in data["live"][0]["rows"]}
    assert rows["Câu hỏi chuyển cán bộ"] == "1" and rows["Đang chờ trả lời"] == "1"
    assert data["live"][0]["period"].startswith("6 tháng") and data["live"][0]["as_of"] == data["queue"]["as_of"]
    assert data["source"]["as_of"] == "2021-06-30" and data["source"]["plan"] == "6 tháng cuối năm 2021"
    values = {m["key"]: m["value"] for m in data["metrics"]}
    assert values["dossiers_received"] == 609 and values["petitions_received"] == 255
    assert values["online_meetings_government"] == 28 and values["paperless_rooms"] == 3
    text = to_plain((await say(services, OFFICER, "/counts hồ sơ")).text)
    assert "609" in text and "01/12/2020–31/05/2021" in text and "255" not in text
    assert "tính đến 30/06/2021" in text and "tính đến" in text.split("Theo")[0]  # both sides carry a date


def test_checker_finds_the_reports_discrepancies():
    metrics = load_metrics(ROOT / "knowledge" / "metrics.yaml")
    messages = [d.message for d in check_metrics(metrics)]
    assert any("394" in m and "266" in m for m in messages)
    assert any("12,2%" in m and "12,1%" in m for m in messages)  # 73/601
    assert any("20" in m and "18" in m for m in messages)  # portal questions, body vs appendix
    assert not any("98,7%" in m or "83,5%" in m or "4,3%" in m or "1,3%" in m for m in messages)
    assert not any(d.kind == "sum" for d in check_metrics(metrics))  # 502+73+26=601, 14+30+211=255, 69+6=75…
    if SEED.exists():
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
    base = {"json": False, "period": None, "today": TODAY.isoformat(), "by": None}
    return argparse.Namespace(**{**base, **kw})


async def test_cli_status_task_counts_json(config, capsys):
    assert await cli_staff.cmd_status(_args(json=True, area="quan-tri-dien-tu"), config) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["area"]["number"] == "VIII" and data["tasks"][0]["id"] == "8.1"
    assert data["tasks"][0]["lead"] == "Phòng TCHCQT"
    assert data["period"]["name"] == "6 tháng cuối năm 2021" and data["as_of"] == "2021-06-30"
    assert await cli_staff.cmd_status(_args(json=True, area=None), config) == 0
    whole = json.loads(capsys.readouterr().out)
    assert len(whole["areas"]) == 8 and {"number", "slug", "name", "total", "done", "overdue"} <= set(whole["areas"][0])
    assert whole["period"]["past"] and whole["period"]["span"] == "01/07/2021–31/12/2021"
    assert await cli_staff.cmd_task(_args(json=True, words=["8.1"]), config) == 0
    task = json.loads(capsys.readouterr().out)
    assert task["id"] == "8.1" and task["period"] == "6 tháng cuối năm 2021"
    assert task["history"][0]["field"] == "created"
    assert await cli_staff.cmd_task(_args(words=["99.99"]), config) == 1
    assert await cli_staff.cmd_counts(_args(json=True, topic=None), config) == 0
    counts = json.loads(capsys.readouterr().out)
    assert {"period", "as_of", "received", "answered", "pending", "closed"} <= set(counts["queue"])
    assert {"key", "title", "period", "as_of", "rows"} <= set(counts["live"][0])
    assert {"key", "label", "value", "unit", "period"} <= set(counts["metrics"][0])


def test_cli_check_exit_codes(config, capsys):
    if SEED.exists():
        assert cli_staff.cmd_check(argparse.Namespace(file=str(SEED), strict=False), config) == 0
        assert "394" in capsys.readouterr().out
    assert cli_staff.cmd_check(argparse.Namespace(file=None, strict=True), config) == 1


@pytest.mark.parametrize("fmt", ["md", "html"])
async def test_report_rendering(config, tmp_path, fmt):
    services = await open_services(config, today=lambda: TODAY)
    try:
        task = await services.plan.task_by_code("7.3")
        assert task is not None
        await services.staff.set_status(OFFICER, "7.3", "done", "Đã trình <ký>")
    finally:
        await services.close()
    out = tmp_path / f"report.{fmt}"
    assert await cli_staff.cmd_report(_args(format=fmt, out=str(out)), config) == 0
    text = out.read_text(encoding="utf-8")
    for expected in ("Quản trị điện tử", "Phòng TCHCQT", "Kế hoạch số 183/KH-UBND", "Hàng đợi", "609",
                     "Kế hoạch 6 tháng cuối năm 2021", "tính đến ngày 30/06/2021"):
        assert expected in text
    assert "Chưa đến hạn" not in text and "Chưa có kết quả" in text and "Hoàn thành" in text
    if fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "<style>" in text and "@media print" in text
        assert "&lt;ký&gt;" in text and "<ký>" not in text
        assert "http" not in text.split("<body")[0]  # self-contained: no external CSS or fonts
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "counter(page)" in text
    else:
        assert text.startswith("# ") and "| VIII | Quản trị điện tử | 1 | 1 |" in text
