"""Plan subcommands of the `papibot` CLI: `plan new|copy|list` and `task add|edit`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Awaitable, Callable

from app.commands.support import period_id, print_json, who, with_staff
from bot.kernel.config import Config
from bot.papi.deadlines import parse_status
from bot.papi.plan import ROMAN, split_partners
from bot.usecases.planning import PlanOutcome, TaskDraft
from bot.usecases.staff import StaffService, area_dict, period_dict

Dated = Callable[[argparse.ArgumentParser], None]


def _area(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip().upper().rstrip(".")
    return ROMAN[int(value) - 1] if value.isdigit() and 1 <= int(value) <= len(ROMAN) else value


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def draft_of(args: argparse.Namespace) -> TaskDraft | str:
    """The task fields given on the command line, or what is wrong with them."""
    status = None
    if args.status is not None:
        status = parse_status(args.status)
        if status is None:
            return f"Tình trạng «{args.status}» không hợp lệ (done, ongoing, upcoming, overdue, hoặc: xong, đang làm…)."
    try:
        due = _date(args.due)
    except ValueError:
        return f"Hạn «{args.due}» không phải ngày YYYY-MM-DD."
    partners = split_partners(args.partners) if args.partners is not None else None
    return TaskDraft(area=_area(args.area), task=args.text, lead=args.lead, partners=partners, output=args.output,
                     deadline=args.deadline, due=due, clear_due=args.due == "", status=status, note=args.note,
                     evidence=args.evidence, result=args.result)


def _said(outcome: PlanOutcome) -> int:
    print(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)
    for warning in outcome.warnings:
        print(f"Lưu ý: {warning}")
    return 0 if outcome.ok else 1


def cmd_task_change(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`papibot task add …` and `papibot task edit ID …`, in the current period or --period."""
    async def work(staff: StaffService) -> int:
        draft = draft_of(args)
        if isinstance(draft, str):
            print(f"papibot task: {draft}", file=sys.stderr)
            return 2
        view = await staff.plan.view(await period_id(staff.plan, args))
        if view is None:
            print("papibot task: chưa có kỳ kế hoạch nào (papibot plan new …).", file=sys.stderr)
            return 1
        if args.words[0] == "add":
            return _said(await staff.plan.add_task(who(args), view.period.id, draft))
        if len(args.words) < 2:
            print("papibot task edit: cần số nhiệm vụ, ví dụ: papibot task edit 8.1 --status done", file=sys.stderr)
            return 2
        task = await staff.plan.task_by_code(args.words[1], view.period.id)
        if task is None:
            print(f"papibot task: kỳ «{view.period.name}» không có nhiệm vụ «{args.words[1][:20]}».", file=sys.stderr)
            return 1
        return _said(await staff.plan.edit_task(who(args), task.id, draft))
    return with_staff(config, args, work)


def task_options(p: argparse.ArgumentParser) -> None:
    """The fields `task add` and `task edit` take."""
    g = p.add_argument_group("task add / task edit", "fields of the task (edit: only those given change)")
    g.add_argument("--area", help="the PAPI area: its Roman number or position (VIII or 8)")
    g.add_argument("--text", help="what the task is")
    g.add_argument("--lead", help="the lead unit")
    g.add_argument("--partners", help="coordinating units, separated by ';'")
    g.add_argument("--output", help="the expected output")
    g.add_argument("--deadline", help="the deadline as the plan writes it (e.g. 'Quý III/2026')")
    g.add_argument("--due", metavar="YYYY-MM-DD", help="the due date ('' clears it; add: read from --deadline)")
    g.add_argument("--status", help="done, ongoing, upcoming, overdue (or xong, đang làm, quá hạn…)")
    g.add_argument("--note", help="a note on the status")
    g.add_argument("--evidence", metavar="URL", help="a link to the evidence (http:// or https://)")
    g.add_argument("--result", help="the result achieved")
    g.add_argument("--by", help="who changes it, written into the history (default cli:<user>)")


def cmd_plan(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`papibot plan list|new|copy`."""
    async def work(staff: StaffService) -> int:
        plan = staff.plan
        if args.plan_cmd == "list":
            rows = []
            for period in await plan.periods():
                view = await plan.view(period.id)
                if view is not None:
                    areas = [area_dict(view, a) for a in view.areas]
                    rows.append({**period_dict(view), "tasks": len(view.tasks),
                                 "done": sum(a["done"] for a in areas), "overdue": sum(a["overdue"] for a in areas)})
            if args.json:
                print_json(rows)
            for r in [] if args.json else rows:
                marks = [m for m, on in (("đã kết thúc", r["past"]), ("đang dùng", r["current"])) if on]
                mark = f" ({', '.join(marks)})" if marks else ""
                print(f"{r['id']}. {r['name']}{mark}: {r['span']}, {r['tasks']} nhiệm vụ, hoàn thành {r['done']}, "
                      f"quá hạn {r['overdue']}, tình trạng tính đến {r['as_of_text']}")
            return 0
        source = args.source if args.plan_cmd == "copy" else args.copy_from
        copy_from = None
        if source:
            found = await plan.find_period(source)
            if found is None:
                print(f"papibot plan: không có kỳ «{source}».", file=sys.stderr)
                return 1
            copy_from = found.id
        try:
            starts, ends = _date(args.starts), _date(args.ends)
        except ValueError:
            print("papibot plan: --from và --to là ngày YYYY-MM-DD.", file=sys.stderr)
            return 2
        return _said(await plan.create_period(who(args), args.name, starts, ends, copy_from))
    return with_staff(config, args, work)


def register_plan(sub: argparse._SubParsersAction[argparse.ArgumentParser], dated: Dated) -> None:
    """Add `papibot plan list|new|copy`."""
    plan = sub.add_parser("plan", help="PAPI plan periods: list, new, copy tasks into a new one").add_subparsers(
        dest="plan_cmd", required=True)
    p = plan.add_parser("list", help="every period with its dates, tasks and 'as of' day")
    p.add_argument("--json", action="store_true")
    dated(p)
    p.set_defaults(func=cmd_plan)
    p = plan.add_parser("new", help="a new period, e.g. \"6 tháng cuối năm 2026\" (dates from the name)")
    p.add_argument("name")
    p.add_argument("--copy-from", metavar="PERIOD", help="copy the tasks of this period (name or number)")
    p = plan.add_parser("copy", help="a new period with the tasks of an earlier one (years moved on, no results)")
    p.add_argument("source", metavar="FROM", help="the period to copy (name or number)")
    p.add_argument("name", help="the new period's name")
    for q in (plan.choices["new"], plan.choices["copy"]):
        q.add_argument("--from", dest="starts", metavar="YYYY-MM-DD", help="first day (default: from the name)")
        q.add_argument("--to", dest="ends", metavar="YYYY-MM-DD", help="last day (default: from the name)")
        q.add_argument("--by", help="who creates it (default cli:<user>)")
        dated(q)
        q.set_defaults(func=cmd_plan, copy_from=None)
