"""Staff subcommands of the `papibot` CLI: import-report, check, status, task, counts, report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable
from pathlib import Path

from app.commands import plan as cli_plan
from app.commands.support import CONSOLE, period_id, print_json, today_of, where, who, with_staff
from bot.kernel.config import Config
from bot.kernel.registry import REGISTRY
from bot.kernel.render import to_plain
from bot.papi.figures import MetricsError, check_metrics, check_text, load_metrics
from bot.papi.pdf import PdfError, find_chromium, html_to_pdf
from bot.papi.report_import import ReportError
from bot.usecases.outcomes import succeeded
from bot.usecases.report_doc import Signing, report_data, report_html
from bot.usecases.staff import StaffService
from handlers import render_staff as say_staff


def cmd_import(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """Read a report into the plan period it names, in the database; list each row that could not be read."""
    async def work(staff: StaffService) -> int:
        try:
            counts, data = await staff.plan.import_report(who(args), Path(args.file), args.period)
        except ReportError as exc:
            print(f"papibot import-report: {exc} Cơ sở dữ liệu không bị thay đổi.", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return 2
        if args.yaml:
            from bot.papi.report_import import import_report
            import_report(Path(args.file), Path(args.yaml))
        p = counts.period
        day = f"{data.report_date:%d/%m/%Y}" if data.report_date else f"ngày nhập {today_of(args):%d/%m/%Y} " \
              "(báo cáo không ghi ngày)"
        print(f"Đã nhập vào kỳ «{p.name}» ({p.span_text()}{', kỳ mới' if counts.created else ''}), tình trạng tính "
              f"đến {day}, trong cơ sở dữ liệu {where(config)}: thêm {len(counts.added)}, cập nhật "
              f"{len(counts.updated)} nhiệm vụ.")
        if counts.kept_status:
            print(f"Giữ tình trạng cán bộ đã ghi: {', '.join(counts.kept_status)}.")
        if counts.not_in_report:
            print(f"Có trong kỳ nhưng không có trong báo cáo (giữ nguyên): {', '.join(counts.not_in_report)}.")
        for problem in data.problems:
            print(f"Không đọc được {problem}", file=sys.stderr)
        return 1 if data.problems else 0
    return with_staff(config, args, work)


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    """Warn of doubtful officers' destinations, then list every discrepancy in the report's figures; exit 1 only
    with --strict (and only for the figures)."""
    for warning in REGISTRY.place_warnings(config):
        print(f"Cảnh báo (PAPIBOT_ADMIN_CHAT_ID): {warning}")
    try:
        metrics = load_metrics(config.staff_file("metrics.yaml"))
        found = check_metrics(metrics)
        if args.file:
            found += check_text(metrics, Path(args.file).read_text(encoding="utf-8"))
    except (MetricsError, OSError, UnicodeDecodeError) as exc:
        print(f"papibot check: {exc}", file=sys.stderr)
        return 2
    for number, d in enumerate(found, 1):
        print(f"{number}. [{d.kind}] {d.message}")
    print(f"{len(found)} chỗ chênh lệch." if found else "Số liệu khớp: không có chênh lệch.")
    return 1 if found and args.strict else 0


def cmd_status(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`papibot status [--json] [--period P] [AREA]`."""
    async def work(staff: StaffService) -> int:
        pid = await period_id(staff.plan, args)
        if args.json or pid is not None:
            data = await staff.status_data(args.area or "", pid)
            if args.json:
                print_json(data)
            else:
                print(to_plain(staff.renderer.render("status.html" if "areas" in data else "area.html", **data))
                      if "areas" in data or "area" in data else "Không tìm thấy lĩnh vực.")
            return 1 if "candidates" in data or data["period"] is None else 0
        outcome = await staff.status(CONSOLE, args.area or "")
        print(to_plain(say_staff.status(staff.renderer, outcome).text))
        return 0 if succeeded(outcome) else 1
    return with_staff(config, args, work)


