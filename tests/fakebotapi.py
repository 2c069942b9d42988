"""A local fake of the Telegram Bot API for tests: a stdlib HTTP server in a daemon thread.

Point python-telegram-bot at it with ``base_url=f"{fake.url}/bot"``; the bot may run in the test's own
asyncio loop, in another thread, or in another process. Method semantics live in fakebotapi_state.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakebotapi_state import BOT_USER, JSON, ApiError, BotState
from tests.fakeserver import FakeHandler, ServedFake, json_bytes

__all__ = ["BOT_USER", "ApiError", "FakeBotAPI"]

# Parameters whose form value is a raw string: PTB JSON-encodes every non-string value, so anything
# else is JSON-decoded (chat_id "42" -> 42, "true" -> True, '{"inline_keyboard": ...}' -> dict).
_STRING_PARAMS = frozenset({
    "text", "parse_mode", "caption", "callback_query_id", "url", "secret_token", "action", "language_code",
    "inline_message_id", "data", "description", "short_description", "name", "title",
    "business_connection_id", "message_effect_id", "ip_address",
})
_PATH_RE = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?")
_DROP = "drop"


def _decode(name: str, raw: str) -> Any:
    """Turn one form/query value back into the JSON value PTB encoded."""
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # e.g. chat_id "@channel"


def parse_params(query: str, content_type: str, body: bytes) -> JSON:
    """Decode query string plus a form-urlencoded, JSON or multipart body into one params dict."""
    params: JSON = {k: _decode(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json" and body:
        params.update(json.loads(body))
    elif ctype == "application/x-www-form-urlencoded":
        params.update({k: _decode(k, v) for k, v in parse_qsl(body.decode(), keep_blank_values=True)})
    elif ctype == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        for part in BytesParser(policy=policy.HTTP).parsebytes(head + body).iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload, filename = part.get_payload(decode=True), part.get_filename()
            params[str(name)] = ({"filename": filename, "content": payload} if filename
                                 else _decode(str(name), (payload or b"").decode()))
    return params


class _Handler(FakeHandler):
    """Every request goes to the fake."""

    def do_POST(self) -> None:
        """Serve one Bot API call."""
        fake = self.server.fake
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = _PATH_RE.fullmatch(parts.path)
        if fake.stopping:
            self.close_connection = True  # a stopped server answers nothing, even on kept-alive sockets
            return
        if match is None:
            return self._reply(ApiError(404, "Not Found").payload(), 404)
        token, method = match.groups()
        if token != fake.token:
            return self._reply(ApiError(401, "Unauthorized").payload(), 401)
        try:
            params = parse_params(parts.query, self.headers.get("Content-Type", ""), body)
            if fake._before(method, params) == _DROP:
                self.close_connection = True  # the client sees the connection die without a response
                return
            self._reply({"ok": True, "result": fake.dispatch(method, params)})
        except ApiError as err:
            self._reply(err.payload(), err.code)
        except Exception as exc:  # a bug in the fake must show up as a failed call, not a hang
            self._reply(ApiError(500, f"Internal Server Error: fake failed with {exc!r}").payload(), 500)

    do_GET = do_POST

    def _reply(self, body: JSON, status: int = 200) -> None:
        data = json_bytes(body)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True


class FakeBotAPI(ServedFake, BotState):
    """Fake Telegram Bot API server plus the test-side API (inject, inspect, wait, inject faults)."""

    handler = _Handler

    def __init__(self, token: str = "123:ABC", host: str = "127.0.0.1") -> None:
        super().__init__(token)
        self._init_server(host)
        self._delay = 0.0
        self._chat_delays: dict[Any, float] = {}
        self._faults: dict[str, list[ApiError | str]] = {}
        self._aimed: list[tuple[str, Any, list[int], ApiError]] = []  # (method, chat_id, [calls to let through], error)

    # ---- fault injection -----------------------------------------------------------------------
    def fail_next(
        self, method: str, status: int = 429, retry_after: int | None = None, times: int = 1,
        description: str | None = None, *, chat_id: int | str | None = None, after: int = 0,
    ) -> None:
        """Make the next `times` calls of `method` ("*" = any) fail with a Telegram error reply.

        With `chat_id`: only calls to that chat, once, after letting `after` of them through (after=1 with
        sendMessage: the second part of a long reply fails).
        """
        if status == 429 and retry_after is None:
            retry_after = 1  # Telegram always tells the client how long to back off
        default = {429: f"Too Many Requests: retry after {retry_after}", 400: "Bad Request",
                   403: "Forbidden: bot was blocked by the user", 409: "Conflict",
                   500: "Internal Server Error", 502: "Bad Gateway"}
        err = ApiError(status, description or default.get(status, f"Error {status}"), retry_after)
        with self.cond:
            if chat_id is not None:
                self._aimed.append((method.lower(), chat_id, [after], err))
                return
            self._faults.setdefault(method.lower(), []).extend([err] * times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Make the next `times` calls of `method` ("*" = any) close the connection without a reply."""
        with self.cond:
            self._faults.setdefault(method.lower(), []).extend([_DROP] * times)

    def set_delay(self, seconds: float, chat_id: int | str | None = None) -> None:
        """Delay every reply (or only those to calls for `chat_id`) by `seconds` (0 to disable)."""
        if chat_id is None:
            self._delay = seconds
        else:
            self._chat_delays[chat_id] = seconds

    def _aimed_fault(self, method: str, params: JSON) -> ApiError | None:
        for aimed in self._aimed:
            name, chat, left, err = aimed
            if name in (method.lower(), "*") and params.get("chat_id") == chat:
                if left[0] > 0:
                    left[0] -= 1
                    continue
                self._aimed.remove(aimed)
                return err
        return None

    def _before(self, method: str, params: JSON) -> str | None:
        """Record the call, apply the delay and pop a pending fault; returns _DROP or raises ApiError."""
        with self.cond:
            self._calls.append(method)
            self.requests.append((method, params))
            self.cond.notify_all()
            queue = self._faults.get(method.lower()) or self._faults.get("*")
            fault = self._aimed_fault(method, params) or (queue.pop(0) if queue else None)
            delay = self._chat_delays.get(params.get("chat_id"), self._delay)
            if delay:  # a stop wakes it: a hanging call must not outlive the fake
                self.cond.wait_for(lambda: self.stopping, timeout=delay)
        if isinstance(fault, ApiError):
            raise fault
        return fault

    # ---- waiting -------------------------------------------------------------------------------
    def _report(self, what: str, timeout: float) -> str:
        lines = [f"  chat {m['chat_id']} #{m['message_id']}: {m['text']!r}" for m in self.sent()]
        hint = ""
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            hint = "\n(blocking wait inside a running event loop starves the bot: use the *_async variant)"
        sent = "\n".join(lines) or "  nothing"
        calls = self.calls[-30:]
        return f"timed out after {timeout}s waiting for {what}; bot sent:\n{sent}\nlast calls: {calls}{hint}"

    def _find(self, predicate: Callable[[JSON], bool]) -> JSON | None:
        with self.cond:
            return next((dict(m) for m in self._sent if predicate(m)), None)

    def wait_for(self, predicate: Callable[[JSON], bool], timeout: float = 10.0) -> JSON:
        """Block until a sent message satisfies predicate(msg) and return it; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = self._find(predicate)
                if found is not None:
                    return found
                if time.monotonic() >= deadline:
                    raise AssertionError(self._report("a matching message", timeout))
                self.cond.wait(deadline - time.monotonic())

    def wait_sent(self, chat_id: int | str, count: int = 1, timeout: float = 10.0) -> list[JSON]:
        """Block until the bot sent at least `count` messages to chat_id; return them all."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(msgs := self.sent(chat_id)) < count:
                if time.monotonic() >= deadline:
                    raise AssertionError(self._report(f"{count} message(s) to chat {chat_id}", timeout))
                self.cond.wait(deadline - time.monotonic())
            return msgs

    async def wait_for_async(self, predicate: Callable[[JSON], bool], timeout: float = 10.0) -> JSON:
        """Like wait_for, but yields to the event loop so a bot running in the same loop can progress."""
        deadline = time.monotonic() + timeout
        while (found := self._find(predicate)) is None:
            if time.monotonic() >= deadline:
                raise AssertionError(self._report("a matching message", timeout))
            await asyncio.sleep(0.02)
        return found

    async def wait_sent_async(self, chat_id: int | str, count: int = 1, timeout: float = 10.0) -> list[JSON]:
        """Like wait_sent, but yields to the event loop."""
        deadline = time.monotonic() + timeout
        while len(msgs := self.sent(chat_id)) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(self._report(f"{count} message(s) to chat {chat_id}", timeout))
            await asyncio.sleep(0.02)
        return msgs

    # ---- webhook -------------------------------------------------------------------------------
    def post_update_to_webhook(
        self, update: JSON | int, secret: str | None = None, timeout: float = 5.0
    ) -> int:
        """POST an update (dict or injected update_id) to the setWebhook url; return the HTTP status.

        secret=None sends no X-Telegram-Bot-Api-Secret-Token header; pass fake.webhook_secret to send it.
        Blocking: from an async test whose loop runs the webhook server, use asyncio.to_thread.
        """
        url = self.webhook_url
        if not url:
            raise AssertionError("the bot has not called setWebhook")
        with self.cond:
            body = self._history[update] if isinstance(update, int) else update
            data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
        request = urllib.request.Request(url, data, headers, method="POST")
        try:
            with opener.open(request, timeout=timeout) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as err:
            return int(err.code)
