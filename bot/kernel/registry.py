"""The channel registry: every channel papibot knows, once, with what it can carry and how `papibot run` starts it.

A channel is named in identities (`channel:id`), shown to officers by its label, started by `papibot run` when
its settings are present, and, when it is an officers' destination, told what its people can do with a notice.
Adding a channel is one entry here and one adapter in channels/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.kernel.config import Config


@dataclass(frozen=True)
class ChannelKind:
    """One channel: its name and label, its adapter (`module:Class`) and when it is configured, its abilities."""

    name: str
    label: str
    adapter: str = ""  # started by `papibot run` when `configured`; none for the web console, console and CLI
    configured: Callable[[Config], bool] | None = None
    citizens: bool = True  # citizens write in here; False: a send-only way to reach officers (e-mail)
    commands: bool = True  # a person there can type /answer and the other commands
    reply_answers: bool = False  # replying to a notice names its ticket (the platform says what was replied to)


KINDS = (
    ChannelKind("telegram", "Telegram", "channels.telegram:TelegramChannel", lambda c: bool(c.telegram_token),
                reply_answers=True),
    ChannelKind("zalo_oa", "Zalo OA", "channels.zalo_oa:ZaloOAChannel", lambda c: c.zalo_oa_configured),
    ChannelKind("zalo_bot", "Zalo Bot", "channels.zalo_bot:ZaloBotChannel", lambda c: bool(c.zalo_bot_token)),
    ChannelKind("email", "e-mail", "channels.email:EmailChannel", lambda c: bool(c.smtp_host), citizens=False,
                commands=False),
    ChannelKind("web", "web"),
    ChannelKind("console", "console"),
    ChannelKind("cli", "dòng lệnh"),
)
CHANNELS = tuple(k.name for k in KINDS)
LABELS = {k.name: k.label for k in KINDS}
CITIZEN_LABELS = {k.name: k.label for k in KINDS if k.citizens}  # where a citizen's ticket can come from
_BY_NAME = {k.name: k for k in KINDS}


def kind(name: str) -> ChannelKind:
    """The registry entry of a channel (an unknown name: a plain entry that can carry nothing special)."""
    return _BY_NAME.get(name) or ChannelKind(name, name)


def started(config: Config) -> list[ChannelKind]:
    """The channels `papibot run` starts with these settings, in registry order."""
    return [k for k in KINDS if k.adapter and k.configured is not None and k.configured(config)]


def place_label(destination: str) -> str:
    """An officers' destination as people read it: `Zalo OA 8421…`, `e-mail lan@…`."""
    channel, _, chat = destination.partition(":")
    return f"{kind(channel).label} {chat}"


def place_warnings(config: Config) -> list[str]:
    """What is doubtful about the officers' destinations: one not a configured officer or group (it gets the
    admin role), one whose channel is not configured (nothing sends there)."""
    out = []
    officers = config.admin_ids | config.staff_ids
    for place in config.admin_chat_id:
        channel, _, chat = place.partition(":")
        entry = kind(channel)
        if entry.configured is not None and not entry.configured(config):
            out.append(f"{place}: kênh {entry.label} chưa được cấu hình nên không gửi được thông báo tới đây.")
        group = channel == "telegram" and chat.startswith("-")
        if not group and place not in config.admin_ids:
            role = "chỉ là cán bộ xem số liệu (PAPIBOT_STAFF_IDS)" if place in officers else \
                "không phải cán bộ đã khai báo (PAPIBOT_ADMIN_IDS) hay nhóm Telegram"
            out.append(f"{place}: {role}, nhưng mọi câu hỏi của công dân được gửi tới đây"
                       + (" và người ở đây có quyền quản trị." if entry.commands else "."))
    return out
