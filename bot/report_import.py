"""Parse the office's PAPI report (appendix table: tab-separated, HTML in cells) and write tasks.yaml."""

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

from bot.deadlines import parse_deadline
from bot.textnorm import clean, tokens

COLUMNS = 6  # TT, task, output, lead unit, partner units, deadline
_ROMAN = re.compile(r"^(I|II|III|IV|V|VI|VII|VIII|IX|X)$")
_AREA_NAME = re.compile(r"^N[ộo]i dung\s*[“\"](.+?)[”\"]\s*$", re.IGNORECASE)
_HALF_YEAR = re.compile(r"6 tháng đầu năm (\d{4})", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[-–—\s]*$")
# Abbreviations and typos of unit names seen in reports, mapped to one spelling.
_UNIT_FIXES = {"Trung tâm PVHHC": "Trung tâm PVHCC", "Các, phòng, ban": "Các phòng, ban"}


_BLOCK_TAG = re.compile(r"<\s*/?\s*(p|ul|ol|li|br|div)\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]+>")
_RESULT = re.compile(r"\bKết quả\s*:", re.IGNORECASE)


def _bullets(line: str) -> list[str]:
    """Split "- A. - B" (bullets typed inline) into items; "2021 - 2025" and "57- UBND" stay whole."""
    cuts = [m.start() for m in re.finditer(r"(?<=[\s.;:])-\s+(?=\w)", line)
            if line[m.end():m.end() + 1].isupper()]
    if line.startswith("-"):
        cuts.insert(0, 0)
    if not cuts:
        return [line]
    parts = [line[:cuts[0]]] + [line[a:b] for a, b in zip(cuts, [*cuts[1:], len(line)], strict=True)]
    return [p.strip() for p in parts if p.strip(" -")]


def cell_text(cell: str) -> str:
    """A table cell's HTML fragment as clean text: one paragraph or "- " bullet per line."""
    text = _BLOCK_TAG.sub("\n", cell)
    text = html.unescape(_ANY_TAG.sub("", text)).replace("*", "")
    lines: list[str] = []
    for raw in text.split("\n"):
        for item in _bullets(clean(raw)) if raw.strip() else []:
            item = re.sub(r"^-\s*", "- ", item)
            lines.append(item)
    return "\n".join(lines).strip()


def split_result(text: str) -> tuple[str, str]:
    """Task text and the result reported after "Kết quả:" (empty when none)."""
    m = _RESULT.search(text)
    if not m:
        return text.strip(), ""
    return text[:m.start()].strip(), text[m.end():].strip()


def short_title(text: str, limit: int = 110) -> str:
    """The task's first sentence, cut at a word boundary to about `limit` characters."""
    first = text.split("\n")[0].strip().rstrip(".")
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


class ReportError(ValueError):
    """The file is not a PAPI report this importer can read; the message says why (Vietnamese)."""


@dataclass
class Row:
    """One task (or area) row with its continuation rows already merged in."""

    line: int
    cells: list[str]


@dataclass
class ReportData:
    """What the importer found: the report's date and title, its areas and tasks."""

    title: str
    report_date: dt.date
    areas: list[dict[str, object]] = field(default_factory=list)
    tasks: list[dict[str, object]] = field(default_factory=list)


def normalize_unit(unit: str) -> str:
    """One spelling per unit: a bare office code such as "TCHCQT" becomes "Phòng TCHCQT"."""
    unit = clean(unit).strip(" .;,")
    for wrong, right in _UNIT_FIXES.items():
        unit = unit.replace(wrong, right)
    if re.fullmatch(r"[A-ZĐ]{3,}", unit):
        unit = f"Phòng {unit}"
    return unit


def _report_date(text: str) -> dt.date:
    """The date the task statuses are judged at.

    The report covers "6 tháng đầu năm YYYY" and is dated "ngày … tháng … năm YYYY" with the
    day left blank; it cites documents of early June, so it was issued in June. Its statuses
    are therefore as of the end of that half-year, 30/6: a task due in Quý III is upcoming, one
    due in Quý I without a result is overdue.
    """
    m = _HALF_YEAR.search(text)
    if not m:
        raise ReportError("Không thấy kỳ báo cáo \"6 tháng đầu năm …\" trong tệp.")
    return dt.date(int(m[1]), 6, 30)


def _title(lines: list[str]) -> str:
    for i, line in enumerate(lines):
        if line.strip() == "BÁO CÁO":
            return next((clean(x) for x in lines[i + 1:] if x.strip()), "")
    return ""


def _continue(cell: str, more: str) -> str:
    """Join a cell and its continuation on the next page: mid-sentence text rejoins its line."""
    if not more.strip():
        return cell
    start = html.unescape(_ANY_TAG.sub("", more)).lstrip()
    if start[:1].islower() or start[:1].isdigit():
        # "… đôn đốc việc niêm</p>" + "yết Bộ TTHC…": one word split by the page break.
        return re.sub(r"(\s*<\s*/\s*p\s*>\s*)+$", "", cell) + " " + _ANY_TAG.sub("", more, count=0).strip()
    return f"{cell}<br>{more}"


def _table_rows(lines: list[str]) -> list[Row]:
    """Rows after the appendix header, continuation rows (empty first cell) merged upward."""
    start = next((i for i, line in enumerate(lines) if line.split("\t")[0].strip() == "TT"
                  and line.count("\t") >= COLUMNS - 1), None)
    if start is None:
        raise ReportError("Không tìm thấy bảng phụ lục (dòng tiêu đề bắt đầu bằng \"TT\", "
                          "các cột cách nhau bằng dấu tab).")
    rows: list[Row] = []
    for number, line in enumerate(lines[start + 1:], start + 2):
        if "\t" not in line:
            continue
        cells = (line.split("\t") + [""] * COLUMNS)[:COLUMNS]
        if all(_SEPARATOR.match(c) for c in cells):
            continue
        if cells[0].strip():
            rows.append(Row(number, cells))
        elif rows:
            # A row split across pages: its text continues the previous row's cells.
            rows[-1].cells = [_continue(a, b) for a, b in zip(rows[-1].cells, cells, strict=True)]
        else:
            raise ReportError(f"Dòng {number}: dòng tiếp nối nằm trước dòng nhiệm vụ đầu tiên.")
    return rows


def _area(row: Row) -> dict[str, object]:
    heading = cell_text(row.cells[1]).replace("\n", " ")
    m = _AREA_NAME.match(heading)
    name = m[1].strip() if m else heading
    if not name:
        raise ReportError(f"Dòng {row.line}: lĩnh vực {row.cells[0].strip()} không có tên.")
    return {"number": row.cells[0].strip(), "slug": "-".join(tokens(name)), "name": name}


def _task(row: Row, area: dict[str, object], index: int, year: int) -> dict[str, object]:
    number = int(row.cells[0].strip().rstrip("."))
    text, result = split_result(cell_text(row.cells[1]))
    deadline_text = cell_text(row.cells[5])
    deadline = parse_deadline(deadline_text, year)
    return {
        "id": f"{index}.{number}", "area": area["number"], "number": number,
        "title": short_title(text), "task": text, "result": result,
        "output": cell_text(row.cells[2]), "lead": normalize_unit(cell_text(row.cells[3])),
        "partners": [normalize_unit(p) for p in cell_text(row.cells[4]).split(";") if p.strip(" .")],
        "deadline": deadline_text,
        "due": deadline.due.isoformat() if deadline.due else None,
        "recurring": deadline.recurring,
    }


def parse_report(text: str) -> ReportData:
    """Parse a whole report; raises ReportError (Vietnamese message) when it is not one."""
    lines = text.replace("\r\n", "\n").split("\n")
    rows = _table_rows(lines)
    data = ReportData(_title(lines), _report_date(text))
    area: dict[str, object] | None = None
    for row in rows:
        first = row.cells[0].strip().rstrip(".")
        if _ROMAN.match(first):
            area = _area(row)
            data.areas.append(area)
        elif first.isdigit() and area is not None:
            data.tasks.append(_task(row, area, len(data.areas), data.report_date.year))
        else:
            raise ReportError(f"Dòng {row.line}: không hiểu số thứ tự \"{first[:20]}\" "
                              "(cần I–VIII hoặc 1, 2, …).")
    _validate(data)
    return data


def _validate(data: ReportData) -> None:
    if not data.tasks:
        raise ReportError("Bảng phụ lục không có nhiệm vụ nào.")
    seen: set[object] = set()
    for task in data.tasks:
        if task["id"] in seen:
            raise ReportError(f"Nhiệm vụ {task['id']} xuất hiện hai lần.")
        seen.add(task["id"])
        if not task["task"] or not task["lead"]:
            raise ReportError(f"Nhiệm vụ {task['id']} thiếu nội dung hoặc đơn vị chủ trì.")
    empty = [a["number"] for a in data.areas if not any(t["area"] == a["number"] for t in data.tasks)]
    if empty:
        raise ReportError(f"Lĩnh vực {', '.join(map(str, empty))} không có nhiệm vụ nào.")


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as readable `|` blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(data: ReportData, source: str, digest: str) -> str:
    """tasks.yaml text: deterministic, so the same report always gives the same bytes."""
    header = (f"# Sinh tự động bằng `papibot import-report` từ {source} (sha256 {digest[:16]}).\n"
              "# Không sửa tay: nhập lại báo cáo để cập nhật; tình trạng do cán bộ sửa "
              "nằm trong cơ sở dữ liệu.\n")
    body = {"title": data.title, "report_date": data.report_date.isoformat(),
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


def import_report(source: Path, out: Path) -> ReportData:
    """Parse `source` and, only if that succeeds, replace `out` with the new tasks.yaml."""
    try:
        raw = source.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise ReportError(f"Không đọc được tệp {source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ReportError(f"Tệp {source} không phải văn bản UTF-8.") from exc
    data = parse_report(text)
    write_atomic(out, to_yaml(data, source.name, hashlib.sha256(raw).hexdigest()))
    return data
