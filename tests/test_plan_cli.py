"""The plan on the command line, as an officer types it (`papibot plan`, `task`, `status`, `import-report`,
`report`), on SQLite and PostgreSQL; the PDF is read back page by page with pdftotext."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app import cli
from bot.kernel.config import Config

BOTH_BACKENDS = True
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "docs" / "mau-bao-cao-papi.txt"
REPORT_VARS = ("PAPIBOT_REPORT_NUMBER", "PAPIBOT_REPORT_DATE", "PAPIBOT_REPORT_SIGNER_TITLE",
               "PAPIBOT_REPORT_SIGNER_NAME", "PAPIBOT_REPORT_CHROMIUM")


@pytest.fixture
def papibot(config: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run `papibot ARGS…` in-process on the test's database; (exit status, standard output, standard error)."""
    monkeypatch.setenv("PAPIBOT_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("PAPIBOT_DB", config.db_url or str(config.db_path))
    monkeypatch.setenv("PAPIBOT_KNOWLEDGE", str(config.knowledge_dir))
    monkeypatch.delenv("PAPIBOT_CONFIG", raising=False)
    for name in REPORT_VARS:
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        seen = capsys.readouterr()
        return code, seen.out, seen.err
    return run


def test_periods_and_tasks_from_the_command_line(papibot) -> None:
    code, out, _ = papibot("plan", "list", "--today", "2026-08-01")
    assert code == 0 and "6 tháng cuối năm 2021 (đã kết thúc, đang dùng): 01/07/2021–31/12/2021, 31 nhiệm vụ" in out
    assert "tính đến 30/06/2021" in out
    code, out, _ = papibot("plan", "copy", "6 tháng cuối năm 2021", "6 tháng cuối năm 2026", "--today", "2026-08-01",
                           "--by", "cli:lan")
    assert code == 0 and "Đã tạo kỳ «6 tháng cuối năm 2026» (01/07/2026–31/12/2026), sao chép 31 nhiệm vụ" in out
    code, _, err = papibot("plan", "new", "6 tháng cuối năm 2026", "--today", "2026-08-01")
    assert code == 1 and "Đã có kỳ «6 tháng cuối năm 2026»" in err
    code, out, _ = papibot("task", "add", "--area", "8", "--text", "Triển khai trợ lý papibot trên Zalo", "--lead",
                           "Trung tâm Thông tin", "--partners", "Phòng KSTTHC; Trung tâm PVHCC", "--deadline",
                           "Quý IV/2026", "--today", "2026-08-01", "--by", "cli:lan")
    assert code == 0 and "Đã thêm nhiệm vụ 8.2 vào kỳ «6 tháng cuối năm 2026»" in out
    code, out, _ = papibot("task", "edit", "8.2", "--status", "xong", "--note", "Đã chạy thử", "--evidence",
                           "https://sonla.gov.vn/papibot", "--today", "2026-08-03", "--by", "cli:minh")
    assert code == 0 and "Đã cập nhật nhiệm vụ 8.2" in out
    code, out, _ = papibot("task", "--json", "8.2", "--today", "2026-08-03")
    task = json.loads(out)
    assert task["status"] == "done" and task["status_on"] == "2026-08-03" and task["status_by"] == "cli:minh"
    assert task["partners"] == ["Phòng KSTTHC", "Trung tâm PVHCC"] and task["due"] == "2026-12-31"
    assert {(h["field"], h["new"], h["changed_by"]) for h in task["history"]} >= {
        ("status", "done", "cli:minh"), ("note", "Đã chạy thử", "cli:minh"), ("created", "thêm mới", "cli:lan")}
    code, out, _ = papibot("status", "--json", "--today", "2026-08-03")
    now = json.loads(out)
    assert now["period"]["name"] == "6 tháng cuối năm 2026" and now["as_of"] == "2026-08-03"
    assert now["period"]["current"]
    code, out, _ = papibot("status", "--json", "--period", "6 tháng cuối năm 2021", "--today", "2026-08-03")
    then = json.loads(out)
    assert then["as_of"] == "2021-06-30" and then["period"]["past"] and then["report_date"] == "2021-06-30"
    code, out, _ = papibot("status", "8", "--today", "2026-08-03")
    assert code == 0 and "Kế hoạch 6 tháng cuối năm 2026 · tình trạng tính đến 03/08/2026" in out
    code, _, err = papibot("task", "edit", "8.2", "--evidence", "ftp://x", "--today", "2026-08-03")
    assert code == 1 and "minh chứng" in err
    code, _, err = papibot("status", "--period", "Quý V", "--today", "2026-08-03")
    assert code == 2 and "không có kỳ «Quý V»" in err and "6 tháng cuối năm 2026" in err
    code, _, err = papibot("task", "edit", "9.9", "--status", "done", "--today", "2026-08-03")
    assert code == 1 and "không có nhiệm vụ «9.9»" in err


def test_import_report_says_where_the_plan_goes_and_which_rows_it_could_not_read(papibot, config, tmp_path,
                                                                                 capsys) -> None:
    with pytest.raises(SystemExit) as done:
        papibot("import-report", "--help")
    assert done.value.code == 0
    flat = " ".join(capsys.readouterr().out.split())
    assert "into the plan period the report names, in the database (PAPIBOT_DB); no file is written unless" in flat
    assert "docs/plan-import.md" in flat
    broken = tmp_path / "bao-cao.txt"
    broken.write_text(SAMPLE.read_text(encoding="utf-8").replace(
        "Trung tâm PVHCC\tPhòng Quản trị - Tài vụ\tTháng 05/2026", "Trung tâm PVHCC"), encoding="utf-8")
    code, out, err = papibot("import-report", str(broken), "--today", "2026-07-02", "--by", "cli:lan")
    assert code == 1
    assert ("Đã nhập vào kỳ «6 tháng đầu năm 2026» (01/01/2026–30/06/2026, kỳ mới), tình trạng tính đến "
            "30/06/2026") in out
    assert "trong cơ sở dữ liệu" in out and "thêm 11, cập nhật 0 nhiệm vụ" in out
    line = next(i for i, text in enumerate(broken.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("1\tNâng cấp trang thiết bị"))
    assert f"Không đọc được Dòng {line}: có 4 cột, cần 6 cột cách nhau bằng dấu tab" in err
    nothing = tmp_path / "thu-moi.txt"
    nothing.write_text("Kính mời đồng chí dự họp.\n", encoding="utf-8")
    code, _, err = papibot("import-report", str(nothing), "--today", "2026-07-02")
    assert code == 2 and "Không tìm thấy bảng phụ lục" in err and "Cơ sở dữ liệu không bị thay đổi" in err
    code, out, _ = papibot("plan", "list", "--json", "--today", "2026-07-02")
    assert [p["name"] for p in json.loads(out)] == ["6 tháng cuối năm 2021", "6 tháng đầu năm 2026"]
    assert not (config.data_dir / "tasks.yaml").exists()


def test_the_report_carries_the_configured_number_date_and_signer_or_leaves_them_blank(
        papibot, monkeypatch, tmp_path) -> None:
    out = tmp_path / "bao-cao.html"
    code, said, _ = papibot("report", "--format", "html", "--out", str(out), "--today", "2026-08-03")
    assert code == 0 and "Đã ghi báo cáo kế hoạch «6 tháng cuối năm 2021» (tính đến 30/06/2021)" in said
    html = out.read_text(encoding="utf-8")
    assert 'Số: <span class="blank"></span>/BC-VPUB' in html and "CHÁNH VĂN PHÒNG" not in html
    assert re.search(r"ngày <span class=\"blank short\"></span> tháng <span class=\"blank short\"></span> năm 2026",
                     html)
    monkeypatch.setenv("PAPIBOT_REPORT_NUMBER", "125/BC-VPUB")
    monkeypatch.setenv("PAPIBOT_REPORT_DATE", "2026-08-03")
    monkeypatch.setenv("PAPIBOT_REPORT_SIGNER_TITLE", "Chánh Văn phòng")
    monkeypatch.setenv("PAPIBOT_REPORT_SIGNER_NAME", "Nguyễn Văn An")
    code, _, _ = papibot("report", "--format", "html", "--out", str(out), "--today", "2026-08-03")
    html = out.read_text(encoding="utf-8")
    assert code == 0 and "Số: 125/BC-VPUB" in html and "Sơn La, ngày 03 tháng 08 năm 2026" in html
    assert "CHÁNH VĂN PHÒNG" in html and "Nguyễn Văn An" in html
    monkeypatch.setenv("PAPIBOT_REPORT_DATE", "03/08/2026")
    code, _, err = papibot("report", "--format", "html", "--today", "2026-08-03")
    assert code == 2 and "PAPIBOT_REPORT_DATE" in err


@pytest.mark.sqlite_only
def test_without_chromium_the_pdf_is_refused_in_vietnamese(papibot, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PAPIBOT_REPORT_CHROMIUM", str(tmp_path / "khong-co-chromium"))
    code, _, err = papibot("report", "--format", "pdf", "--out", str(tmp_path / "r.pdf"))
    assert code == 2 and "Không tìm thấy trình duyệt Chromium để in PDF" in err and "apt-get install" in err
    assert not (tmp_path / "r.pdf").exists()
    code, _, err = papibot("report", "--format", "pdf")
    assert code == 2 and "--out" in err


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext), whitespace folded."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def needs_pdf_tools() -> None:
    """Chromium prints and pdftotext reads; both are installed in CI (.ci/run)."""
    import os
    missing = [name for name in ("chromium", "pdftotext") if shutil.which(name) is None]
    if missing:
        message = f"the PDF test needs {' and '.join(missing)} (apt-get install chromium poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def check_printed(pages: list[str]) -> None:
    """Page numbers on every page, the agency header on page 1 only, the task table's header on every page
    it runs over, and no task's row split between two pages."""
    assert len(pages) >= 3
    for number, page in enumerate(pages, 1):
        assert f"Trang {number}/{len(pages)}" in page, (number, page[-200:])
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pages[0] and "ỦY BAN NHÂN DÂN TỈNH SƠN LA" in pages[0]
    assert not any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA" in page for page in pages[1:])
    first = next(i for i, page in enumerate(pages) if "Kết quả thực hiện từng nhiệm vụ" in page)
    last = max(i for i, page in enumerate(pages) if "Quản trị điện tử" in page and i >= first)
    assert last > first and all("Nhiệm vụ cụ thể" in pages[i] for i in range(first, last + 1))


@pytest.mark.sqlite_only
def test_the_report_prints_to_pdf_with_page_numbers_header_and_repeated_table_headers(papibot, tmp_path) -> None:
    needs_pdf_tools()
    out = tmp_path / "bao-cao.pdf"
    code, said, err = papibot("report", "--format", "pdf", "--out", str(out), "--today", "2026-08-03")
    assert code == 0, err
    assert out.read_bytes().startswith(b"%PDF") and "bao-cao.pdf" in said
    pages = pdf_pages(out)
    check_printed(pages)
    # A long row stays on one page: its task's first words and its result's last words are printed together.
    for start, end in (("Phối hợp với các sở, ban, ngành tham gia xây dựng", "lĩnh vực PCCC và cứu hộ cứu nạn"),
                       ("Triển khai hiệu quả", "còn 2 câu đang chờ trả lời")):
        assert [i for i, p in enumerate(pages) if start in p] == [i for i, p in enumerate(pages) if end in p] != []
