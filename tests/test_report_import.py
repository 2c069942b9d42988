"""The report importer on the office's own report and on small hand-made reports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.papi.report_import import ReportError, import_report, normalize_unit, parse_report

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "bao-cao-papi-6-thang-2021.txt"
ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
needs_seed = pytest.mark.skipif(
    not SEED.exists(),
    reason="the seed report ../shared/seed/bao-cao-papi-6-thang-2021.txt is not beside the project")

MINI = """BÁO CÁO

Kết quả PAPI 6 tháng đầu năm 2021

PHỤ LỤC
TT\tNhiệm vụ cụ thể\tSản phẩm đầu ra\tChủ trì\tPhối hợp\tThời hạn
I\tNội dung “Quản trị điện tử”\t\t\t\t
1\t<p>Ban hành quy chế <i>họp không giấy</i>.</p> <p>Kết quả:</p> <ul style="x"> \
- Quyết định số 1/QĐ-UBND. - Báo cáo số 2/BC-VPUB.\t- Quy chế. - Báo cáo.\t\
TCHCQT\tPhòng KSTTHC; Trung tâm PVHHC\t<p>- Quý I/2021.</p>
2\t<p>Nâng cấp phần mềm quản lý văn bản, đôn đốc việc niêm</p>\tPhần mềm\tPhòng TCHCQT\tCác phòng\tQuý IV/2021

