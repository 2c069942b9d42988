"""Parse the office's PAPI report (appendix table: tab-separated, HTML in cells): the plan's period, the day its
statuses hold for, its areas and tasks, and each row that could not be read with the reason (docs/plan-import.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.papi.cells import ANY_TAG, cell_text, normalize_unit, short_title, split_result
from bot.papi.deadlines import parse_deadline
from bot.papi.plan import area_index, area_slug, period_span
from bot.understanding.text import clean

COLUMNS = 6  # TT, task, output, lead unit, partner units, deadline
COLUMN_NAMES = "TT, nhiệm vụ, sản phẩm đầu ra, chủ trì, phối hợp, thời hạn"
_ROMAN = re.compile(r"^(I|II|III|IV|V|VI|VII|VIII|IX|X)$")
_AREA_NAME = re.compile(r"^N[ộo]i dung\s*[“\"](.+?)[”\"]\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[-–—\s]*$")
_PERIOD_LINE = re.compile(r"^\s*Kỳ kế hoạch\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_AS_OF_LINE = re.compile(r"^\s*Tình trạng tính đến ngày\s+(\d{1,2})/(\d{1,2})/(\d{4})", re.IGNORECASE | re.MULTILINE)
_PERIOD_PHRASE = re.compile(r"6 tháng (?:đầu|cuối) năm \d{4}|[Qq]uý [IVX]+/\d{4}|[Nn]ăm \d{4}")
_HALF_YEAR = re.compile(r"6 tháng đầu năm (\d{4})", re.IGNORECASE)
_DATED = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")


class ReportError(ValueError):
    """The file is not a PAPI report this importer can read; the message says why (Vietnamese)."""

    def __init__(self, message: str, problems: list[RowProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class RowProblem:
    """A row of the table that was not imported, and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"Dòng {self.line}: {self.reason}"


@dataclass
class Row:
    """One task (or area) row with its continuation rows already merged in; `broken` rows are skipped."""

    line: int
    cells: list[str]
    broken: bool = False


