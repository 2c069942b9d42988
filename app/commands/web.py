"""Web console subcommands of the `papibot` CLI: `papibot web`, and `papibot user add|list|passwd|disable`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import signal
import sys
from collections.abc import Awaitable, Callable

from bot.kernel.config import Config, ConfigError, identity
from bot.kernel.models import ADMIN, STAFF
from bot.store.storage import Storage

MIN_PASSWORD = 10


def read_password(prompt: str = "Mật khẩu: ") -> str:
    """The new password: one line of standard input when piped, else typed twice without echo."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise ValueError("Hai lần nhập mật khẩu không khớp.")
    return first


async def _with_storage(config: Config, work: Callable[[Storage], Awaitable[int]]) -> int:
    storage = await Storage.open(config)
    try:
        return await work(storage)
    finally:
        await storage.close()


def _new_password() -> str:
    password = read_password()
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.")
    return password


def cmd_user(args: argparse.Namespace, config: Config) -> Awaitable[int] | int:
    """`papibot user add|list|passwd|disable`: officers' accounts on the web console."""
    from bot.usecases.accounts import hash_password

    try:
        link = identity(args.link) if getattr(args, "link", None) else None
        password = _new_password() if args.user_cmd in ("add", "passwd") else ""
    except (ValueError, ConfigError) as exc:
        print(f"papibot user: {exc}", file=sys.stderr)
        return 2

    async def work(storage: Storage) -> int:
        if args.user_cmd == "list":
            for u in await storage.accounts.every():
                state = "đã khóa" if u.disabled else "hoạt động"
                print(f"{u.login}\t{u.role}\t{u.name}\t{u.link or '-'}\t{state}")
            return 0
        if args.user_cmd == "add":
            ok = await storage.accounts.add(args.login, args.name, args.role, hash_password(password), link)
            done, fail = f"Đã tạo tài khoản {args.login} ({args.role}).", f"Tài khoản {args.login} đã có."
        elif args.user_cmd == "passwd":
            ok = await storage.accounts.set_password(args.login, hash_password(password))
            done, fail = f"Đã đổi mật khẩu của {args.login}.", f"Không có tài khoản {args.login}."
        else:
            ok = await storage.accounts.disable(args.login)
            done, fail = f"Đã khóa tài khoản {args.login}.", f"Không có tài khoản {args.login}."
        if ok:
            await storage.audit.record("cli:0", f"user_{args.user_cmd}", None, args.login)
        print(done if ok else fail, file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1

    return _with_storage(config, work)


async def serve_web(config: Config, stop: asyncio.Event | None = None) -> int:
    """`papibot web`: the console alone; no delivery worker, no purge (the `run` process delivers)."""
    from bot.engine.services import open_services
    from bot.usecases.learned import follow_knowledge
    from channels.web import serve_console

    stop = stop or asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # stop cleanly on Ctrl-C and on SIGTERM
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    services = await open_services(config)
    follow = asyncio.create_task(follow_knowledge(services.learned, stop))  # what `papibot run` learns
    try:
        print(f"Bảng điều khiển cán bộ: http://{config.web_listen}:{config.web_port}/", file=sys.stderr)
        await serve_console(services, stop)
    finally:
        stop.set()
        await follow
        await services.close()
    return 0


def cmd_web(args: argparse.Namespace, config: Config) -> Awaitable[int]:
    """Serve the officers' web console only."""
    from bot.ops.backup import while_holding

    return while_holding(config.db_path, serve_web(config))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `web` and `user` to the main parser."""
    sub.add_parser("web", help="serve the officers' web console alone (PAPIBOT_WEB_LISTEN:PAPIBOT_WEB_PORT)"
                   ).set_defaults(func=cmd_web)
    user = sub.add_parser("user", help="officers' web console accounts").add_subparsers(dest="user_cmd",
                                                                                       required=True)
    add = user.add_parser("add", help="create an account (password from standard input, or prompted twice)")
    add.add_argument("login")
    add.add_argument("--role", choices=(ADMIN, STAFF), required=True)
    add.add_argument("--name", default="", help="full name, e.g. \"Nguyễn Văn A\"")
    add.add_argument("--link", help="the same person on a chat channel, e.g. telegram:123")
    user.add_parser("list", help="every account")
    for name, text in (("passwd", "set a new password"), ("disable", "lock an account and end its sessions")):
        user.add_parser(name, help=text).add_argument("login")
    for parser in user.choices.values():
        parser.set_defaults(func=cmd_user)