\t<p>yết danh mục.</p>\t\t\t\t
--\t--\t--\t--\t--\t--
"""


@pytest.fixture(scope="module")
def seed():
    return parse_report(SEED.read_text(encoding="utf-8"))


@needs_seed
def test_seed_gives_8_areas_and_31_tasks(seed):
    assert [a["number"] for a in seed.areas] == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    assert len(seed.tasks) == 31
    assert sum(1 for t in seed.tasks if t["area"] == "V") == 9
    assert seed.areas[7]["slug"] == "quan-tri-dien-tu"
    assert seed.areas[3]["name"] == "Kiểm soát tham nhũng trong khu vực công"


@needs_seed
def test_seed_lead_units_are_normalised(seed):
    by_id = {t["id"]: t for t in seed.tasks}
    assert by_id["8.1"]["lead"] == "Phòng TCHCQT"
    assert by_id["1.1"]["lead"] == "Phòng TCHCQT"  # written "TCHCQT" in the table
    assert by_id["5.7"]["lead"] == "Trung tâm PVHCC"  # written "Trung tâm PVHHC"
    assert by_id["5.5"]["partners"] == ["Phòng KSTTHC", "Trung tâm PVHCC"]
    assert "TCHCQT" not in {t["lead"] for t in seed.tasks}


@needs_seed
def test_seed_cells_have_no_html_and_continuations_are_merged(seed):
    by_id = {t["id"]: t for t in seed.tasks}
    for task in seed.tasks:
        for key in ("task", "result", "output", "deadline"):
            assert "<" not in task[key] and "style=" not in task[key]
        assert "Kết quả:" not in task["task"]
    assert "niêm yết Bộ TTHC" in by_id["5.4"]["task"]  # a word split by the page break
    assert by_id["3.1"]["result"].startswith("Kế hoạch số 22/KH-VPUB")  # result only on the next page
    assert "ngày 12/5/2021" in by_id["5.9"]["result"]
    assert "18 câu hỏi" in by_id["8.1"]["result"]
    assert by_id["1.2"]["result"].count("\n- ") == 3  # four bullets, one per line
    assert by_id["6.1"]["result"].startswith("Quyết định số 131/QĐ -UBND")  # not split as a bullet


@needs_seed
def test_seed_deadlines(seed):
    by_id = {t["id"]: t for t in seed.tasks}
    assert by_id["2.5"]["due"] == "2021-09-30"  # Quý III/2021
    assert by_id["3.3"]["due"] == "2021-10-31"  # Tháng 10/2021
    assert by_id["4.2"]["due"] == "2021-12-31"  # Năm 2021
    assert by_id["2.6"]["due"] is None and by_id["2.6"]["recurring"]  # Thường xuyên
    assert seed.report_date.isoformat() == "2021-06-30"


@needs_seed
def test_shipped_tasks_yaml_is_the_importers_output(tmp_path):
    out = tmp_path / "tasks.yaml"
    import_report(SEED, out)
    assert out.read_bytes() == (KNOWLEDGE / "tasks.yaml").read_bytes()


def test_reimport_is_byte_identical(tmp_path):
    src = tmp_path / "bao-cao.txt"
    src.write_text(MINI, encoding="utf-8")
    out = tmp_path / "tasks.yaml"
    import_report(src, out)
    first = out.read_bytes()
    import_report(src, out)
    assert out.read_bytes() == first


def test_html_cells_bullets_and_continuation_rows():
    data = parse_report(MINI)
    first, second = data.tasks
    assert first["task"] == "Ban hành quy chế họp không giấy."
    assert first["result"] == "- Quyết định số 1/QĐ-UBND.\n- Báo cáo số 2/BC-VPUB."
    assert first["output"] == "- Quy chế.\n- Báo cáo."
    assert first["lead"] == "Phòng TCHCQT" and first["partners"] == ["Phòng KSTTHC", "Trung tâm PVHCC"]
    assert first["due"] == "2021-03-31"
    assert second["task"] == "Nâng cấp phần mềm quản lý văn bản, đôn đốc việc niêm yết danh mục."
    assert second["result"] == "" and second["due"] == "2021-12-31"
    loaded = yaml.safe_load(yaml.safe_dump({"t": data.tasks}, allow_unicode=True))
    assert loaded["t"][1]["id"] == "1.2"


def test_not_a_report_leaves_tasks_yaml_untouched(tmp_path):
    out = tmp_path / "tasks.yaml"
    out.write_text("old: true\n", encoding="utf-8")
    bad = tmp_path / "thu-moi.txt"
    bad.write_text("Kính mời đồng chí dự họp lúc 8 giờ.\n", encoding="utf-8")
    with pytest.raises(ReportError, match="phụ lục"):
        import_report(bad, out)
    binary = tmp_path / "anh.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ReportError):
        import_report(binary, out)
    with pytest.raises(ReportError):
        import_report(tmp_path / "khong-co.txt", out)
    assert out.read_text(encoding="utf-8") == "old: true\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tasks")] == []


def test_a_row_that_cannot_be_read_is_named_with_its_reason_and_the_rest_is_read():
    data = parse_report(MINI.replace("2\t<p>Nâng cấp", "x\t<p>Nâng cấp"))
    assert [t["id"] for t in data.tasks] == ["1.1"]  # its continuation row goes with it
    assert [str(p) for p in data.problems] == [
        "Dòng 9: không hiểu số thứ tự «x» (cần I, II, … cho lĩnh vực, 1, 2, … cho nhiệm vụ)."]


def test_short_rows_missing_cells_duplicates_and_tasks_before_an_area_are_each_named():
    text = MINI.replace("I\tNội dung “Quản trị điện tử”\t\t\t\t\n", "0\tTrước lĩnh vực\ta\tb\tc\td\n"
                        "I\tNội dung “Quản trị điện tử”\t\t\t\t\n3\tThiếu cột\tx\ty\n"
                        "4\tKhông có chủ trì\tx\t\tz\tQuý I/2021\n1\tLặp số\tx\tPhòng A\tz\tQuý I/2021\n")
    data = parse_report(text)
    reasons = [str(p) for p in data.problems]
    assert reasons == [
        "Dòng 7: nhiệm vụ nằm trước dòng lĩnh vực (I, II, …) hoặc dưới một lĩnh vực không có tên.",
        "Dòng 9: có 4 cột, cần 6 cột cách nhau bằng dấu tab (TT, nhiệm vụ, sản phẩm đầu ra, chủ trì, phối hợp, "
        "thời hạn).",
        "Dòng 10: thiếu đơn vị chủ trì (cột 4).",
        "Dòng 12: nhiệm vụ 1.1 đã có ở dòng 11."]
    assert [t["id"] for t in data.tasks] == ["1.1", "1.2"] and data.tasks[0]["task"] == "Lặp số"


def test_the_period_and_its_day_come_from_the_report_or_its_explicit_lines():
    assert (parse_report(MINI).period, parse_report(MINI).report_date.isoformat()) == (
        "6 tháng đầu năm 2021", "2021-06-30")
    explicit = MINI.replace("PHỤ LỤC", "Kỳ kế hoạch: 6 tháng cuối năm 2026\nTình trạng tính đến ngày 15/10/2026\n"
                                       "PHỤ LỤC").replace("6 tháng đầu năm 2021", "quý III")
    data = parse_report(explicit)
    assert data.period == "6 tháng cuối năm 2026" and data.report_date.isoformat() == "2026-10-15"
    assert parse_report(explicit, period="Năm 2026").period == "Năm 2026"
    with pytest.raises(ReportError, match="Kỳ kế hoạch"):
        parse_report(MINI.replace("6 tháng đầu năm 2021", "quý III"))


def test_the_shipped_sample_is_read_whole():
    sample = parse_report((ROOT / "docs" / "mau-bao-cao-papi.txt").read_text(encoding="utf-8"))
    assert sample.problems == [] and sample.period == "6 tháng đầu năm 2026"
    assert sample.report_date is not None and sample.report_date.isoformat() == "2026-06-30"
    assert len(sample.areas) == 8 and len(sample.tasks) >= 10


def test_normalize_unit():
    assert normalize_unit("TCHCQT") == "Phòng TCHCQT"
    assert normalize_unit("Phòng TCHCQT.") == "Phòng TCHCQT"
    assert normalize_unit("Trung tâm Thông tin") == "Trung tâm Thông tin"
