"""Local fakes of the Zalo Official Account Open API (+ OAuth v4) and the Zalo Bot Platform, for tests.

Each fake is a stdlib HTTP server in a daemon thread on 127.0.0.1 and a free port; use it as a context manager
and point the adapter's API-URL settings at ``fake.url``. Semantics live elsewhere: fakezalo_state.py (OA, and
the error codes both fakes use), fakezalo_botstate.py (Bot Platform), fakezalo_events.py (OA webhook events).
This module holds the servers, fault injection and the test-side senders (signed OA webhook events, Bot
Platform webhook deliveries).
"""

from __future__ import annotations

import copy
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakeserver import FakeHandler, ServedFake, json_bytes
from tests.fakezalo_botstate import BotState
from tests.fakezalo_events import OAEvents
from tests.fakezalo_state import JSON, OAState, now_ms, pkce_challenge

__all__ = ["STALE_AGE", "FakeZaloBot", "FakeZaloOA", "pkce_challenge"]

STALE_AGE = 3600  # seconds: how old post_event(stale=True) makes an event's timestamp


class _Handler(FakeHandler):
    """Every request goes to the fake."""

    def do_POST(self) -> None:
        """Serve one request through the fake (faults first, then the API semantics)."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.fake._serve(self.path, headers, body)
        if reply is None:
            self.close_connection = True  # dropped: the client sees the connection die without a response
            return
        status, ctype, data = reply
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    do_GET = do_POST


@dataclass
class _Fault:
    kind: str  # "delay", "http" or "drop"
    target: str | None  # substring of the request path, None = any request
    times: int | None  # requests left, None = unlimited
    until: float | None  # time.monotonic() deadline, None = none
    seconds: float = 0.0
    status: int = 500
    recipient: str | None = None  # only requests to this user (OA) or chat (Bot), None = any
    after: int = 0  # matching requests let through before this fault applies

    def live(self, now: float) -> bool:
        return (self.times is None or self.times > 0) and (self.until is None or now < self.until)

    def applies(self, path: str, body: bytes) -> bool:
        """True when this request is one the fault is aimed at (counting down `after` first)."""
        if (self.target and self.target not in path) or (self.recipient and _recipient(body) != self.recipient):
            return False
        if self.after > 0:
            self.after -= 1
            return False
        return True


def _recipient(body: bytes) -> str | None:
    """Whom a send is for: the OA's recipient.user_id or the Bot Platform's chat_id."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    recipient = data.get("recipient")
    found = recipient.get("user_id") if isinstance(recipient, dict) else data.get("chat_id")
    return None if found is None else str(found)


class _Served(ServedFake):
    """Server lifecycle and fault injection shared by both fakes (mixed into an OAState or BotState)."""

    cond: threading.Condition
    stopping: bool
    requests: list[JSON]
    route: Callable[[str, dict[str, str], bytes], tuple[int, JSON]]

    handler = _Handler

    def _init_server(self, host: str) -> None:
        super()._init_server(host)
        self._faults: list[_Fault] = []

    # ---- fault injection: target = substring of the request path ("message/cs", "sendMessage", ...) ----
    def _add(self, fault: _Fault, for_seconds: float | None) -> None:
        if for_seconds is not None:
            fault.until, fault.times = time.monotonic() + for_seconds, None
        with self.cond:
            self._faults.append(fault)

    def delay(self, seconds: float, *, times: int | None = None, for_seconds: float | None = None,
              target: str | None = None, recipient: str | None = None) -> None:
        """Delay replies by `seconds`: for the next `times` requests, for `for_seconds`, or until cleared
        (recipient: only sends to that user or chat)."""
        self._add(_Fault("delay", target, times, None, seconds=seconds, recipient=recipient), for_seconds)

    def fail_next(self, status: int = 500, *, times: int = 1, for_seconds: float | None = None,
                  target: str | None = None, recipient: str | None = None, after: int = 0) -> None:
        """Answer the next `times` requests (or all for `for_seconds`) with HTTP `status` (500, 502, 429...);
        recipient: only sends to that user or chat, after letting `after` of them through."""
        self._add(_Fault("http", target, times, None, status=status, recipient=recipient, after=after), for_seconds)

    def drop_next(self, *, times: int = 1, for_seconds: float | None = None, target: str | None = None) -> None:
        """Close the connection without any reply for the next `times` requests (or for `for_seconds`)."""
        self._add(_Fault("drop", target, times, None), for_seconds)

    def clear_faults(self) -> None:
        """Remove every pending delay, failure and drop."""
        with self.cond:
            self._faults.clear()

    def _http_error(self, status: int) -> tuple[str, bytes]:
        return "text/plain", f"HTTP {status} from the fake".encode()

    def _serve(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes] | None:
        """Record the request, apply faults, then route; None means drop the connection."""
        with self.cond:
            self.requests.append({"path": path, "headers": headers, "body": body})
            now, wait, action = time.monotonic(), 0.0, None
            for fault in self._faults:
                taken = wait if fault.kind == "delay" else action is not None  # one delay, one action at most
                if taken or not fault.live(now) or not fault.applies(path, body):
                    continue
                if fault.kind == "delay":
                    wait = fault.seconds
                else:
                    action = fault
                fault.times = None if fault.times is None else fault.times - 1
            self._faults = [f for f in self._faults if f.live(now)]
            if wait:
                self.cond.wait_for(lambda: self.stopping, timeout=wait)
            if self.stopping:
                return None
        if action is not None:
            return None if action.kind == "drop" else (action.status, *self._http_error(action.status))
        status, payload = self.route(path, headers, body)
        return status, "application/json", json_bytes(payload)


