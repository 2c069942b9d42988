"""E-mail: a send-only way to reach officers (`email:<address>` in PAPIBOT_ADMIN_CHAT_ID), through the SMTP server
of the PAPIBOT_SMTP_* settings. Nobody writes in by e-mail: a reply to a notice never reaches papibot."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from bot.engine.delivery import RetryLater, Uncertain, Undeliverable
from bot.kernel.config import Config
from bot.kernel.models import Progress, Reply
from bot.kernel.render import to_plain
from channels.base import ChannelContext

log = logging.getLogger(__name__)
CHANNEL = "email"
TIMEOUT = 20.0  # seconds for each step of one SMTP conversation
SUBJECT = 120  # characters of the notice's first line in the subject


class SmtpFault(Exception):
    """The SMTP server could not take the message now (connection, login, a temporary refusal): retried later."""


def compose(sender: str, to: str, reply: Reply, reply_to: str | None = None) -> EmailMessage:
    """A notice as a plain-text e-mail: its first line is the subject; later notices about a ticket follow its post."""
    body = to_plain(reply.text).strip()
    first = next((line.strip() for line in body.splitlines() if line.strip()), "papibot")
    message = EmailMessage()
    message["From"] = formataddr(("papibot", sender))
    message["To"] = to
    message["Subject"] = f"[papibot] {first[:SUBJECT]}"
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid("papibot", domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    if reply_to and reply_to.startswith("<"):
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    message.set_content(body + "\n")
    return message


class EmailSender:
    """One SMTP conversation per message (STARTTLS, TLS or plain, with a login when one is set)."""

    channel = CHANNEL

    def __init__(self, config: Config) -> None:
        self.config = config
        self.sender = config.smtp_from or config.smtp_user
        self.last_error = ""

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Send one e-mail (a notice is one part, however long); return its Message-ID. SMTP's refusals become
        Undeliverable / RetryLater / Uncertain."""
        if progress is not None and progress.sent:
            return progress.first  # the server took it already
        message = compose(self.sender, chat_id, reply, reply_to)
        try:
            await asyncio.to_thread(self._submit, message)
        except Exception as exc:
            self.last_error = str(exc)[:200]
            raise
        self.last_error = ""
        return str(message["Message-ID"])

    def _submit(self, message: EmailMessage) -> None:
        config = self.config
        host, port = config.smtp_address
        context = ssl.create_default_context()
        stage = "connect"
        try:
            smtp = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context) if config.smtp_tls == "ssl" \
                else smtplib.SMTP(host, port, timeout=TIMEOUT)
            with smtp:
                if config.smtp_tls == "starttls":
                    smtp.starttls(context=context)
                if config.smtp_user:
                    smtp.login(config.smtp_user, config.smtp_password)
                stage = "data"
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code = min(c for c, _ in exc.recipients.values())
            if code >= 500:
                raise Undeliverable(f"SMTP {code}: máy chủ thư từ chối địa chỉ {message['To']}") from exc
            raise RetryLater(300.0) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if exc.smtp_code >= 500:
                said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
                raise Undeliverable(f"SMTP {exc.smtp_code}: máy chủ thư từ chối thư ({said[:120]})") from exc
            raise RetryLater(300.0) from exc
        except TimeoutError as exc:
            if stage == "data":  # the server may have taken the message before it stopped answering
                raise Uncertain(f"SMTP timed out: {exc}") from exc
            raise SmtpFault(f"SMTP {host}:{port} timed out") from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused connection, failed login or TLS, dropped link
            raise SmtpFault(f"SMTP {host}:{port}: {type(exc).__name__}: {exc}"[:300]) from exc

    def state(self) -> dict[str, Any]:
        """The server and how it is reached, and the last failure if the last send failed."""
        host, port = self.config.smtp_address
        return {"mode": "send-only", "server": f"{host}:{port}", "tls": self.config.smtp_tls,
                "status": "error" if self.last_error else "ok", **({"error": self.last_error} if self.last_error
                                                                  else {})}


class EmailChannel:
    """The registry's e-mail entry: a sender and nothing to receive."""

    name = CHANNEL

    def __init__(self, context: ChannelContext) -> None:
        self.sender = EmailSender(context.settings)

    def routes(self) -> list[Any]:
        """None: nothing comes in by e-mail."""
        return []

    async def start(self) -> None:
        """Nothing to connect to before the first notice (each is its own SMTP conversation)."""
        host, port = self.sender.config.smtp_address
        log.info("officers' e-mail notices go through %s:%s (%s)", host, port, self.sender.config.smtp_tls)

    async def serve(self, stop: asyncio.Event) -> None:
        """Wait until stopped: e-mail has nothing to receive."""
        await stop.wait()

    async def close(self) -> None:
        """Nothing held between messages."""

    def state(self) -> dict[str, Any]:
        """What /healthz shows for e-mail."""
        return self.sender.state()
