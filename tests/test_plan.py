"""The PAPI plan as periods, on SQLite and PostgreSQL: honest dates, copies, edits with their history, imports.

The day statuses are judged on is injected (`open_services(config, today=…)`), never read from the clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.engine.services import Services, open_services
from bot.kernel.config import Config
from bot.papi.plan import Period, current_period, period_span
from bot.store.storage import Storage
from bot.usecases.planning import TaskDraft
from bot.usecases.staff import task_dict

BOTH_BACKENDS = True
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "docs" / "mau-bao-cao-papi.txt"


async def _open(config: Config, day: dt.date) -> Services:
    return await open_services(config, today=lambda: day)


async def test_the_shipped_plan_is_the_2021_plan_as_its_report_says(config: Config) -> None:
    services = await _open(config, dt.date(2026, 3, 5))
    try:
        view = await services.plan.view()
        assert view is not None and [p.name for p in await services.plan.periods()] == ["6 tháng cuối năm 2021"]
        assert view.past and view.as_of == dt.date(2021, 6, 30) and view.period.span_text() == "01/07/2021–31/12/2021"
        shown = {t.code: view.status(t) for t in view.tasks}
        assert "upcoming" not in shown.values()  # a past period's task is never "not yet due"
        assert shown["7.3"] == shown["7.4"] == "unreported" and shown["8.1"] == "done" and shown["5.6"] == "ongoing"
        assert len(shown) == 31 and list(shown.values()).count("done") == 23
    finally:
        await services.close()


async def test_overdue_is_judged_on_today_within_the_current_period(config: Config) -> None:
    services = await _open(config, dt.date(2026, 8, 1))
    try:
        old = (await services.plan.periods())[0]
        made = await services.plan.create_period("web:lan", "6 tháng cuối năm 2026", copy_from=old.id)
        assert made.ok and made.period is not None and made.period.span_text() == "01/07/2026–31/12/2026"
        assert made.message.endswith("sao chép 31 nhiệm vụ từ kỳ «6 tháng cuối năm 2021».")
        view = await services.plan.view()
        assert view is not None and view.current and view.period.name == "6 tháng cuối năm 2026"
        task = next(t for t in view.tasks if t.code == "3.3")  # "Tháng 10/2021" copied as "Tháng 10/2026"
        assert task.deadline == "Tháng 10/2026" and task.due == dt.date(2026, 10, 31)
        assert view.status(task) == "upcoming"
        assert view.as_of == dt.date(2026, 8, 1)
        first = next(t for t in view.tasks if t.code == "4.1")  # "Tháng 01/2026": passed, no result
        assert view.status(first) == "overdue"
        assert any("4.1" in w and "nằm ngoài kỳ" in w for w in made.warnings)
        await services.plan.edit_task("web:lan", task.id, TaskDraft(status="done"))
    finally:
        await services.close()
    later = await _open(config, dt.date(2026, 11, 2))
    try:
        view = await later.plan.view()
        assert view is not None
        statuses = {t.code: view.status(t) for t in view.tasks}
        assert statuses["3.3"] == "done"  # done before its due date: never overdue
        assert statuses["2.5"] == "overdue"  # due 30/09/2026 without a result
    finally:
        await later.close()


async def test_a_copy_moves_the_years_on_and_starts_without_results(services: Services) -> None:
    old = (await services.plan.periods())[0]
    made = await services.plan.create_period("cli:lan", "2026", copy_from=old.id)
    assert made.ok and made.period is not None
    view = await services.plan.view(made.period.id)
    assert view is not None
    copied = {t.code: t for t in view.tasks}
    assert copied["2.5"].deadline.startswith("- Quý III/2026") and copied["2.5"].due == dt.date(2026, 9, 30)
    assert all(not t.result and not t.note and not t.evidence for t in view.tasks)
    assert {t.status for t in view.tasks} <= {"upcoming", "ongoing"}
    history = await services.storage.plan.changes(copied["8.1"].id)
    assert [(c.field, c.new, c.changed_by) for c in history] == [("created", "sao chép từ kỳ «6 tháng cuối năm 2021»",
                                                                  "cli:lan")]
    again = await services.plan.create_period("cli:lan", "Năm 2026")
    assert again.ok  # another name for the same dates is another period
    assert not (await services.plan.create_period("cli:lan", "2026")).ok  # the same name twice is refused
    assert "không cho biết thời gian" in (await services.plan.create_period("cli:lan", "Kế hoạch bổ sung")).message
    extra = await services.plan.create_period("cli:lan", "Kế hoạch bổ sung", dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert extra.ok and extra.period is not None and extra.period.span_text() == "01/09/2026–30/09/2026"


async def test_adding_and_editing_keep_who_changed_what_and_when(services: Services) -> None:
    made = await services.plan.create_period("web:lan", "6 tháng cuối năm 2026")
    assert made.period is not None
    added = await services.plan.add_task("web:lan", made.period.id, TaskDraft(
        area="VIII", task="Triển khai trợ lý papibot trên Zalo", lead="Trung tâm Thông tin",
        partners=("Phòng KSTTHC",), deadline="Quý IV/2026"))
    assert added.ok and added.task is not None and added.task.code == "8.1" and added.task.due == dt.date(2026, 12, 31)
    second = await services.plan.add_task("web:lan", made.period.id, TaskDraft(area="VIII", task="Họp không giấy",
                                                                               lead="Phòng TCHCQT"))
    assert second.task is not None and second.task.code == "8.2"
    edited = await services.plan.edit_task("web:minh", added.task.id, TaskDraft(
        status="done", note="Đã chạy thử", evidence="https://sonla.gov.vn/papibot", lead="Trung tâm Thông tin",
        partners=("Phòng KSTTHC", "Trung tâm PVHCC")))
    assert edited.ok and set(edited.changed) == {"status", "note", "evidence", "partners"}
    moved = await services.plan.edit_task("web:minh", second.task.id, TaskDraft(area="V"))
    assert moved.task is not None and moved.task.code == "5.1"  # the next number in its new area
    history = await services.storage.plan.changes(added.task.id)
    seen = {(c.field, c.old, c.new, c.changed_by) for c in history}
    assert ("status", "upcoming", "done", "web:minh") in seen and ("note", "", "Đã chạy thử", "web:minh") in seen
    assert ("partners", "Phòng KSTTHC", "Phòng KSTTHC; Trung tâm PVHCC", "web:minh") in seen
    assert history[-1].field == "created" and history[-1].changed_by == "web:lan"
    assert all(c.at > 0 for c in history)
    unchanged = await services.plan.edit_task("web:minh", added.task.id, TaskDraft(note="Đã chạy thử"))
    assert unchanged.ok and unchanged.changed == () and "không có gì thay đổi" in unchanged.message
    task = await services.storage.plan.task(added.task.id)
    assert task is not None and task.status_by == "web:minh" and task.evidence == "https://sonla.gov.vn/papibot"


async def test_bad_edits_are_refused_and_change_nothing(services: Services) -> None:
    view = await services.plan.view()
    assert view is not None
    task = view.tasks[0]
    for draft, said in ((TaskDraft(evidence="javascript:alert(1)"), "minh chứng"), (TaskDraft(lead="  "), "trống"),
                        (TaskDraft(area="XX"), "Lĩnh vực"), (TaskDraft(status="xong rồi"), "Tình trạng"),
                        (TaskDraft(note="x" * 501), "quá dài")):
        outcome = await services.plan.edit_task("web:lan", task.id, draft)
        assert not outcome.ok and said in outcome.message
    assert await services.storage.plan.changes(task.id) == [c for c in await services.storage.plan.changes(task.id)
                                                            if c.field == "created"]
    assert not (await services.plan.add_task("web:lan", view.period.id, TaskDraft(area="I", task="x"))).ok
    assert not (await services.plan.edit_task("web:lan", 10**12, TaskDraft(note="x"))).ok


async def test_a_report_is_imported_into_the_period_it_names_and_again_keeps_officers_statuses(
        services: Services, tmp_path: Path) -> None:
    counts, data = await services.plan.import_report("cli:lan", SAMPLE)
    assert counts.created and counts.period.name == "6 tháng đầu năm 2026" and len(counts.added) == 12
    assert counts.period.as_of == dt.date(2026, 6, 30) and data.problems == []
    view = await services.plan.view(counts.period.id)
    assert view is not None
    codes = {t.code: t for t in view.tasks}
    assert codes["1.1"].status == "done" and codes["8.1"].status_by == "import:mau-bao-cao-papi.txt"
    await services.plan.edit_task("web:minh", codes["8.1"].id, TaskDraft(status="done", note="Đã chạy"))
    changed = tmp_path / "bao-cao.txt"
    changed.write_text(SAMPLE.read_text(encoding="utf-8").replace("Nâng cấp trang thiết bị", "Nâng cấp thiết bị"),
                       encoding="utf-8")
    again, _ = await services.plan.import_report("cli:lan", changed)
    assert not again.created and again.added == [] and again.updated == ["6.1"] and again.kept_status == ["8.1"]
    history = await services.storage.plan.changes(codes["6.1"].id)
    assert history[0].field == "task" and history[0].changed_by == "cli:lan" and "Nâng cấp thiết bị" in history[0].new
    kept = await services.storage.plan.task(codes["8.1"].id)
    assert kept is not None and kept.status == "done" and kept.note == "Đã chạy"


async def test_statuses_recorded_before_periods_existed_are_carried_into_the_first_plan(config: Config) -> None:
    storage = await Storage.open(config)
    try:
        await storage.plan.set_task_status("5.6", "done", "Đã trả lời 12 phản ánh", "telegram:7")
    finally:
        await storage.close()
    services = await _open(config, dt.date(2026, 3, 5))
    try:
        task = await services.plan.task_by_code("5.6")
        assert task is not None and task.status == "done" and task.note == "Đã trả lời 12 phản ánh"
        assert task.status_by == "telegram:7"
        history = await services.storage.plan.changes(task.id)
        assert ("status", "ongoing", "done", "telegram:7") in {(c.field, c.old, c.new, c.changed_by) for c in history}
        view = await services.plan.view()
        assert view is not None and task_dict(view, task)["edited"]
    finally:
        await services.close()


async def test_processes_starting_together_on_a_new_database_seed_the_plan_once(config: Config) -> None:
    opened = await asyncio.gather(*(_open(config, dt.date(2026, 3, 5)) for _ in range(3)))
    try:
        assert [len(await s.plan.periods()) for s in opened] == [1, 1, 1]
        assert len(await opened[0].storage.plan.tasks((await opened[0].plan.periods())[0].id)) == 31
    finally:
        for s in opened:
            await s.close()


def test_period_names_carry_their_dates_and_the_current_period_is_the_most_specific() -> None:
    assert period_span("6 tháng cuối năm 2026") == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    assert period_span("6 THANG DAU NAM 2026") == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert period_span("Quý III/2026") == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert period_span("2026") == period_span("Năm 2026") == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert period_span("Kế hoạch bổ sung") is None
    year = Period(1, "2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    half = Period(2, "6 tháng cuối năm 2026", dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    old = Period(3, "6 tháng cuối năm 2021", dt.date(2021, 7, 1), dt.date(2021, 12, 31))
    assert current_period([year, half, old], dt.date(2026, 8, 1)) == half
    assert current_period([year, half, old], dt.date(2026, 3, 1)) == year
    assert current_period([year, half, old], dt.date(2027, 3, 1)) == half  # the last one that ended
    assert current_period([old], dt.date(2026, 3, 1)) == old
    assert current_period([], dt.date(2026, 3, 1)) is None
