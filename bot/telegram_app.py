"""The Telegram channel's composition root: build the Application, register every handler, run it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import Config, ConfigError
from bot.delivery import RetryLater, Undeliverable, deliver_due
from bot.guard import FloodGuard, install_log_masking
from bot.models import OutboxItem, Reply
from bot.polling import run_polling
from bot.services import open_services
from bot.storage import AlreadyProcessed, Storage
from bot.webhook import run_webhook
from handlers import admin, citizen, common, staff

log = logging.getLogger(__name__)
# Updates handled at once: a slow Telegram reply to one chat must not hold up the others.
CONCURRENT_UPDATES = 8
HOUSEKEEPING_INTERVAL = 6 * 3600  # seconds between retention purges
DELIVERY_INTERVAL = 2.0  # seconds between outbox runs; handlers wake the loop sooner after a change
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a webhook secret_token
Callback = Callable[[Update, common.Context], Coroutine[Any, Any, None]]

CITIZEN_MENU = [("start", "Bắt đầu"), ("thutuc", "Danh mục thủ tục"), ("cauhoi", "Các câu hỏi bạn đã gửi cán bộ"),
                ("theodoi", "Xem một câu hỏi: /theodoi SỐ"), ("xoadulieu", "Xóa dữ liệu của bạn"),
                ("help", "Hướng dẫn sử dụng")]
STAFF_MENU = [("status", "Tiến độ nhiệm vụ PAPI theo lĩnh vực"), ("task", "Chi tiết nhiệm vụ: /task 8.1"),
              ("capnhat", "Cập nhật tình trạng: /capnhat 5.6 done ghi chú"), ("counts", "Số liệu hiện tại")]
ADMIN_MENU = [("queue", "Câu hỏi đang chờ trả lời"), ("answer", "Trả lời: /answer SỐ nội dung"),
              ("close", "Đóng câu hỏi: /close SỐ lý do"), ("promote", "Đưa câu trả lời vào cơ sở tri thức")]
STAFF_COMMANDS: dict[str, Callback] = {"status": staff.status, "task": staff.task, "capnhat": staff.set_status,
                                       "counts": staff.counts}
ADMIN_COMMANDS: dict[str, Callback] = {"queue": admin.queue, "answer": admin.answer, "close": admin.close,
                                       "promote": admin.promote}


class GuardedCallback(CallbackQueryHandler):
    """A button handler that only matches presses by the given users or inside the given chat."""

    def __init__(self, callback: Callback, pattern: str, users: frozenset[int], chat_id: int | None) -> None:
        super().__init__(callback, pattern=pattern)
        self.users, self.chat_id = users, chat_id

    def check_update(self, update: object) -> Any:
        """Match like CallbackQueryHandler, then require an allowed presser (filters cannot see callbacks)."""
        if not isinstance(update, Update) or update.callback_query is None:
            return None
        query = update.callback_query
        chat = query.message.chat.id if query.message else None
        if query.from_user.id not in self.users and (self.chat_id is None or chat != self.chat_id):
            return None
        return super().check_update(update)


def _register(app: Application, config: Config) -> None:
    """Every handler, in order: the first matching one in a group wins."""
    message = filters.UpdateType.MESSAGE  # edits of old messages are not new questions
    admins_chat = filters.Chat(config.admin_chat_id) if config.admin_chat_id is not None else None
    staff_only = filters.User(user_id=config.staff_ids | config.admin_ids)
    admin_only = filters.User(user_id=config.admin_ids) & filters.ChatType.PRIVATE
    if admins_chat is not None:
        staff_only, admin_only = staff_only | admins_chat, admin_only | admins_chat
    # Gate (before everything): updates already processed before a crash, and floods, stop here.
    app.add_handler(TypeHandler(Update, common.gate), group=-1)
    # Citizens: commands anyone may use, in any chat.
    for name, callback in (("start", citizen.start), ("help", citizen.help_command), ("thutuc", citizen.catalogue),
                           ("cauhoi", citizen.my_tickets), ("theodoi", citizen.follow),
                           ("xoadulieu", citizen.delete_data)):
        app.add_handler(CommandHandler(name, callback, filters=message))
    # Staff (admins and the admins' chat included).
    for name, callback in STAFF_COMMANDS.items():
        app.add_handler(CommandHandler(name, callback, filters=message & staff_only))
    # Admins: in their private chats or in the admins' chat.
    for name, callback in ADMIN_COMMANDS.items():
        app.add_handler(CommandHandler(name, callback, filters=message & admin_only))
    # Anyone else trying a staff or admin command gets the polite refusal.
    app.add_handler(CommandHandler([*STAFF_COMMANDS, *ADMIN_COMMANDS], citizen.refused, filters=message))
    # Admins' chat: a reply to a ticket post or to the answer prompt answers the ticket.
    if admins_chat is not None:
        reply = message & admins_chat & filters.REPLY & filters.TEXT & ~filters.COMMAND
        app.add_handler(MessageHandler(reply, admin.reply_to_post))
    # Citizens: questions in private chats, or in groups when they mention or reply to the bot.
    app.add_handler(MessageHandler(message & filters.TEXT & ~filters.COMMAND & common.AddressedToBot(), citizen.ask))
    app.add_handler(MessageHandler(message & filters.COMMAND & filters.ChatType.PRIVATE, citizen.unknown_command))
    # Callbacks: every pattern is strict; whatever matches none of them is treated as forged.
    for pattern, callback in ((citizen.SUGGESTION, citizen.suggestion), (citizen.ESCALATE, citizen.escalate),
                              (citizen.FEEDBACK, citizen.feedback), (citizen.DELETE, citizen.confirm_delete),
                              (citizen.CATEGORY, citizen.category), (citizen.CATEGORIES, citizen.categories),
                              (citizen.TOPIC, citizen.topic)):
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    app.add_handler(GuardedCallback(staff.area_button, staff.AREA, config.staff_ids | config.admin_ids,
                                    config.admin_chat_id))
    app.add_handler(GuardedCallback(admin.queue_page, admin.QUEUE_PAGE, config.admin_ids, config.admin_chat_id))
    app.add_handler(GuardedCallback(admin.answer_button, admin.ANSWER_BUTTON, config.admin_ids, config.admin_chat_id))
    app.add_handler(CallbackQueryHandler(citizen.forged_button))
    # After everything: the update is remembered as processed.
    app.add_handler(TypeHandler(Update, common.mark_done), group=1)
    # Errors.
    app.add_error_handler(_on_error)


async def _set_commands(app: Application, config: Config) -> None:
    """The command menus: citizens by default, more for the admins' chat and each officer's private chat."""
    def menu(*groups: list[tuple[str, str]]) -> list[BotCommand]:
        return [BotCommand(name, text) for group in groups for name, text in group]

    scopes: list[tuple[Any, list[BotCommand]]] = [(BotCommandScopeDefault(), menu(CITIZEN_MENU))]
    if config.admin_chat_id is not None:
        scopes.append((BotCommandScopeChat(config.admin_chat_id), menu(ADMIN_MENU, STAFF_MENU)))
    scopes += [(BotCommandScopeChat(uid), menu(CITIZEN_MENU, STAFF_MENU, ADMIN_MENU))
               for uid in sorted(config.admin_ids)[:50]]
    scopes += [(BotCommandScopeChat(uid), menu(CITIZEN_MENU, STAFF_MENU))
               for uid in sorted(config.staff_ids - config.admin_ids)[:50]]
    for scope, commands in scopes:
        try:
            await app.bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:  # e.g. an officer who never opened the bot: "chat not found"
            log.warning("could not set the %s command menu: %s", scope.type, exc)


# Delivery of the outbox


def _seconds(retry_after: int | dt.timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, dt.timedelta) else float(retry_after)


async def _send_item(app: Application, item: OutboxItem) -> int | None:
    """Send one outbox item; Telegram errors become the delivery worker's Undeliverable / RetryLater."""
    buttons = [[("Trả lời", f"ans:{item.ticket_id}")]] if item.kind == "admin_post" and item.ticket_id else []
    try:
        sent = await common.send_html(app.bot, item.chat_id, Reply(item.text, buttons))
    except Forbidden as exc:
        raise Undeliverable(str(exc)) from exc
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            raise Undeliverable(str(exc)) from exc
        raise
    except RetryAfter as exc:
        raise RetryLater(_seconds(exc.retry_after)) from exc
    return sent[0].message_id if sent else None


