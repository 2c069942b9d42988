"""Zalo-side state and API semantics behind the fake servers in fakezalo.py (no sockets here).

Error codes chosen by the fakes (Zalo documents codes but not every text; where unsure, a realistic one was picked):

OA Open API v3 (``POST /v3.0/oa/message/cs``, always HTTP 200, body ``{"error": N, "message": "..."}``):
  -216 unknown or missing access token          -220 access token expired (past its lifetime, or expired on demand)
  -201 invalid parameter: missing user id, empty text, text over 2,000 characters, unknown quote_message_id
  -213 user does not follow the OA               -227 user inactive
  -230 user has not interacted in the last 7 days (also: never interacted)
  -244 user restricted this message type         -32 rate limit and -232 interaction expired: injected only
OAuth v4 (``POST /v4/oa/access_token``, HTTP 200, body ``{"error": N, "error_name", "error_reason", "ref_doc",
"error_description"}``): -14002 wrong app_id, -14012 wrong secret_key header, -14003 missing field or unknown
grant_type, -14014 unknown or already used refresh token, -14019 unknown or already used authorization code,
-14016 code_verifier does not match the code_challenge (PKCE S256).
Bot Platform: wrong token 401; bad parameters 400; getUpdates idle 408 ("Request timeout"); getUpdates while a
webhook is set 409; unknown method 404. The HTTP status always equals error_code.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSON = dict[str, Any]
MAX_TEXT = 2000
WINDOW = 7 * 86400  # seconds a user's last message keeps the OA allowed to write to them
OA_ERRORS = {
    -32: "Request exceeded the rate limit", -201: "Parameters are invalid", -213: "User has not followed the OA",
    -216: "Access token is invalid", -220: "Access token has expired", -227: "User is inactive",
    -230: "User has not interacted with the OA in the last 7 days",
    -232: "User's interaction with the OA has expired for this message type",
    -244: "User has restricted receiving this type of message",
}
OAUTH_ERRORS = {
    -14002: ("Invalid app_id", "app_id is wrong"), -14003: ("Invalid parameter", "a field is missing or wrong"),
    -14012: ("Invalid secret key", "secret_key header does not match the app"),
    -14014: ("Invalid refresh token", "refresh token is unknown, expired or already used"),
    -14016: ("Invalid code verifier", "code_verifier does not match code_challenge"),
    -14019: ("Invalid authorization code", "code is unknown, expired or already used"),
}


def now_ms() -> int:
    """Real wall-clock time in milliseconds (event and message timestamps)."""
    return int(time.time() * 1000)


def hex32() -> str:
    """A fresh 32-hex-digit id, the shape of Zalo message ids."""
    return uuid.uuid4().hex


class OAError(Exception):
    """An Open API error reply {"error": code, "message": ...}."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message or OA_ERRORS.get(code, f"Error {code}"))
        self.code, self.message = code, message or OA_ERRORS.get(code, f"Error {code}")


class OAuthError(Exception):
    """An OAuth v4 error reply."""

    def __init__(self, code: int) -> None:
        name, reason = OAUTH_ERRORS[code]
        super().__init__(name)
        self.payload: JSON = {"error": code, "error_name": name, "error_reason": reason, "ref_doc": "",
                              "error_description": reason}


