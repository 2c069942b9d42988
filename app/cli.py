"""The `papibot` command: run the bot, chat in the console, ask, check the knowledge, operate the queue."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import inspect
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.commands import db as cli_db
from app.commands import kb as cli_kb
from app.commands import learned as cli_learned
from app.commands import staff as cli_staff
from app.commands import voice as cli_voice
from app.commands import web as cli_web
from bot.engine.guard import install_log_masking
from bot.engine.services import Services
from bot.kernel.clock import SYSTEM
from bot.kernel.config import Config, ConfigError, load_config
from bot.kernel.models import ADMIN, CITIZEN, STAFF, Ticket, User
from bot.kernel.registry import REGISTRY
from bot.ops.backup import while_holding
from bot.store.files import NoAccess, denied
from bot.store.snapshots import BackupError
from bot.store.sqlite import DatabaseError, StorageUnavailable
from bot.understanding.brain import Brain
from knowledge.loader import KnowledgeError

CLI_ADMIN = User("cli", "0", "0", "papibot CLI", ADMIN)


def _brain(config: Config) -> Brain:
    learned = cli_learned.current_learned(config)
    return Brain(config.knowledge_dir, config.answer_threshold, config.suggest_threshold, learned)


def _conversations(args: argparse.Namespace) -> list[list[str]]:
    """The turns to ask: blank-line separated conversations (--conversations), else one question each."""
    if args.conversations:
        blocks = Path(args.conversations).read_text(encoding="utf-8").split("\n\n")
        return [[line for line in block.splitlines() if line.strip()] for block in blocks if block.strip()]
    lines = Path(args.batch).read_text(encoding="utf-8").splitlines() if args.batch else [" ".join(args.question)]
    return [[line] for line in lines]


def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    """Run questions (or whole conversations) through the chat's decisions without writing anything."""
    from bot.kernel.render import Renderer, to_plain
    from bot.understanding.answers import Presenter
    from bot.understanding.turns import Context

    brain = _brain(config)
    present = Presenter(Renderer(config.knowledge_dir / "templates"))
    welcome = present.renderer.render("welcome.html", role=CITIZEN, commands=[])
    for n, turns in enumerate(_conversations(args)):
        talk: Context | None = None
        for i, text in enumerate(turns):
            d = brain.dialogue.decide(text, talk, SYSTEM.now())
            talk = d.context
            m = d.match
            if d.decision == "queue":
                ticket = Ticket(0, "cli", "0", "0", "", text, "pending", SYSTEM.now())
                reply = present.queued(ticket, True, m.out_of_scope, english=d.english)
            else:
                reply = present.decision(brain.kb, d, 0, welcome)
            shown = present.facets_shown(brain.kb, d.topic, d.facets) if d.decision == "answer" else ()
            facet = shown[0] if shown else None
            row = {"conversation": n, "turn": i, "question": text, "decision": d.decision, "topic": d.topic,
                   "facet": facet, "facets": list(shown), "score": m.score, "suggestions": list(d.suggestions),
                   "smalltalk": d.smalltalk,
                   "out_of_scope": m.out_of_scope, "context_used": d.context_used, "english": d.english,
                   "reply": to_plain(reply.text)}
            if args.json:
                print(json.dumps(row, ensure_ascii=False))
            else:
                print(f"{d.decision}\t{d.topic or ','.join(d.suggestions) or m.out_of_scope or '-'}\t"
                      f"{facet or '-'}\t{m.score}\t{text}")
    return 0


async def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    """The console chat, interactive or with piped input."""
    from app.run import chat

    return await while_holding(config.db_path, chat(config, args.role, str(args.user),
                                                     args.name or f"Người dùng {args.user}"))


def cmd_run(args: argparse.Namespace, config: Config) -> Coroutine[Any, Any, int]:
    """Every configured channel in one process; with none, the console chat at a terminal, else the web console."""
    from app.run import NO_CHANNEL_SETTINGS, run
    from channels.console import stdin_is_terminal

    logging.getLogger("papibot").debug("settings: %s", config.redacted())
    if not any(entry.citizens for entry in REGISTRY.started(config)) and stdin_is_terminal():
        print(f"Chưa cấu hình kênh nào ({NO_CHANNEL_SETTINGS}): mở trò chuyện trên console (vai công dân).",
              file=sys.stderr)
    return while_holding(config.db_path, run(config))


async def cmd_zalo_authorize(args: argparse.Namespace, config: Config) -> int:
    """The Zalo OA's first authorisation: print the permission URL, exchange the code, store the tokens."""
    from channels.zalo_oa.authorize import authorize

    return await authorize(config, args.code)


async def _with_services(config: Config, work: Callable[[Services], Awaitable[int]]) -> int:
    from bot.engine.services import open_services

    services = await open_services(config)
    try:
        return await work(services)
    finally:
        await services.close()


def _day(text: str | None) -> float | None:
    return dt.datetime.fromisoformat(text).timestamp() if text else None


async def cmd_queue(args: argparse.Namespace, config: Config) -> int:
    """Operate the reply queue from the command line, through the same services as the bot."""
    from app.commands import queue as cli_queue

    async def work(s: Services) -> int:
        if args.queue_cmd == "list":
            tickets = await s.storage.tickets.by_status(args.status)
            rows = [asdict(t) for t in tickets]
            print(json.dumps({"tickets": rows}, ensure_ascii=False) if args.json else
                  "\n".join(f"#{t.id}\t{t.status}\t{t.question}" for t in tickets) or "(trống)")
            return 0
        if args.queue_cmd == "stats":
            span = (_day(args.since) or 0.0, _day(args.until) or float("inf"))
            stats = await s.storage.tickets.stats(*span)
            out = {**asdict(stats), "helpful_rate": stats.helpful_rate,
                   "doubt": asdict(await s.storage.doubts.counts(*span))}
            print(json.dumps(out, ensure_ascii=False) if args.json else out)
            return 0
        return await cli_queue.act(s, CLI_ADMIN, args)

    return await _with_services(config, work)


