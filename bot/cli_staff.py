"""Staff subcommands of the `papibot` CLI: import-report, check, status, task, counts, report."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.figures import MetricsError, check_metrics, check_text, load_metrics
from bot.models import ADMIN, User
from bot.registry import place_warnings
from bot.render import Renderer, to_plain
from bot.report_import import ReportError, import_report
from bot.staff import StaffService, load_staff_data
from bot.storage import Storage

CONSOLE = User(channel="cli", user_id="0", chat_id="0", name="console", role=ADMIN)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


async def _with_staff(config: Config, work: Callable[[StaffService], Awaitable[int]]) -> int:
    """Open the task book, metrics and database; run `work`; always close the database."""
    book, metrics = load_staff_data(config.staff_file("tasks.yaml"), config.staff_file("metrics.yaml"))
    storage = await Storage.open(config)
    try:
        return await work(StaffService(book, metrics, storage, Renderer(config.knowledge_dir / "templates")))
    finally:
        await storage.close()


def cmd_import(args: argparse.Namespace, config: Config) -> int:
    """Parse a report and write tasks.yaml; the old file stays untouched on any error."""
    out = Path(args.out) if args.out else config.data_dir / "tasks.yaml"
    try:
        data = import_report(Path(args.file), out)
    except ReportError as exc:
        print(f"papibot import-report: {exc} Tệp {out} không bị thay đổi.", file=sys.stderr)
        return 2
    print(f"Đã nhập {len(data.areas)} lĩnh vực, {len(data.tasks)} nhiệm vụ "
          f"(tình trạng tính đến {data.report_date:%d/%m/%Y}) vào {out}.")
    return 0


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    """Warn of doubtful officers' destinations, then list every discrepancy in the report's figures; exit 1 only
    with --strict (and only for the figures)."""
    for warning in place_warnings(config):
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
    """`papibot status [--json] [AREA]`."""
    async def work(staff: StaffService) -> int:
        if args.json:
            data = await staff.status_data(args.area or "")
            _print_json(data)
            return 1 if "candidates" in data else 0
        reply = await staff.status(CONSOLE, args.area or "")
        print(to_plain(reply.text))
        return 1 if reply.decision in ("unknown_area", "ambiguous_area") else 0
    return _with_staff(config, work)


def cmd_task(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`papibot task [--json] ID`."""
    async def work(staff: StaffService) -> int:
        data = await staff.task_data(args.id)
        if args.json and data is not None:
            _print_json(data)
            return 0
        reply = await staff.task(CONSOLE, args.id)
        print(to_plain(reply.text), file=sys.stdout if data else sys.stderr)
        return 0 if data else 1
    return _with_staff(config, work)


def cmd_counts(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`papibot counts [--json] [TOPIC]`."""
    async def work(staff: StaffService) -> int:
        if args.json:
            _print_json(await staff.counts_data(args.topic or ""))
        else:
            print(to_plain((await staff.counts(CONSOLE, args.topic or "")).text))
        return 0
    return _with_staff(config, work)


def cmd_report(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`papibot report --format md|html [--out FILE]`: the progress-report appendix."""
    async def work(staff: StaffService) -> int:
        data = await staff.report_data()
        if args.format == "html":
            text = staff.renderer.render("report.html", **data)
        else:
            text = staff.renderer.render_plain("report.md", **data)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
            print(f"Đã ghi báo cáo vào {args.out}.")
        else:
            print(text)
        return 0
    return _with_staff(config, work)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the staff subcommands to the main parser."""
    p = sub.add_parser("import-report", help="read the office's PAPI report and write tasks.yaml")
    p.add_argument("file", help="the report as text (appendix table tab-separated)")
    p.add_argument("--out", help="where to write (default: KNOWLEDGE/tasks.yaml)")
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
    p = sub.add_parser("status", help="PAPI tasks: all areas, or one area's tasks")
    p.add_argument("area", nargs="?", help="slug, number (8 or VIII) or part of the name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("task", help="one PAPI task in full")
    p.add_argument("id", help="task number, e.g. 8.1")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_task)
    p = sub.add_parser("counts", help="live reply-queue figures beside the report's figures")
    p.add_argument("topic", nargs="?", help="only figures whose name mentions this")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_counts)
    p = sub.add_parser("report", help="render the progress-report appendix (Markdown or HTML)")
    p.add_argument("--format", choices=("md", "html"), default="md")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_report)