def _post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    """POST bytes to url (never through a proxy); return (status, body text), also for HTTP errors."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data, {"Content-Type": "application/json", **headers}, method="POST")
    try:
        with opener.open(request, timeout=timeout) as resp:
            return int(resp.status), resp.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return int(err.code), err.read().decode(errors="replace")


class FakeZaloOA(_Served, OAEvents, OAState):
    """Fake Zalo OA Open API v3 + OAuth v4 on one server (set both PAPIBOT_ZALO_OA_API and _OAUTH_API to .url)."""

    def __init__(self, app_id: str = "1234567890123456789", oa_id: str = "579745863508352884",
                 app_secret: str = "app-secret-0123456789", oa_secret_key: str = "oa-secret-key-0123456789",
                 refresh_token: str = "oa-refresh-initial", access_token: str | None = "oa-access-initial",
                 token_lifetime: int = 90000, clock: Callable[[], float] | None = None,
                 host: str = "127.0.0.1") -> None:
        OAState.__init__(self, app_id, oa_id, app_secret, oa_secret_key, refresh_token, access_token,
                         token_lifetime, clock)
        self._init_server(host)

    def _http_error(self, status: int) -> tuple[str, bytes]:
        return "text/html", f"<html><body><h1>{status}</h1>Server error</body></html>".encode()

    def post_event(self, webhook_url: str, event: JSON, *, variant: str = "app_id", tamper: bool = False,
                   stale: bool = False, signature: str | None = None, timeout: float = 5.0) -> tuple[int, str]:
        """POST a signed event (X-ZEvent-Signature: mac=<hex>); return (HTTP status, body text).

        stale: the timestamp is STALE_AGE seconds old (validly signed); tamper: the body changes after signing;
        signature: sent verbatim as the whole header value ("" = no header). Genuine deliveries (none of these)
        update the fake: a user_send_* event counts as user_wrote, follow/unfollow set following.
        """
        event = copy.deepcopy(event)
        if stale:
            event["timestamp"] = str(now_ms() - STALE_AGE * 1000)
        body = json_bytes(event)
        mac = self.sign(body, event.get("timestamp", ""), variant)
        if tamper:
            message = event.get("message") or {}
            if "text" in message:
                message["text"] += " (đã sửa)"
            else:
                event["tampered"] = True
            body = json_bytes(event)
        header = f"mac={mac}" if signature is None else signature
        headers = {"X-ZEvent-Signature": header} if header else {}
        if not (tamper or stale or signature is not None):
            self._delivered(event)
        return _post(webhook_url, body, headers, timeout)

    def _delivered(self, event: JSON) -> None:
        def field(name: str, key: str) -> Any:  # a malformed event (a string where Zalo has an object) changes nothing
            value = event.get(name)
            return value.get(key) if isinstance(value, dict) else None

        name, user, msg_id = str(event.get("event_name", "")), field("sender", "id"), field("message", "msg_id")
        if name.startswith("user_send_") and user:
            self.user_wrote(user, msg_id=msg_id)
        elif name in ("follow", "unfollow") and field("follower", "id"):
            self.set_user(field("follower", "id"), following=name == "follow")
        elif msg_id:
            with self.cond:
                self._known_ids.add(msg_id)


class FakeZaloBot(_Served, BotState):
    """Fake Zalo Bot Platform API at .url: POST {url}/bot<TOKEN>/<method> with a JSON body."""

    def __init__(self, token: str = "1234567890123456789:fake-bot-token", bot_id: str = "1234567890123456789",
                 account_name: str = "bot.papibot", display_name: str = "papibot",
                 host: str = "127.0.0.1") -> None:
        BotState.__init__(self, token, bot_id, account_name, display_name)
        self._init_server(host)

    def _http_error(self, status: int) -> tuple[str, bytes]:
        text = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}.get(status, "Error")
        return "application/json", json.dumps({"ok": False, "error_code": status, "description": text}).encode()

    def deliver_webhook(self, update: JSON, wrapped: bool = False, secret: str | None = None,
                        timeout: float = 5.0) -> int:
        """POST an update to the setWebhook url with X-Bot-Api-Secret-Token; return the HTTP status.

        secret=None sends the registered secret_token, "" sends no header, any other string is sent as is.
        wrapped=True sends {"ok": true, "result": update} instead of the bare update.
        """
        url = self.webhook_url
        if not url:
            raise AssertionError("the bot has not called setWebhook")
        token = self.webhook_secret if secret is None else secret
        body = json_bytes({"ok": True, "result": update} if wrapped else update)
        return _post(url, body, {"X-Bot-Api-Secret-Token": token} if token else {}, timeout)[0]
