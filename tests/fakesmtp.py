"""A small SMTP server on asyncio for the tests: EHLO, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

It keeps every message it accepted (parsed), can require a login, and refuses recipients it is told to (550).
"""

from __future__ import annotations

import asyncio
import base64
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


class FakeSMTP:
    """Listens on 127.0.0.1 (a free port) in the running event loop; `async with FakeSMTP(...) as smtp`."""

    def __init__(self, user: str = "", password: str = "") -> None:
        self.user, self.password = user, password
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TO...) of each accepted message
        self.logins: list[str] = []
        self.refused: set[str] = set()  # recipients answered 550
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> FakeSMTP:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def to(self, address: str) -> list[EmailMessage]:
        """The accepted messages whose envelope names `address`."""
        return [m for m, (_, rcpt) in zip(self.messages, self.envelopes, strict=True) if address in rcpt]

    async def wait_for(self, address: str, text: str, timeout: float = 10.0) -> EmailMessage:
        """The first message to `address` whose subject or body holds `text` (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.to(address):
                if text in str(message["Subject"]) or text in body(message):
                    return message
            await asyncio.sleep(0.05)
        seen = [str(m["Subject"]) for m in self.messages]
        raise AssertionError(f"no e-mail to {address} with {text!r} within {timeout}s; received: {seen}")

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(*lines: str) -> None:
            writer.write("".join(f"{line}\r\n" for line in lines).encode())

        async def ask(prompt: str) -> str:
            say(prompt)
            await writer.drain()
            return (await reader.readline()).decode().strip()

        state: dict[str, Any] = {"authed": not self.user, "from": None, "rcpt": []}
        say("220 fake.smtp ESMTP")
        try:
            while line := (await reader.readline()).decode(errors="replace"):
                verb, _, arg = line.strip().partition(" ")
                verb = verb.upper()
                if verb == "EHLO":
                    say("250-fake.smtp", "250-AUTH PLAIN LOGIN", "250 8BITMIME")
                elif verb == "HELO":
                    say("250 fake.smtp")
                elif verb == "AUTH":
                    mechanism, _, initial = arg.partition(" ")
                    if mechanism.upper() == "PLAIN":
                        _, user, password = base64.b64decode(initial or await ask("334 ")).decode().split("\0")
                    else:
                        user = base64.b64decode(await ask("334 VXNlcm5hbWU6")).decode()
                        password = base64.b64decode(await ask("334 UGFzc3dvcmQ6")).decode()
                    state["authed"] = (user, password) == (self.user, self.password)
                    self.logins.append(user)
                    say("235 2.7.0 accepted" if state["authed"] else "535 5.7.8 wrong login")
                elif verb == "MAIL":
                    state.update({"from": arg.partition(":")[2].strip("<> "), "rcpt": []})
                    say("250 ok" if state["authed"] else "530 5.7.0 authentication required")
                elif verb == "RCPT":
                    address = arg.partition(":")[2].strip("<> ")
                    if address in self.refused:
                        say("550 5.1.1 no such mailbox")
                    else:
                        state["rcpt"].append(address)
                        say("250 ok")
                elif verb == "DATA":
                    say("354 end with <CRLF>.<CRLF>")
                    await writer.drain()
                    data = await reader.readuntil(b"\r\n.\r\n")
                    raw = b"\r\n".join(x[1:] if x.startswith(b".") else x for x in data[:-5].split(b"\r\n"))
                    parsed = message_from_bytes(raw, policy=policy.default)
                    assert isinstance(parsed, EmailMessage)
                    self.messages.append(parsed)
                    self.envelopes.append((str(state["from"]), list(state["rcpt"])))
                    say("250 2.0.0 queued")
                elif verb in ("RSET", "NOOP"):
                    say("250 ok")
                elif verb == "QUIT":
                    say("221 bye")
                    await writer.drain()
                    break
                else:
                    say("502 5.5.2 not implemented")
                await writer.drain()
        finally:
            writer.close()


def body(message: EmailMessage) -> str:
    """A plain-text message's body."""
    part = message.get_body(("plain",))
    return str(part.get_content()) if part is not None else ""