class BotError(Exception):
    """A Bot Platform error reply; the HTTP status equals the error code."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


class _Recorder:
    """Thread-safe record of accepted outgoing messages plus waiting helpers, shared by both fakes."""

    _key = "user_id"

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.stopping = False
        self.requests: list[JSON] = []  # every HTTP request: {"path", "headers", "body"}
        self._sent: list[JSON] = []

    @property
    def messages(self) -> list[JSON]:
        """Every accepted outgoing message, oldest first."""
        with self.cond:
            return [dict(m) for m in self._sent]

    def messages_to(self, recipient: str) -> list[JSON]:
        """Accepted outgoing messages to one user (OA) or chat (Bot), oldest first."""
        return [m for m in self.messages if m[self._key] == str(recipient)]

    def _record(self, msg: JSON) -> None:
        with self.cond:
            self._sent.append(msg)
            self.cond.notify_all()

    def _timeout(self, timeout: float) -> AssertionError:
        lines = "\n".join(f"  {m[self._key]}: {m['text']!r}" for m in self.messages) or "  nothing"
        return AssertionError(f"timed out after {timeout}s; messages sent so far:\n{lines}")

    def wait_for(self, predicate: Callable[[JSON], bool], timeout: float = 5.0) -> JSON:
        """Block until an accepted message satisfies predicate(msg); return it (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while (found := next((dict(m) for m in self._sent if predicate(m)), None)) is None:
                if time.monotonic() >= deadline:
                    raise self._timeout(timeout)
                self.cond.wait(deadline - time.monotonic())
            return found

    async def wait_for_async(self, predicate: Callable[[JSON], bool], timeout: float = 5.0) -> JSON:
        """Like wait_for, but yields to the event loop so code in the same loop can progress."""
        deadline = time.monotonic() + timeout
        while (found := next((m for m in self.messages if predicate(m)), None)) is None:
            if time.monotonic() >= deadline:
                raise self._timeout(timeout)
            await asyncio.sleep(0.02)
        return found


class OAState(_Recorder):
    """Official Account side: tokens, OAuth, followers and their 7-day window, the send endpoint."""

    def __init__(self, app_id: str, oa_id: str, app_secret: str, oa_secret_key: str, refresh_token: str,
                 access_token: str | None, token_lifetime: int, clock: Callable[[], float] | None) -> None:
        super().__init__()
        self.app_id, self.oa_id, self.app_secret, self.oa_secret_key = app_id, oa_id, app_secret, oa_secret_key
        self.token_lifetime, self._clock, self._offset = token_lifetime, clock or time.time, 0.0
        self._access: dict[str, float] = {}  # token -> expiry on the fake clock
        self._refresh: set[str] = {refresh_token}
        self._codes: dict[str, str] = {}  # authorization code -> code_challenge
        self._users: dict[str, JSON] = {}
        self._known_ids: set[str] = set()  # message ids a quote may point at
        self._forced: collections.deque[OAError] = collections.deque()
        self.access_token, self.refresh_token = access_token or "", refresh_token
        self.refresh_count = 0
        self.refresh_tokens_used: list[str] = []  # every refresh token presented, accepted or not, in order
        if access_token:
            self._access[access_token] = self.now() + token_lifetime

    # ---- clock and users -----------------------------------------------------------------------
    def now(self) -> float:
        """The fake's clock in epoch seconds (token expiry, 7-day window); moved by advance()."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (e.g. 8 * 86400 to leave the 7-day window)."""
        with self.cond:
            self._offset += seconds

    def _user(self, user_id: str) -> JSON:
        return self._users.setdefault(str(user_id), {"last": None, "following": True, "inactive": False,
                                                     "restricted": False})

    def user_wrote(self, user_id: str, at: float | None = None, msg_id: str | None = None) -> None:
        """Note that the user wrote to the OA at `at` (fake-clock seconds, default now); msg_id becomes quotable."""
        with self.cond:
            self._user(user_id)["last"] = self.now() if at is None else at
            if msg_id:
                self._known_ids.add(msg_id)

    def set_user(self, user_id: str, *, following: bool | None = None, inactive: bool | None = None,
                 restricted: bool | None = None) -> None:
        """Change a user's status: following (-213 if False), inactive (-227), restricted (-244)."""
        flags = {"following": following, "inactive": inactive, "restricted": restricted}
        with self.cond:
            self._user(user_id).update({k: v for k, v in flags.items() if v is not None})

    # ---- faults and tokens ---------------------------------------------------------------------
    def force_error(self, code: int, times: int = 1, message: str | None = None) -> None:
        """Make the next `times` sends fail with Zalo error `code` (e.g. -216 once, -32 rate limit)."""
        with self.cond:
            self._forced.extend([OAError(code, message)] * times)

    def expire_access_token(self, token: str | None = None) -> None:
        """Expire one access token, or every one issued so far (sends then get -220)."""
        with self.cond:
            for t in [token] if token else list(self._access):
                self._access[t] = self.now() - 1

    def issue_code(self, code_challenge: str) -> str:
        """Issue a single-use authorization code bound to a PKCE S256 code_challenge."""
        code = secrets.token_urlsafe(24)
        with self.cond:
            self._codes[code] = code_challenge
        return code

    def _new_tokens(self) -> JSON:
        access, refresh = "oa-access-" + secrets.token_urlsafe(24), "oa-refresh-" + secrets.token_urlsafe(24)
        self._access[access] = self.now() + self.token_lifetime
        self._refresh.add(refresh)
        self.access_token, self.refresh_token = access, refresh
        return {"access_token": access, "refresh_token": refresh, "expires_in": str(self.token_lifetime)}

    def api_token(self, secret_key: str | None, form: dict[str, str]) -> JSON:
        """POST /v4/oa/access_token: exchange a refresh token or an authorization code for new tokens."""
        if form.get("app_id") != self.app_id:
            raise OAuthError(-14002)
        if secret_key != self.app_secret:
            raise OAuthError(-14012)
        grant = form.get("grant_type")
        with self.cond:
            if grant == "refresh_token" and form.get("refresh_token"):
                token = form["refresh_token"]
                self.refresh_tokens_used.append(token)
                if token not in self._refresh:
                    raise OAuthError(-14014)
                self._refresh.discard(token)  # single use: the old one dies with this refresh
                self.refresh_count += 1
                return self._new_tokens()
            if grant == "authorization_code" and form.get("code") and form.get("code_verifier"):
                challenge = self._codes.pop(form["code"], None)
                if challenge is None:
                    raise OAuthError(-14019)
                if pkce_challenge(form["code_verifier"]) != challenge:
                    raise OAuthError(-14016)
                return self._new_tokens()
        raise OAuthError(-14003)

    # ---- sending -------------------------------------------------------------------------------
    def api_send(self, token: str | None, body: JSON) -> JSON:
        """POST /v3.0/oa/message/cs: check token, text, quote and user; record and return data."""
        with self.cond:
            expiry = self._access.get(token or "")
            if expiry is None:
                raise OAError(-216)
            if expiry <= self.now():
                raise OAError(-220)
            if self._forced:
                raise self._forced.popleft()
            user_id = str((body.get("recipient") or {}).get("user_id") or "")
            message = body.get("message") or {}
            text, quote = message.get("text"), message.get("quote_message_id")
            if not user_id:
                raise OAError(-201, "recipient.user_id is missing")
            if not isinstance(text, str) or not text.strip():
                raise OAError(-201, "message text is empty")
            if len(text) > MAX_TEXT:
                raise OAError(-201, f"message text too long (more than {MAX_TEXT} characters)")
            if quote and quote not in self._known_ids:
                raise OAError(-201, "quote_message_id is invalid")
            user = self._user(user_id)
            if user["restricted"]:
                raise OAError(-244)
            if user["inactive"]:
                raise OAError(-227)
            if not user["following"]:
                raise OAError(-213)
            if user["last"] is None or self.now() - user["last"] > WINDOW:
                raise OAError(-230)
            message_id = hex32()
            self._known_ids.add(message_id)
        self._record({"user_id": user_id, "text": text, "quote_message_id": quote, "message_id": message_id,
                      "time": self.now(), "access_token": token})
        return {"message_id": message_id, "user_id": user_id}

    def route(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, JSON]:
        """Serve one request: (HTTP status, JSON body)."""
        path = urlsplit(path).path.rstrip("/")
        if path == "/v3.0/oa/message/cs":
            try:
                payload = json.loads(body or b"{}")
                data = self.api_send(headers.get("access_token"), payload if isinstance(payload, dict) else {})
                return 200, {"error": 0, "message": "Success", "data": data}
            except ValueError:
                return 200, {"error": -201, "message": "body is not valid JSON"}
            except OAError as err:
                return 200, {"error": err.code, "message": err.message}
        if path == "/v4/oa/access_token":
            try:
                return 200, self.api_token(headers.get("secret_key"), dict(parse_qsl(body.decode())))
            except OAuthError as err:
                return 200, err.payload
        return 404, {"error": 404, "message": "Not Found"}


def pkce_challenge(verifier: str) -> str:
    """PKCE S256: base64url(sha256(verifier)) without '=' padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
