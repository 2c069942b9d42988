"""`papibot learned ...`: officers' learned knowledge as YAML for offices that edit it: export, checked import."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.kernel.config import Config
from bot.store.storage import Storage
from bot.understanding import learn
from bot.understanding.learn import Document, LearnedFormatError, counts, read_document
from bot.understanding.publish import NameOverride, PersonalDataRefused, refusal
from bot.usecases.learned import checked, stored_document
from knowledge.loader import LEARNED_FILE, KnowledgeError, check_knowledge


def _file_document(config: Config) -> Document:
    """What the first start will import: the data directory's learned.yaml, else a legacy one (or nothing)."""
    source = next((p for p in (config.learned_file, config.knowledge_dir / LEARNED_FILE) if p.exists()), None)
    try:
        return read_document(source) if source is not None else learn.to_document([])
    except LearnedFormatError as exc:
        raise KnowledgeError([f"{source}: {exc}"]) from exc


async def learned_document(config: Config) -> Document:
    """The learned knowledge the bot serves: the database's, or the file a first start would import."""
    storage = await Storage.open(config)
    try:
        if await storage.learned.initialised():
            return (await stored_document(storage))[1]
    finally:
        await storage.close()
    return _file_document(config)


def current_learned(config: Config) -> Document:
    """`learned_document` for the read-only commands (ask, kb); never creates a database that is not there."""
    if not config.db_url and not config.db_path.exists():
        return _file_document(config)
    return asyncio.run(learned_document(config))


async def cmd_learned_export(args: argparse.Namespace, config: Config) -> int:
    """Write the learned knowledge as YAML to FILE, or to standard output."""
    document = await learned_document(config)
    text = learn.dump_document(document)
    if not args.file:
        sys.stdout.write(text)
        return 0
    Path(args.file).write_text(text, encoding="utf-8")
    questions, topics = counts(document)
    print(f"Đã xuất {questions} câu hỏi mẫu và {topics} chủ đề đã học vào {args.file}.", file=sys.stderr)
    return 0


def _refuse(reason: str, lines: list[str]) -> int:
    print(f"papibot learned import: không nhập, tri thức đã học giữ nguyên: {reason}", file=sys.stderr)
    for line in lines[:20]:
        print(f"  {line}", file=sys.stderr)
    if len(lines) > 20:
        print(f"  … và {len(lines) - 20} lỗi khác", file=sys.stderr)
    return 1


async def cmd_learned_import(args: argparse.Namespace, config: Config) -> int:
    """Replace the learned knowledge with a checked YAML file; every running papibot reloads within seconds."""
    try:
        document = read_document(Path(args.file))
    except LearnedFormatError as exc:
        return _refuse("tệp không đúng dạng.", [str(exc)])
    _, problems = check_knowledge(config.knowledge_dir, document)
    if problems:
        return _refuse("cơ sở tri thức có lỗi khi thêm tệp này (sửa rồi nhập lại).", list(problems))
    items = learn.to_items(document)
    reason = getattr(args, "allow_name", None)
    allow = NameOverride("cli:0", reason) if reason else None
    storage = await Storage.open(config)
    try:
        await checked(storage, items, config.knowledge_dir, allow)
        await storage.learned.replace(items)
        version = await storage.learned.version()
    except PersonalDataRefused as exc:
        allow_hint = f'papibot learned import {args.file} --allow-name "lý do"'
        return _refuse(refusal(exc.verdict, "sửa tệp rồi nhập lại", allow_hint, listed=False), exc.verdict.lines())
    finally:
        await storage.close()
    questions, topics = counts(document)
    print(f"Đã nhập {questions} câu hỏi mẫu và {topics} chủ đề đã học (phiên bản tri thức {version}); "
          "bot đang chạy sẽ nạp lại trong vài giây.")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `papibot learned` and its subcommands."""
    learned = sub.add_parser("learned", help="officers' learned knowledge as YAML (stored in the database)")
    cmds = learned.add_subparsers(dest="learned_cmd", required=True)
    export = cmds.add_parser("export", help="write the learned questions and topics as YAML")
    export.add_argument("file", nargs="?", help="the YAML file to write (default: standard output)")
    export.set_defaults(func=cmd_learned_export)
    imp = cmds.add_parser("import", help="replace the learned knowledge with a checked YAML file")
    imp.add_argument("file", help="a YAML file with questions and topics, as papibot learned export writes")
    imp.add_argument("--allow-name", metavar="REASON",
                     help="publish the names the check found, for this reason (audited); never numbers or e-mails")
    imp.set_defaults(func=cmd_learned_import)
