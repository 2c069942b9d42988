"""Survey figures: responses, each element's mean on the 1–5 scale with its number of answers, by month; CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.papi.survey_form import Survey

FEW = 10  # fewer answers than this in a month: shown, but marked as too few to read a trend from
SCALE = ("1", "2", "3", "4", "5")


def _element_figures(survey: Survey, rows: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for element in survey.elements:
        ids = {q.id for q in survey.questions if q.element == element.key}
        values = [int(a[q]) for a in rows for q in ids if a.get(q) in SCALE]
        out[element.key] = {"mean": round(sum(values) / len(values), 2) if values else None, "n": len(values),
                            "levels": {v: sum(1 for x in values if str(x) == v) for v in SCALE}}
    return out


def survey_stats(survey: Survey, answers: list[tuple[str, dict[str, str]]]) -> dict[str, Any]:
    """{"responses": N, "elements": {key: {"mean", "n"}}, "by_month": {"YYYY-MM": {...}}, "screening": {...}}."""
    def plain(figures: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {k: {"mean": v["mean"], "n": v["n"]} for k, v in figures.items()}

    months = sorted({m for m, _ in answers})
    by_month = {}
    for month in months:
        rows = [a for m, a in answers if m == month]
        by_month[month] = {"responses": len(rows), "elements": plain(_element_figures(survey, rows))}
    screening = {q.id: {o.id: sum(1 for _, a in answers if a.get(q.id) == o.id) for o in q.options}
                 for q in survey.questions if q.options}
    return {"responses": len(answers), "elements": plain(_element_figures(survey, [a for _, a in answers])),
            "by_month": by_month, "screening": screening}


def survey_csv(survey: Survey, answers: list[tuple[str, dict[str, str]]]) -> str:
    """Per month and element: answers, mean and how many chose each level (UTF-8 with a BOM for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["thang", "yeu_to", "ten_yeu_to", "so_cau_tra_loi", "diem_trung_binh",
                     *(f"muc_{v}" for v in SCALE), "linh_vuc_papi"])
    months = sorted({m for m, _ in answers})
    for month in [*months, "tong"]:
        rows = [a for m, a in answers if m == month or month == "tong"]
        for element in survey.elements:
            figures = _element_figures(survey, rows)[element.key]
            mean = "" if figures["mean"] is None else f"{figures['mean']:.2f}"
            writer.writerow([month, element.key, element.name, figures["n"], mean,
                             *(figures["levels"][v] for v in SCALE), " ".join(str(n) for n in element.informs)])
    return "\ufeff" + out.getvalue()


def month_label(month: str) -> str:
    """"2026-03" as "03/2026"."""
    year, _, number = month.partition("-")
    return f"{number}/{year}" if number else month