@dataclass
class ReportData:
    """What the importer found: the plan's period and title, the day its statuses hold for, areas and tasks."""

    title: str
    report_date: dt.date | None
    period: str = ""
    areas: list[dict[str, object]] = field(default_factory=list)
    tasks: list[dict[str, object]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _as_of(text: str) -> dt.date | None:
    """The day the statuses hold for: a line "Tình trạng tính đến ngày dd/mm/yyyy"; else the end of the
    half-year whose results the report gives ("6 tháng đầu năm YYYY": 30/6, the 2021 report's case, dated in
    June with the day left blank); else the report's own date when it is filled in; else None."""
    for pattern in (_AS_OF_LINE, _HALF_YEAR, _DATED):
        m = pattern.search(text)
        if m is None:
            continue
        try:
            return dt.date(int(m[1]), 6, 30) if pattern is _HALF_YEAR else dt.date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            continue
    return None


def _title(lines: list[str]) -> str:
    for i, line in enumerate(lines):
        if line.strip() == "BÁO CÁO":
            return next((clean(x) for x in lines[i + 1:] if x.strip()), "")
    return ""


def _period(text: str, title: str) -> str:
    """The plan's period: a line "Kỳ kế hoạch: …", else the last period the title names ("… Nhiệm vụ trọng
    tâm 6 tháng cuối năm 2021" → "6 tháng cuối năm 2021")."""
    m = _PERIOD_LINE.search(text)
    if m:
        return clean(m[1])
    named = _PERIOD_PHRASE.findall(title)
    if not named:
        return ""
    last = str(named[-1])
    return last[0].upper() + last[1:] if last.lower().startswith("năm") else last


def _continue(cell: str, more: str) -> str:
    """Join a cell and its continuation on the next page: mid-sentence text rejoins its line."""
    if not more.strip():
        return cell
    start = html.unescape(ANY_TAG.sub("", more)).lstrip()
    if start[:1].islower() or start[:1].isdigit():
        # "… đôn đốc việc niêm</p>" + "yết Bộ TTHC…": one word split by the page break.
        return re.sub(r"(\s*<\s*/\s*p\s*>\s*)+$", "", cell) + " " + ANY_TAG.sub("", more, count=0).strip()
    return f"{cell}<br>{more}"


def _table_rows(lines: list[str], problems: list[RowProblem]) -> list[Row]:
    """Rows after the appendix header, continuation rows (empty first cell) merged upward."""
    start = next((i for i, line in enumerate(lines) if line.split("\t")[0].strip() == "TT"
                  and line.count("\t") >= COLUMNS - 1), None)
    if start is None:
        raise ReportError("Không tìm thấy bảng phụ lục (dòng tiêu đề bắt đầu bằng \"TT\", "
                          f"{COLUMNS} cột cách nhau bằng dấu tab: {COLUMN_NAMES}).")
    rows: list[Row] = []
    for number, line in enumerate(lines[start + 1:], start + 2):
        if "\t" not in line:
            continue
        raw = line.split("\t")
        if all(_SEPARATOR.match(c) for c in raw):
            continue
        if len(raw) < COLUMNS or any(c.strip() for c in raw[COLUMNS:]):
            problems.append(RowProblem(number, f"có {len(raw)} cột, cần {COLUMNS} cột cách nhau bằng dấu tab "
                                               f"({COLUMN_NAMES})."))
            if raw[0].strip() or not rows:
                rows.append(Row(number, [], broken=True))
            continue
        cells = raw[:COLUMNS]
        if cells[0].strip():
            rows.append(Row(number, cells))
        elif not rows:
            problems.append(RowProblem(number, "dòng tiếp nối (cột TT trống) nằm trước dòng nhiệm vụ đầu tiên."))
        elif not rows[-1].broken:
            # A row split across pages: its text continues the previous row's cells.
            rows[-1].cells = [_continue(a, b) for a, b in zip(rows[-1].cells, cells, strict=True)]
    return rows


def _area(row: Row) -> dict[str, object] | None:
    heading = cell_text(row.cells[1]).replace("\n", " ")
    m = _AREA_NAME.match(heading)
    name = m[1].strip() if m else heading
    if not name:
        return None
    return {"number": row.cells[0].strip(), "slug": area_slug(name), "name": name}


def _task(row: Row, area: dict[str, object], year: int) -> dict[str, object]:
    number = int(row.cells[0].strip().rstrip("."))
    text, result = split_result(cell_text(row.cells[1]))
    deadline_text = cell_text(row.cells[5])
    deadline = parse_deadline(deadline_text, year)
    return {
        "id": f"{area_index(str(area['number']))}.{number}", "area": area["number"], "number": number,
        "title": short_title(text), "task": text, "result": result,
        "output": cell_text(row.cells[2]), "lead": normalize_unit(cell_text(row.cells[3])),
        "partners": [normalize_unit(p) for p in cell_text(row.cells[4]).split(";") if p.strip(" .")],
        "deadline": deadline_text,
        "due": deadline.due.isoformat() if deadline.due else None,
        "recurring": deadline.recurring,
    }


def _row_task(row: Row, area: dict[str, object] | None, year: int, seen: dict[object, int]) -> dict[str, object] | str:
    """The task of a numbered row, or why it cannot be read."""
    if area is None:
        return "nhiệm vụ nằm trước dòng lĩnh vực (I, II, …) hoặc dưới một lĩnh vực không có tên."
    task = _task(row, area, year)
    if not task["task"]:
        return "thiếu nội dung nhiệm vụ (cột 2)."
    if not task["lead"]:
        return "thiếu đơn vị chủ trì (cột 4)."
    if task["id"] in seen:
        return f"nhiệm vụ {task['id']} đã có ở dòng {seen[task['id']]}."
    seen[task["id"]] = row.line
    return task


def parse_report(text: str, period: str | None = None, default_year: int | None = None) -> ReportData:
    """Parse a whole report into the period it names (or `period`); rows that cannot be read are listed in
    `problems`; raises ReportError (Vietnamese message) when it is not a report at all."""
    lines = text.replace("\r\n", "\n").split("\n")
    problems: list[RowProblem] = []
    rows = _table_rows(lines, problems)
    title = _title(lines)
    name = clean(period or "") or _period(text, title)
    if not name:
        raise ReportError("Không thấy kỳ kế hoạch trong tệp: thêm dòng \"Kỳ kế hoạch: 6 tháng cuối năm 2026\" "
                          "(hoặc ghi kỳ ở cuối dòng tên báo cáo), hoặc dùng --period.")
    data = ReportData(title, _as_of(text), name, problems=problems)
    span = period_span(name)
    year = span[1].year if span else data.report_date.year if data.report_date else default_year or 2000
    area: dict[str, object] | None = None
    seen: dict[object, int] = {}
    for row in rows:
        if row.broken:
            continue
        first = row.cells[0].strip().rstrip(".")
        if _ROMAN.match(first):
            area = _area(row)
            if area is None:
                problems.append(RowProblem(row.line, f"lĩnh vực {first} không có tên (cột 2)."))
            else:
                data.areas.append(area)
        elif first.isdigit():
            task = _row_task(row, area, year, seen)
            if isinstance(task, str):
                problems.append(RowProblem(row.line, task))
            else:
                data.tasks.append(task)
        else:
            problems.append(RowProblem(row.line, f"không hiểu số thứ tự «{first[:20]}» (cần I, II, … cho "
                                                 "lĩnh vực, 1, 2, … cho nhiệm vụ)."))
    if not data.tasks:
        raise ReportError("Bảng phụ lục không có nhiệm vụ nào đọc được.", problems)
    problems.sort(key=lambda p: p.line)
    return data


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as readable `|` blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(data: ReportData, source: str, digest: str) -> str:
    """tasks.yaml text: deterministic, so the same report always gives the same bytes."""
    header = (f"# Sinh tự động bằng `papibot import-report --yaml` từ {source} (sha256 {digest[:16]}).\n"
              "# Không sửa tay. Cơ sở dữ liệu mới chưa có kế hoạch nào thì nhận kế hoạch này làm kỳ đầu tiên;\n"
              "# sau đó kế hoạch nằm trong cơ sở dữ liệu (papibot import-report, papibot plan, bảng điều khiển).\n")
    body = {"title": data.title, "period": data.period,
            "report_date": data.report_date.isoformat() if data.report_date else None,
            "areas": data.areas, "tasks": data.tasks}
    return header + yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and os.replace: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_report(source: Path, period: str | None = None, default_year: int | None = None) -> tuple[ReportData, str]:
    """Read and parse a report file; the data and its sha256 (ReportError when it cannot be read)."""
    try:
        raw = source.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise ReportError(f"Không đọc được tệp {source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ReportError(f"Tệp {source} không phải văn bản UTF-8.") from exc
    return parse_report(text, period, default_year), hashlib.sha256(raw).hexdigest()


def import_report(source: Path, out: Path) -> ReportData:
    """Parse `source` and, only if that succeeds, replace `out` with its tasks.yaml (the shipped first plan)."""
    data, digest = read_report(source)
    write_atomic(out, to_yaml(data, source.name, digest))
    return data