def cmd_task(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`papibot task [--json] [--period P] ID`, and `papibot task add|edit …` (app/commands/plan.py)."""
    if args.words[0] in ("add", "edit"):
        return cli_plan.cmd_task_change(args, config)

    async def work(staff: StaffService) -> int:
        pid = await period_id(staff.plan, args)
        data = await staff.task_data(args.words[0], pid)
        if data is not None and (args.json or pid is not None):
            if args.json:
                data["history"] = [vars(c) for c in await staff.storage.plan.changes(int(data["row"]))]
                print_json(data)
            else:
                print(to_plain(staff.renderer.render("task.html", task=data, period=data["period_info"])))
            return 0
        reply = say_staff.task(staff.renderer, await staff.task(CONSOLE, args.words[0]))
        print(to_plain(reply.text), file=sys.stdout if data else sys.stderr)
        return 0 if data else 1
    return with_staff(config, args, work)


def cmd_counts(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`papibot counts [--json] [TOPIC]`."""
    async def work(staff: StaffService) -> int:
        if args.json:
            print_json(await staff.counts_data(args.topic or ""))
        else:
            print(to_plain(say_staff.counts(staff.renderer, await staff.counts(CONSOLE, args.topic or "")).text))
        return 0
    return with_staff(config, args, work)


def cmd_report(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`papibot report --format md|html|pdf [--out FILE] [--period P]`: the report a leader signs."""
    async def work(staff: StaffService) -> int:
        if args.format == "pdf" and not args.out:
            print("papibot report: --format pdf cần --out TỆP.pdf.", file=sys.stderr)
            return 2
        data = await report_data(staff, Signing.from_config(config), await period_id(staff.plan, args))
        if data is None:
            print(to_plain(say_staff.notice(staff.renderer, "no_plan").text), file=sys.stderr)
            return 1
        if args.format == "md":
            text = staff.renderer.render_plain("report.md", **data)
        else:
            text = report_html(staff.renderer, data, standalone=True)
        if args.format == "pdf":
            try:
                Path(args.out).write_bytes(await html_to_pdf(text, find_chromium(config.report_chromium)))
            except PdfError as exc:
                print(f"papibot report: {exc}", file=sys.stderr)
                return 2
        elif args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
        if args.out:
            print(f"Đã ghi báo cáo kế hoạch «{data['period']['name']}» (tính đến {data['as_of_text']}) vào "
                  f"{args.out}.")
        return 0
    return with_staff(config, args, work)


def _dated(p: argparse.ArgumentParser) -> None:
    p.add_argument("--today", metavar="YYYY-MM-DD", help="judge due dates on this day (default: today in Vietnam)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the staff subcommands to the main parser."""
    p = sub.add_parser(
        "import-report", help="read the office's PAPI report into the plan period it names, in the database",
        description="Reads the report's appendix (format: docs/plan-import.md; sample: docs/mau-bao-cao-papi.txt) "
                    "into the plan period the report names, in the database (PAPIBOT_DB); no file is written "
                    "unless --yaml. Each row that cannot be read is listed with its line and the reason (exit "
                    "status 1); statuses officers recorded are kept.")
    p.add_argument("file", help="the report as UTF-8 text (appendix table tab-separated)")
    p.add_argument("--period", help="import into this period instead of the one the report names")
    p.add_argument("--yaml", metavar="FILE", help="also write the parsed plan as a tasks.yaml (how the shipped "
                                                  "knowledge/tasks.yaml is made)")
    p.add_argument("--by", help="who imports, written into the tasks' history (default cli:<user>)")
    _dated(p)
    p.set_defaults(func=cmd_import)
    p = sub.add_parser(
        "check", help="check the report's figures add up and agree",
        description="Warns first of officers' destinations (PAPIBOT_ADMIN_CHAT_ID) that are not a configured "
                    "admin (PAPIBOT_ADMIN_IDS) or a Telegram group, or whose channel is not configured. "
                    "Then lists every discrepancy: parts that do not add up to totals, stated percentages that "
                    "do not match, a figure quoted twice with different values; with FILE also checks "
                    "metrics.yaml against the report text and document dates. Exit status is 0 even when "
                    "discrepancies are found (they are printed); use --strict to exit 1 instead.")
    p.add_argument("file", nargs="?", help="the report text, to check metrics.yaml against it")
    p.add_argument("--strict", action="store_true", help="exit 1 when any discrepancy is found")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("status", help="PAPI tasks of the current period (or --period): all areas, or one area")
    p.add_argument("area", nargs="?", help="slug, number (8 or VIII) or part of the name")
    p.add_argument("--json", action="store_true")
    p.add_argument("--period", help="a period's name or number (papibot plan list)")
    _dated(p)
    p.set_defaults(func=cmd_status)
    p = sub.add_parser(
        "task", help="one PAPI task in full; 'task add' and 'task edit ID' change the plan",
        usage="papibot task [--json] [--period P] ID\n"
              "       papibot task add --area VIII --text TEXT --lead UNIT [--period P] [fields]\n"
              "       papibot task edit ID [--period P] [--status done] [--note TEXT] [fields]")
    p.add_argument("words", nargs="+", metavar="ID | add | edit ID", help="task number, e.g. 8.1")
    p.add_argument("--json", action="store_true")
    p.add_argument("--period", help="a period's name or number (default: the current period)")
    cli_plan.task_options(p)
    _dated(p)
    p.set_defaults(func=cmd_task)
    p = sub.add_parser("counts", help="live figures beside the report's figures")
    p.add_argument("topic", nargs="?", help="only figures whose name mentions this")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_counts)
    p = sub.add_parser("report", help="the report a leader signs (Markdown, HTML or PDF) for a plan period")
    p.add_argument("--format", choices=("md", "html", "pdf"), default="md")
    p.add_argument("--out", help="write to this file instead of standard output (needed for pdf)")
    p.add_argument("--period", help="a period's name or number (default: the current period)")
    _dated(p)
    p.set_defaults(func=cmd_report)
    cli_plan.register_plan(sub, _dated)
