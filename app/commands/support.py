"""What the staff and plan subcommands share: the services over the database, who acts, which day and period."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.engine.services import open_plan, staff_service, survey_of
from bot.kernel.clock import vn_today
from bot.kernel.config import Config
from bot.kernel.models import ADMIN, User
from bot.kernel.render import Renderer
from bot.store.storage import Storage
from bot.usecases.planning import PlanService
from bot.usecases.staff import StaffService, load_staff_figures

CONSOLE = User(channel="cli", user_id="0", chat_id="0", name="console", role=ADMIN)
Work = Callable[[StaffService], Awaitable[int]]


def print_json(data: Any) -> None:
    """Data as indented JSON, Vietnamese kept readable."""
    print(json.dumps(data, ensure_ascii=False, indent=2))


def who(args: argparse.Namespace) -> str:
    """The identity written into a task's history: --by, else `cli:<the system user>`."""
    if getattr(args, "by", None):
        return str(args.by)
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:0"


def today_of(args: argparse.Namespace) -> dt.date:
    """--today YYYY-MM-DD, else today in Vietnam."""
    return dt.date.fromisoformat(args.today) if getattr(args, "today", None) else vn_today()


class UnknownPeriod(Exception):
    """--period names no period; the message lists those there are."""


async def with_staff(config: Config, args: argparse.Namespace, work: Work) -> int:
    """Open the database (its plan seeded once from tasks.yaml) and the figures; run `work`; close the database."""
    metrics, figures = load_staff_figures(config.staff_file("metrics.yaml"))
    survey = survey_of(config)
    try:
        day = today_of(args)
    except ValueError:
        print(f"papibot: --today {args.today!r} không phải ngày YYYY-MM-DD.", file=sys.stderr)
        return 2
    storage = await Storage.open(config)
    try:
        plan = await open_plan(config, storage, lambda: day)
        return await work(staff_service(plan, metrics, figures, storage, Renderer(config.knowledge_dir / "templates"),
                                        survey))
    except UnknownPeriod as exc:
        print(f"papibot: {exc}", file=sys.stderr)
        return 2
    finally:
        await storage.close()


async def period_id(plan: PlanService, args: argparse.Namespace) -> int | None:
    """The period named by --period (by name or number); None for the current one; UnknownPeriod if none."""
    if not getattr(args, "period", None):
        return None
    found = await plan.find_period(args.period)
    if found is None:
        names = ", ".join(f"«{p.name}»" for p in await plan.periods()) or "chưa có kỳ nào"
        raise UnknownPeriod(f"không có kỳ «{args.period}» (có: {names}).")
    return found.id


def where(config: Config) -> str:
    """The database a command writes to, as safe to print."""
    return str(config.redacted()["db_url"] or config.db_path)