async def cmd_purge(args: argparse.Namespace, config: Config) -> int:
    """Erase citizens' questions and finished tickets older than the retention period."""
    from bot.store.storage import Storage

    days = args.days if args.days is not None else config.retention_days
    if days < 1:
        print(f"papibot: --days must be at least 1 (got {days}); nothing was erased.", file=sys.stderr)
        return 2
    storage = await Storage.open(config)
    try:
        removed = await storage.retention.purge(SYSTEM.now() - days * 86400)
    finally:
        await storage.close()
    print(f"Đã xóa {removed} bản ghi cũ hơn {days} ngày.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """All subcommands."""
    p = argparse.ArgumentParser(prog="papibot", description="Trợ lý hỏi đáp thủ tục hành chính (papibot)")
    p.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start every configured channel (Telegram, Zalo OA, Zalo Bot) and the web console; "
                   "with no channel, the console chat at a terminal"
                   ).set_defaults(func=cmd_run)
    chat = sub.add_parser("chat", help="console chat")
    chat.add_argument("--as", dest="role", choices=[CITIZEN, STAFF, ADMIN], default=CITIZEN)
    chat.add_argument("--user", type=int, default=1, help="user id of the console user")
    chat.add_argument("--name", default="", help="display name")
    chat.set_defaults(func=cmd_chat)
    ask = sub.add_parser("ask", help="match questions (read-only)")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--batch", help="file with one question per line")
    ask.add_argument("--conversations", help="file of conversations: one turn per line, a blank line between")
    ask.set_defaults(func=cmd_ask)
    cli_kb.register(sub)
    queue = sub.add_parser("queue", help="operate the reply queue").add_subparsers(dest="queue_cmd", required=True)
    ql = queue.add_parser("list")
    ql.add_argument("--json", action="store_true")
    ql.add_argument("--status", choices=["pending", "answered", "closed"])
    qs = queue.add_parser("stats")
    qs.add_argument("--json", action="store_true")
    qs.add_argument("--since", help="YYYY-MM-DD")
    qs.add_argument("--until", help="YYYY-MM-DD (exclusive)")
    for name in ("answer", "close"):
        q = queue.add_parser(name)
        q.add_argument("number")
        q.add_argument("text", nargs="*")
    qp = queue.add_parser("promote", help="an officer-checked question as an example of a topic, or --new topic")
    qp.add_argument("number")
    qp.add_argument("topic", nargs="?", help="the existing topic the question belongs to")
    qp.add_argument("--question", help="the question as edited by the officer (no personal data)")
    qp.add_argument("--new", action="store_true", help="create a new topic (needs --title)")
    qp.add_argument("--title", help="the new topic's title, written by the officer")
    qp.add_argument("--answer", help="the new topic's answer as edited by the officer (default: the ticket's)")
    qp.add_argument("--allow-name", metavar="REASON",
                    help="publish the names the check found, for this reason (audited); never numbers or e-mails")
    for q in (ql, qs, *queue.choices.values()):
        q.set_defaults(func=cmd_queue)
    purge = sub.add_parser("purge", help="erase citizens' data older than retention_days")
    purge.add_argument("--days", type=int, help="override PAPIBOT_RETENTION_DAYS")
    purge.set_defaults(func=cmd_purge)
    zalo = sub.add_parser("zalo", help="Zalo tools").add_subparsers(dest="zalo_cmd", required=True)
    za = zalo.add_parser("authorize", help="authorise papibot on the Zalo OA (OAuth v4, PKCE)")
    za.add_argument("code", nargs="?", help="the code Zalo returned (else printed URL, then standard input)")
    za.set_defaults(func=cmd_zalo_authorize)
    cli_staff.register(sub)
    cli_db.register(sub)
    cli_learned.register(sub)
    whoami = sub.add_parser("whoami", help="your identity in the console chat (channel:id), for configuration")
    whoami.add_argument("--user", type=int, default=1, help="the console user id (as in papibot chat --user)")
    whoami.set_defaults(func=lambda args, config: print(f"console:{args.user}") or 0)
    cli_web.register(sub)
    cli_voice.register(sub)
    return p


# Libraries whose debug lines carry message bodies, people's names or SQL parameters.
CONTENT_LOGGERS = ("telegram", "httpx", "httpcore", "uvicorn", "starlette", "multipart")


def _logging(verbose: bool, content: bool) -> None:
    """Debug logs show papibot's own decisions; citizens' words and names only with PAPIBOT_LOG_CONTENT=1."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    for name in CONTENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose and content else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `papibot` console script."""
    args = build_parser().parse_args(argv)
    _logging(args.verbose, False)
    try:
        config = load_config()
        _logging(args.verbose, config.log_content)
        install_log_masking(REGISTRY.secret_values(config))
        result = args.func(args, config)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
    except (ConfigError, KnowledgeError, DatabaseError, BackupError, NoAccess, StorageUnavailable,
            PermissionError) as exc:
        what = "không ghi được cơ sở dữ liệu: " if isinstance(exc, StorageUnavailable) else ""
        print(f"papibot: {what}{denied(exc) if isinstance(exc, PermissionError) else exc}", file=sys.stderr)
        for problem in getattr(exc, "problems", [])[1:]:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
