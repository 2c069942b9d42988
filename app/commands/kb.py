"""`papibot kb`: check the knowledge folder (broken files, dated changes, sources of each part) and export it."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import asdict
from typing import Any

from app.commands import learned as cli_learned
from bot.kernel.clock import vn_today
from bot.kernel.config import Config
from bot.understanding.brain import Brain
from knowledge.claims import COUNTED
from knowledge.loader import check_knowledge
from knowledge.review import review
from knowledge.schema import FACET_LABELS


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def cmd_kb_check(args: argparse.Namespace, config: Config) -> int:
    """Report every problem in the knowledge folder, dated changes and the parts without a source; non-zero exit
    when a file is broken or a change has passed while its topic was not checked again."""
    today = args.today or vn_today()
    kb, problems = check_knowledge(config.knowledge_dir, cli_learned.current_learned(config))
    found = review(kb.topics, today)
    for line in problems:
        print(line)
    for line in found.failures:
        print(f"cảnh báo: {line}" if args.dates_warn else line)
    for line in found.warnings:
        print(f"cảnh báo: {line}")
    for topic_id, keys in found.unsourced.items():
        print(f"chưa có nguồn: {topic_id}: {', '.join(FACET_LABELS[k] for k in keys)}")
    print(found.share())
    failures = [] if args.dates_warn else found.failures
    if problems or failures:
        print(f"{len(problems) + len(failures)} problem(s) in {config.knowledge_dir} on {today.isoformat()}",
              file=sys.stderr)
        return 1
    print(f"OK: {len(kb.topics)} topics, {len(kb.synonyms)} synonym groups, {len(kb.smalltalk)} smalltalk intents"
          f" ({today.isoformat()})")
    return 0


def cmd_kb_export(args: argparse.Namespace, config: Config) -> int:
    """Print the whole knowledge base as JSON."""
    learned = cli_learned.current_learned(config)
    kb = Brain(config.knowledge_dir, config.answer_threshold, config.suggest_threshold, learned).kb
    topics: list[dict[str, Any]] = [{**asdict(t), "verified": t.verified.isoformat()} for t in kb.topics]
    print(json.dumps({"topics": topics}, ensure_ascii=False, indent=None if args.json else 2, default=str))
    return 0


def register(sub: Any) -> None:
    """Add `kb check` and `kb export` to the command line."""
    kb = sub.add_parser("kb", help="knowledge base tools").add_subparsers(dest="kb_cmd", required=True)
    check = kb.add_parser("check", help="validate every knowledge file; dated changes, sources of "
                          + ", ".join(COUNTED))
    check.add_argument("--today", type=_date, help="judge dated changes on this day (YYYY-MM-DD; default: today)")
    check.add_argument("--dates-warn", action="store_true",
                       help="passed changes only warn (an image build, like start-up, is never stopped by a date)")
    check.set_defaults(func=cmd_kb_check)
    export = kb.add_parser("export", help="print the knowledge base as JSON")
    export.add_argument("--json", action="store_true", help="compact JSON")
    export.set_defaults(func=cmd_kb_export)