async def _notify_admin(app: Application, ticket_id: int, reason: str) -> None:
    """Tell the admins' chat (or the answering admin) that a ticket's message could not be delivered."""
    s = app.bot_data["services"]
    ticket = await s.storage.ticket(ticket_id)
    chat_id = s.config.admin_chat_id if s.config.admin_chat_id is not None else ticket and ticket.answered_by
    if not chat_id:
        return
    text = s.renderer.render("tg_notice.html", kind="undeliverable", number=ticket_id, reason=reason[:200])
    with contextlib.suppress(TelegramError):
        await common.send_html(app.bot, chat_id, Reply(text))


async def _housekeeping(app: Application) -> None:
    """Erase citizens' data past the retention period, and forget idle users of the flood guard."""
    s = app.bot_data["services"]
    removed = await s.storage.purge_before(time.time() - s.config.retention_days * 86400)
    app.bot_data["flood"].forget_idle()
    if removed:
        log.info("retention: erased %s records older than %s days", removed, s.config.retention_days)


async def _deliver_once(app: Application, storage: Storage) -> None:
    """Citizens' messages and posts to the admins' group go side by side: the group's tight rate limit
    (20 messages a minute) must never hold up an answer on its way to a citizen."""
    def send(item: OutboxItem) -> Coroutine[Any, Any, int | None]:
        return _send_item(app, item)

    def notify(number: int, reason: str) -> Coroutine[Any, Any, None]:
        return _notify_admin(app, number, reason)

    admins = app.bot_data["services"].config.admin_chat_id
    work = [deliver_due(storage, "telegram", send, notify, exclude_chat_id=admins)]
    if admins is not None:
        work.append(deliver_due(storage, "telegram", send, notify, chat_id=admins))
    await asyncio.gather(*work)


