"""What every channel adapter hands the core: one platform event, in channel-neutral terms."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

MESSAGE, BUTTON, FOLLOW, UNSUPPORTED = "message", "button", "follow", "unsupported"
# Local channels whose adapter states the role itself (`papibot chat --as admin`); never a network channel.
TRUSTED_ROLE_CHANNELS = ("console", "cli")
_SURROGATE = re.compile("[\ud800-\udfff]")


def sound_text(text: str) -> str:
    """Text UTF-8 can carry: a lone surrogate (JSON's "\\ud800") becomes U+FFFD, a split pair is joined."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


@dataclass(frozen=True)
class Event:
    """One thing a person did on a channel: a message, a button press, a follow, or something unsupported."""

    channel: str
    user_id: str
    chat_id: str
    kind: str = MESSAGE
    text: str = ""
    payload: str = ""  # button data, validated by the router's codec before anything reads it
    update_id: str | None = None  # the platform's id, for redelivery detection
    name: str = ""
    private: bool = True
    addressed: bool = True  # in a group: the message mentions or replies to the bot
    buttons: bool = True  # the channel shows buttons; False: options are numbered and chosen by typing
    message_id: str | None = None  # the platform id of this message (groups quote it in the reply)
    reply_to_id: str | None = None  # the platform id of the message this one replies to
    reply_to_text: str = ""
    role: str | None = None  # honoured only for TRUSTED_ROLE_CHANNELS

    def __post_init__(self) -> None:
        # The edge of the core: a platform's JSON may carry lone surrogates, which no database or API can
        # encode; cleaned here, the message is stored and answered like any other.
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, str) and _SURROGATE.search(value):
                object.__setattr__(self, field.name, sound_text(value))

    @property
    def key(self) -> str:
        """The sender as `channel:id`."""
        return f"{self.channel}:{self.user_id}"

    @property
    def chat_key(self) -> str:
        """The chat as `channel:id`."""
        return f"{self.channel}:{self.chat_id}"
