"""`papibot survey stats|export` and `papibot feedback list`: what citizens say, from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path

from bot.engine.services import survey_of
from bot.kernel.config import Config
from bot.papi.survey_form import Survey
from bot.papi.survey_stats import survey_csv, survey_stats
from bot.store.storage import Storage
from bot.usecases.voice import FEEDBACK_LABELS, feedback_counts


async def _with_storage(config: Config, work: Callable[[Storage, Survey], Awaitable[int]]) -> int:
    survey = survey_of(config)  # a broken survey.yaml is refused before the database is opened
    storage = await Storage.open(config)
    try:
        return await work(storage, survey)
    finally:
        await storage.close()


def cmd_survey(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`survey stats [--json]`: responses and each element's mean and answers, by month; `survey export`: CSV."""
    async def work(storage: Storage, survey: Survey) -> int:
        answers = await storage.survey.answers()
        if args.survey_cmd == "export":
            text = survey_csv(survey, answers)
            if args.out:
                Path(args.out).write_text(text, encoding="utf-8")
                print(f"Đã ghi {args.out}.", file=sys.stderr)
            else:
                sys.stdout.write(text)
            return 0
        stats = survey_stats(survey, answers)
        if args.json:
            print(json.dumps(stats, ensure_ascii=False, indent=2))
            return 0
        print(f"Lượt khảo sát: {stats['responses']}")
        for element in survey.elements:
            figures = stats["elements"][element.key]
            mean = f"{figures['mean']:.2f}" if figures["mean"] is not None else "–"
            print(f"{element.name}: {mean} ({figures['n']} câu trả lời)")
        return 0
    return _with_storage(config, work)


def cmd_feedback(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """`feedback list [--json] [--status S]`: the register (without the senders' details), and its counts."""
    async def work(storage: Storage, survey: Survey) -> int:
        items = await storage.feedback.register(args.status or "")
        rows = [{k: v for k, v in asdict(i).items() if k not in ("sender_name", "sender_contact", "chat_id",
                                                                   "user_id")} | {"code": i.code} for i in items]
        if args.json:
            print(json.dumps({"items": rows, "counts": await feedback_counts(storage)}, ensure_ascii=False, indent=2))
        else:
            for i in items:
                print(f"{i.code}\t{FEEDBACK_LABELS[i.status]}\t{i.subject}")
            print(f"{len(items)} phản ánh.")
        return 0
    return _with_storage(config, work)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the survey and feedback subcommands."""
    survey = sub.add_parser("survey", help="the satisfaction survey's figures").add_subparsers(dest="survey_cmd",
                                                                                               required=True)
    stats = survey.add_parser("stats", help="responses, each element's mean and answers, by month")
    stats.add_argument("--json", action="store_true")
    export = survey.add_parser("export", help="CSV by month and element (standard output or --out FILE)")
    export.add_argument("--out", help="file to write")
    for p in (stats, export):
        p.set_defaults(func=cmd_survey)
    feedback = sub.add_parser("feedback", help="feedback on administrative regulations").add_subparsers(
        dest="feedback_cmd", required=True)
    listing = feedback.add_parser("list", help="the register, without the senders' details")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--status", choices=list(FEEDBACK_LABELS))
    listing.set_defaults(func=cmd_feedback)
