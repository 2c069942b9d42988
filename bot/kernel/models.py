"""Plain records passed between storage, services and channels."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

CITIZEN, STAFF, ADMIN = "citizen", "staff", "admin"
ROLES = (CITIZEN, STAFF, ADMIN)
PENDING, ANSWERED, CLOSED = "pending", "answered", "closed"
Buttons = list[list[tuple[str, str]]]


@dataclass(frozen=True)
class User:
    """Who is talking, and through which channel."""

    channel: str
    user_id: str
    chat_id: str
    name: str = ""
    role: str = CITIZEN
    private: bool = True  # a one-to-one chat (not a group)

    @property
    def key(self) -> str:
        """The identity as written in settings and the audit trail: `channel:id`."""
        return f"{self.channel}:{self.user_id}"

    @property
    def is_staff(self) -> bool:
        """Staff or admin: may read PAPI tasks and figures."""
        return self.role in (STAFF, ADMIN)

    @property
    def is_admin(self) -> bool:
        """May answer and close tickets."""
        return self.role == ADMIN


@dataclass(frozen=True)
class Ticket:
    """A citizen's question waiting for, or having received, an officer's answer."""

    id: int
    channel: str
    chat_id: str
    user_id: str
    display_name: str
    question: str
    status: str
    created_at: float
    answer: str | None = None
    answered_by: str | None = None
    answered_at: float | None = None
    closed_reason: str | None = None
    admin_message_id: str | None = None
    context: str = "[]"  # JSON: the citizen's previous turns [[text, topic], ...] when this was a follow-up

    @property
    def previous(self) -> list[str]:
        """What the citizen asked just before this question (oldest first)."""
        return [str(turn[0]) for turn in json.loads(self.context or "[]")]


@dataclass(frozen=True)
class Question:
    """One message a citizen sent and what the bot decided."""

    id: int
    channel: str
    chat_id: str
    user_id: str
    text: str
    decision: str
    topic: str | None
    ticket_id: int | None
    created_at: float


@dataclass(frozen=True)
class OutboxItem:
    """A message the bot owes someone; sent by the delivery worker."""

    id: int
    channel: str
    chat_id: str
    kind: str
    ticket_id: int | None
    text: str
    status: str
    attempts: int
    buttons: str = "[]"  # JSON rows of [label, payload]
    reply_to: str | None = None  # the platform message id to quote, when the channel can
    claimed_by: int | None = None  # the lock key of the process sending it (PostgreSQL), see bot.store.outbox
    parts_sent: int = 0  # parts of a long message the platform accepted: a retry starts after them
    message_id: str | None = None  # the platform id of its first part, once that was accepted


@dataclass
class Progress:
    """How far one message got: the parts the platform accepted (a retry starts after them), the first's id."""

    sent: int = 0
    first: str | None = None
    # Told after each accepted part but the last, so the outbox records it and a crash repeats none of them.
    noted: Callable[[Progress], Awaitable[None]] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class QueueStats:
    """The reply-queue ledger for a period."""

    received: int = 0
    answered: int = 0
    pending: int = 0
    closed: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    bot_answers: int = 0
    rated: int = 0
    helpful: int = 0

    @property
    def helpful_rate(self) -> float | None:
        """Share of rated bot answers marked helpful, or None before any rating."""
        return round(self.helpful / self.rated, 3) if self.rated else None


@dataclass(frozen=True)
class TaskOverride:
    """A staff member's status change on a PAPI task."""

    task_id: str
    status: str
    note: str
    changed_by: str
    at: float


@dataclass(frozen=True)
class Diagnosis:
    """What the bot made of a message (its decision, the topic answered, the ticket opened): for `papibot ask`,
    evaluation and tests. Channels never read it."""

    decision: str = ""
    topic: str | None = None
    ticket_id: int | None = None


NO_DIAGNOSIS = Diagnosis()


@dataclass(frozen=True)
class Reply:
    """What a channel shows the user: text in the neutral markup (b, i, a, "• " bullets) and button rows.

    Each channel renders it: Telegram as HTML, Zalo and the console as plain text with numbered options.
    """

    text: str
    buttons: Buttons = field(default_factory=list)
    plain: str = ""  # the text for channels without buttons when it differs (the catalogue: categories only)
    alert: bool = False  # a refusal or an invalid request: a pressed button shows it as an alert
    prompt: str = ""  # asks for a reply to this very message, with this placeholder (the officers' answer prompt)
    diagnosis: Diagnosis = field(default=NO_DIAGNOSIS, compare=False)