async def _delivery_loop(app: Application) -> None:
    """Run the outbox every DELIVERY_INTERVAL seconds, or sooner when a handler wakes it; tidy up now and then."""
    wake: asyncio.Event = app.bot_data["delivery_wake"]
    storage = app.bot_data["services"].storage
    tidied = float("-inf")
    while True:
        if time.monotonic() - tidied > HOUSEKEEPING_INTERVAL:
            tidied = time.monotonic()
            try:
                await _housekeeping(app)
            except Exception:
                log.exception("housekeeping failed")
        try:
            await _deliver_once(app, storage)
        except Exception:  # the loop must survive anything; the next tick retries
            log.exception("outbox delivery failed")
        # Short sleeps rather than wait_for(event): they cancel instantly at shutdown.
        for _ in range(int(DELIVERY_INTERVAL / 0.1)):
            if wake.is_set():
                break
            await asyncio.sleep(0.1)
        wake.clear()


# Life cycle


def _make_post_init(config: Config) -> Callable[[Application], Coroutine[Any, Any, None]]:
    async def post_init(app: Application) -> None:
        """Open the services, set the menus, start the delivery loop."""
        app.bot_data["services"] = await open_services(config)
        app.bot_data["flood"] = FloodGuard(config.rate_limit_per_minute)
        await _set_commands(app, config)
        app.bot_data["delivery_wake"] = asyncio.Event()
        app.bot_data["delivery_task"] = asyncio.get_running_loop().create_task(_delivery_loop(app))

    return post_init


async def _stop_delivery(app: Application) -> None:
    """Cancel the delivery loop (idempotent), so nothing sends after the bot stops."""
    task = app.bot_data.pop("delivery_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _post_shutdown(app: Application) -> None:
    """Stop delivering, then close the database."""
    await _stop_delivery(app)
    services = app.bot_data.pop("services", None)
    if services is not None:
        await services.close()


async def _on_error(update: object, context: common.Context) -> None:
    """Log the failure with its traceback and tell the admins' chat (and the user) briefly."""
    if isinstance(context.error, AlreadyProcessed):
        log.info("update processed before a restart; its effect is stored once: %s", context.error)
        return
    if isinstance(context.error, NetworkError) and not isinstance(update, Update):
        # Polling hiccups: PTB retries by itself; telling the admins each time would be spam.
        log.warning("network error while polling: %s", context.error)
        return
    log.error("error while handling an update", exc_info=context.error)
    s = context.application.bot_data.get("services")
    if s is None:
        return
    error = type(context.error).__name__ if context.error else "lỗi không rõ"
    notes = [(s.config.admin_chat_id, "error_admin")]
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
        notes.append((update.effective_chat.id, "error_user"))
    for chat_id, kind in notes:
        if chat_id is None:
            continue
        try:
            text = s.renderer.render("tg_notice.html", kind=kind, error=error)
            await common.send_html(context.bot, chat_id, Reply(text))
        except TelegramError as exc:
            log.warning("could not report the error to chat %s: %s", chat_id, exc)


def build_application(config: Config) -> Application:
    """The Application wired to the configured Bot API server, with rate limiting and every handler."""
    limiter = AIORateLimiter(overall_max_rate=30, overall_time_period=1, group_max_rate=20, group_time_period=60,
                             max_retries=3)
    app = (Application.builder().token(config.telegram_token).base_url(f"{config.telegram_api}/bot")
           .rate_limiter(limiter).concurrent_updates(CONCURRENT_UPDATES).post_init(_make_post_init(config)).post_stop(_stop_delivery)
           .post_shutdown(_post_shutdown).build())
    _register(app, config)
    return app


def run_telegram(config: Config) -> int:
    """Run the bot until SIGINT/SIGTERM: polling by default, a webhook when webhook_url is set."""
    install_log_masking((config.telegram_token, config.webhook_secret))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines contain the token
    if config.webhook_url and not SECRET.match(config.webhook_secret):
        raise ConfigError("webhook mode needs PAPIBOT_WEBHOOK_SECRET: 1-256 characters A-Z, a-z, 0-9, _ or -")
    # Both modes install SIGINT/SIGTERM handlers, which needs the main thread (`papibot run` is).
    app = build_application(config)
    if config.webhook_url:
        asyncio.run(run_webhook(app, config))
    else:
        asyncio.run(run_polling(app))
    return 0
