"""The channel registry: every channel papibot knows, once, with what it can carry and how `papibot run` starts it.

A channel is named in identities (`channel:id`), shown to officers by its label, started by `papibot run` when
its settings are present, kept out of the logs by its secret settings, and, when it is an officers' destination,
told what its people can do with a notice. Adding a channel is one entry here and one adapter in channels/.

The registry names settings by their field names and reads them from any object (the configuration), so the
kernel's configuration can read the registry without the registry knowing the configuration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class Settings(Protocol):
    """What the registry reads of the settings beside each channel's own (bot.kernel.config.Config is one)."""

    @property
    def admin_ids(self) -> frozenset[str]:
        """Officers with the admin role (`channel:id`)."""

    @property
    def staff_ids(self) -> frozenset[str]:
        """Officers who read figures (`channel:id`)."""

    @property
    def admin_chat_id(self) -> tuple[str, ...]:
        """The officers' destinations (`channel:chat`)."""


@dataclass(frozen=True)
class ChannelKind:
    """One channel: its name and label, its adapter and the settings that start it, its secrets, its abilities."""

    name: str
    label: str
    build: str = ""  # the adapter `module:Class`, started by `papibot run`; none for the web console, console, CLI
    needs: tuple[str, ...] = ()  # settings that must all be set for the adapter to start
    secrets: tuple[str, ...] = ()  # settings never shown in a log line
    renders_html: bool = False  # shows the neutral markup as formatting (else plain text with numbered options)
    citizens: bool = True  # citizens write in here; False: a send-only way to reach officers (e-mail)
    commands: bool = True  # a person there can type /answer and the other commands
    reply_answers: bool = False  # replying to a notice names its ticket (the platform says what was replied to)
    notices: bool = True  # can be an officers' destination (the web console and the CLI cannot)

    def configured(self, settings: object) -> bool:
        """True when the channel has an adapter and every setting it needs is set."""
        return bool(self.build) and all(getattr(settings, name) for name in self.needs)


class Registry:
    """The channels one papibot knows, in order; read by settings, notices, log masking, the console, start-up."""

    def __init__(self, kinds: Iterable[ChannelKind]) -> None:
        self.kinds = tuple(kinds)
        self._by_name = {k.name: k for k in self.kinds}

    @property
    def names(self) -> tuple[str, ...]:
        """Every channel name an identity may carry."""
        return tuple(self._by_name)

    @property
    def citizen_labels(self) -> dict[str, str]:
        """Where a citizen's ticket can come from, as officers read it."""
        return {k.name: k.label for k in self.kinds if k.citizens}

    def kind(self, name: str) -> ChannelKind:
        """A channel's entry (an unknown name: a plain entry that can carry nothing special)."""
        return self._by_name.get(name) or ChannelKind(name, name)

    def started(self, settings: object) -> list[ChannelKind]:
        """The channels `papibot run` starts with these settings, in registry order."""
        return [k for k in self.kinds if k.configured(settings)]

    def secret_fields(self) -> tuple[str, ...]:
        """The names of every channel's secret settings."""
        return tuple(name for k in self.kinds for name in k.secrets)

    def secret_values(self, settings: object) -> tuple[str, ...]:
        """The values of every channel's secret settings that are set, for masking in logs."""
        return tuple(value for name in self.secret_fields() if (value := str(getattr(settings, name) or "")))

    def place_label(self, destination: str) -> str:
        """An officers' destination as people read it: `Zalo OA 8421…`, `e-mail lan@…`."""
        channel, _, chat = destination.partition(":")
        return f"{self.kind(channel).label} {chat}"

    def place_warnings(self, settings: Settings) -> list[str]:
        """What is doubtful about the officers' destinations: one not a configured officer or group (it gets the
        admin role), one whose channel is not configured (nothing sends there)."""
        out = []
        officers = settings.admin_ids | settings.staff_ids
        for place in settings.admin_chat_id:
            channel, _, chat = place.partition(":")
            entry = self.kind(channel)
            if entry.build and not entry.configured(settings):
                out.append(f"{place}: kênh {entry.label} chưa được cấu hình nên không gửi được thông báo tới đây.")
            group = channel == "telegram" and chat.startswith("-")
            if not group and place not in settings.admin_ids:
                role = "chỉ là cán bộ xem số liệu (PAPIBOT_STAFF_IDS)" if place in officers else \
                    "không phải cán bộ đã khai báo (PAPIBOT_ADMIN_IDS) hay nhóm Telegram"
                out.append(f"{place}: {role}, nhưng mọi câu hỏi của công dân được gửi tới đây"
                           + (" và người ở đây có quyền quản trị." if entry.commands else "."))
        return out


REGISTRY = Registry((
    ChannelKind("telegram", "Telegram", "channels.telegram.channel:TelegramChannel", ("telegram_token",),
                ("telegram_token", "webhook_secret"), renders_html=True, reply_answers=True),
    ChannelKind("zalo_oa", "Zalo OA", "channels.zalo_oa.channel:ZaloOAChannel",
                ("zalo_oa_app_id", "zalo_oa_secret_key", "zalo_oa_app_secret"),
                ("zalo_oa_app_secret", "zalo_oa_secret_key", "zalo_oa_refresh_token")),
    ChannelKind("zalo_bot", "Zalo Bot", "channels.zalo_bot:ZaloBotChannel", ("zalo_bot_token",),
                ("zalo_bot_token", "zalo_bot_webhook_secret")),
    ChannelKind("email", "e-mail", "channels.email:EmailChannel", ("smtp_host",), ("smtp_password",),
                citizens=False, commands=False),
    ChannelKind("web", "web", notices=False),
    ChannelKind("console", "console"),
    ChannelKind("cli", "dòng lệnh", notices=False),
))
CITIZEN_LABELS = REGISTRY.citizen_labels  # where a citizen's ticket can come from, as officers read it
