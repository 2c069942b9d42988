"""Telegram-side state and Bot API method semantics behind the fake server in fakebotapi.py."""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from html.parser import HTMLParser
from typing import Any

JSON = dict[str, Any]
BOT_USER: JSON = {"id": 1000, "is_bot": True, "first_name": "papibot", "username": "papibot_test_bot"}
# The only tags Telegram accepts with parse_mode=HTML; anything else is a "can't parse entities" error.
_HTML_TAGS = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
    "blockquote", "tg-emoji", "tg-time",
})
_PARSE = "Bad Request: can't parse entities: "
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """A Bot API error reply: HTTP status, Telegram's description and optional retry_after."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def payload(self) -> JSON:
        """Return Telegram's error body for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class _HtmlCheck(HTMLParser):
    """Rejects HTML that Telegram would reject (unknown or unbalanced tags), so escaping bugs surface."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text, self.stack, self.plain = text, list[str](), list[str]()
        self.feed(text)
        self.close()
        if self.stack:
            tag = self.stack[-1]
            raise ApiError(400, f'{_PARSE}Can\'t find end tag corresponding to start tag "{tag}"')

    def _offset(self) -> int:
        # Telegram reports UTF-8 byte offsets; HTMLParser gives (line, column) in characters.
        line, col = self.getpos()
        lines = self.text.split("\n")
        return len("\n".join([*lines[: line - 1], lines[line - 1][:col]]).encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise ApiError(400, f'{_PARSE}Unsupported start tag "{tag}" at byte offset {self._offset()}')
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ApiError(400, f"{_PARSE}Unexpected end tag at byte offset {self._offset()}")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.plain.append(data)


def _check_text(text: Any, parse_mode: Any) -> str:
    """Validate a message text the way Telegram does; return the plain text Telegram would store."""
    text = "" if text is None else str(text)
    plain = "".join(_HtmlCheck(text).plain) if str(parse_mode or "").lower() == "html" else text
    if not plain.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(plain) > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    return plain


def _inline(markup: Any) -> JSON | None:
    # Telegram only echoes inline keyboards back in Message.reply_markup.
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None


class BotState:
    """Thread-safe Telegram-side state: chats, messages, the update queue and everything the bot did."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.cond = threading.Condition()  # one lock for everything; notify_all on every change
        self.stopping = False
        self._updates: list[JSON] = []  # pending (unconfirmed) updates, ascending update_id
        self._history: dict[int, JSON] = {}  # every injected update, for webhook replays
        self._messages: dict[tuple[Any, int], JSON] = {}
        self._last_msg_id: dict[Any, int] = {}
        self._chats: dict[Any, JSON] = {}
        self._users: dict[int, JSON] = {}
        self._callback_ids: set[str] = set()
        self._my_commands: dict[str, list[Any]] = {}
        self._webhook: JSON = {}
        self._confirmed = 0
        self._poll_generation = 0
        self._last_update_id = 0
        self._ids = itertools.count(1)  # callback query ids
        self._calls: list[str] = []
        self.requests: list[tuple[str, JSON]] = []  # (method, decoded params) of every API call
        self._sent: list[JSON] = []
        self.sent_at: list[float] = []  # time.monotonic() of each record of _sent (latency measured where it ends)
        self._edits: list[JSON] = []
        self._answers: list[JSON] = []
        self._commands: list[JSON] = []
        self._actions: list[JSON] = []

    # ---- test-side API -------------------------------------------------------------------------
    def inject_update(self, update: JSON) -> int:
        """Queue a raw update dict (update_id is assigned if missing) and return its update_id."""
        with self.cond:
            update = copy.deepcopy(update)
            update.setdefault("update_id", self._last_update_id + 1)
            self._last_update_id = max(self._last_update_id, update["update_id"])
            self._updates.append(update)
            self._history[update["update_id"]] = update
            self.cond.notify_all()
            return update["update_id"]

    def inject_message(
        self, user_id: int, text: str, chat_id: int | None = None, chat_type: str = "private",
        first_name: str = "Dân", username: str | None = None, reply_to_message_id: int | None = None,
    ) -> int:
        """Queue a user's text message (bot_command entity for a leading /command); return update_id."""
        chat_id = user_id if chat_id is None else chat_id
        names = {"first_name": first_name, **({"username": username} if username else {})}
        user: JSON = {"id": user_id, "is_bot": False, **names}
        with self.cond:
            self._users[user_id] = user
            if chat_type == "private":
                self._chats[chat_id] = {"id": chat_id, "type": "private", **names}
            else:
                self._chats.setdefault(chat_id, {"id": chat_id, "type": chat_type, "title": "Test group"})
            reply = self._stored(chat_id, reply_to_message_id) if reply_to_message_id else None
            msg = self._new_message(chat_id, user, text, reply)
            command = re.match(r"/[A-Za-z0-9_]+(@\w+)?", text)
            if command:
                length = len(command.group().encode("utf-16-le")) // 2  # entity lengths are UTF-16 units
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            return self.inject_update({"message": msg})

    def inject_callback(self, user_id: int, data: str, message_id: int, chat_id: int | None = None) -> int:
        """Queue an inline-button press on the stored message (chat_id defaults to user_id)."""
        chat_id = user_id if chat_id is None else chat_id
        with self.cond:
            msg = self._stored(chat_id, message_id)
            query_id = str(4_000_000_000_000_000 + next(self._ids))
            self._callback_ids.add(query_id)
            user = self._users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "Dân"})
            cq = {"id": query_id, "from": user, "message": msg, "chat_instance": f"ci{chat_id}", "data": data}
            return self.inject_update({"callback_query": cq})

    def sent(self, chat_id: int | str | None = None) -> list[JSON]:
        """Messages the bot sent (optionally to one chat), oldest first."""
        with self.cond:
            return [dict(m) for m in self._sent if chat_id is None or m["chat_id"] == chat_id]

    def message(self, chat_id: int | str, message_id: int) -> JSON:
        """Current state of a stored message (after edits; text without HTML tags)."""
        with self.cond:
            return copy.deepcopy(self._messages[(chat_id, message_id)])

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot through getUpdates offset."""
        with self.cond:
            return copy.deepcopy(self._updates)

    def _snapshot(self, items: list[Any]) -> list[Any]:
        with self.cond:
            return copy.deepcopy(items)

    calls = property(lambda self: self._snapshot(self._calls), doc="Method names called, in order.")
    edits = property(lambda self: self._snapshot(self._edits), doc="editMessageText/ReplyMarkup calls.")
    callback_answers = property(lambda self: self._snapshot(self._answers), doc="answerCallbackQuery calls.")
    commands = property(lambda self: self._snapshot(self._commands), doc="setMyCommands calls.")
    chat_actions = property(lambda self: self._snapshot(self._actions), doc="sendChatAction calls.")
    confirmed_offset = property(lambda self: self._confirmed, doc="Highest offset the bot confirmed.")
    webhook_url = property(lambda self: self._webhook.get("url"), doc="URL from setWebhook, or None.")
    webhook_secret = property(lambda self: self._webhook.get("secret_token"), doc="setWebhook secret_token.")

    # ---- helpers -------------------------------------------------------------------------------
    def _chat(self, chat_id: Any) -> JSON:
        # Chats the test never introduced are assumed private with a stock name, to stay lenient.
        if chat_id not in self._chats:
            private = isinstance(chat_id, int) and chat_id > 0
            self._chats[chat_id] = {"id": chat_id, "type": "private", "first_name": "User"} if private else {
                "id": chat_id, "type": "supergroup", "title": "Test group"}
        return self._chats[chat_id]

    def _new_message(self, chat_id: Any, sender: JSON, text: str, reply: JSON | None) -> JSON:
        # Message ids are a per-chat sequence shared by user and bot messages, as in Telegram.
        self._last_msg_id[chat_id] = mid = self._last_msg_id.get(chat_id, 0) + 1
        msg = {"message_id": mid, "from": dict(sender), "chat": dict(self._chat(chat_id)),
               "date": int(time.time()), "text": text}
        if reply:
            msg["reply_to_message"] = reply
        self._messages[(chat_id, mid)] = msg
        return copy.deepcopy(msg)

    def _stored(self, chat_id: Any, message_id: Any) -> JSON:
        msg = self._messages.get((chat_id, message_id))
        if msg is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        msg = copy.deepcopy(msg)
        msg.pop("reply_to_message", None)  # Telegram never nests replies more than one level deep
        return msg

    def _editable(self, p: JSON) -> JSON:
        msg = self._messages.get((p.get("chat_id"), p.get("message_id")))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg["from"]["id"] != BOT_USER["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def dispatch(self, method: str, params: JSON) -> Any:
        """Run one Bot API method (name is case-insensitive, as in Telegram) and return its result."""
        handler = getattr(self, "api_" + method.lower(), None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(params)

    # ---- Bot API methods -----------------------------------------------------------------------
    def api_getme(self, p: JSON) -> JSON:
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    def api_getupdates(self, p: JSON) -> list[JSON]:
        offset, limit = int(p.get("offset") or 0), min(max(int(p.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + float(p.get("timeout") or 0)
        with self.cond:
            self._no_webhook()
            if offset > 0:  # confirms (and forgets forever) everything below offset
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self._confirmed = max(self._confirmed, offset)
            elif offset < 0:  # Telegram: keep only the last -offset updates
                self._updates = self._updates[offset:]
            self._poll_generation += 1
            generation = self._poll_generation
            self.cond.notify_all()  # an older long poll still waiting must now give way
            while not self._updates and not self.stopping and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
                if generation != self._poll_generation:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                        "make sure that only one bot instance is running")
                self._no_webhook()
            return copy.deepcopy(self._updates[:limit])

    def _no_webhook(self) -> None:
        if self._webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")

    def _reply_target(self, chat_id: Any, p: JSON) -> JSON | None:
        rp = p.get("reply_parameters") or {}
        if not rp and p.get("reply_to_message_id"):
            rp = {"message_id": p["reply_to_message_id"],
                  "allow_sending_without_reply": p.get("allow_sending_without_reply")}
        if not rp:
            return None
        try:
            return self._stored(rp.get("chat_id", chat_id), rp["message_id"])
        except KeyError:
            if rp.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found") from None

    def api_sendmessage(self, p: JSON) -> JSON:
        if p.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        plain = _check_text(p.get("text"), p.get("parse_mode"))
        with self.cond:
            chat_id = p["chat_id"]
            reply = self._reply_target(chat_id, p)
            msg = self._new_message(chat_id, BOT_USER, plain, reply)
            if _inline(p.get("reply_markup")):
                msg["reply_markup"] = p["reply_markup"]
                self._messages[(chat_id, msg["message_id"])]["reply_markup"] = p["reply_markup"]
            self._sent.append({
                "method": "sendMessage", "chat_id": chat_id, "text": p["text"],
                "parse_mode": p.get("parse_mode"), "reply_markup": p.get("reply_markup"),
                "message_id": msg["message_id"],
                "reply_to_message_id": reply["message_id"] if reply else None, "params": p})
            self.sent_at.append(time.monotonic())
            self.cond.notify_all()
            return msg

    def _edit(self, p: JSON, method: str, text: str | None) -> Any:
        # `text` is the plain text to store; the record keeps what the bot sent (e.g. with HTML tags).
        with self.cond:
            record = {"method": method, "chat_id": p.get("chat_id"), "message_id": p.get("message_id"),
                      "inline_message_id": p.get("inline_message_id"), "text": p.get("text"),
                      "parse_mode": p.get("parse_mode"), "reply_markup": p.get("reply_markup")}
            if p.get("inline_message_id"):  # inline messages are not stored; Telegram returns True
                self._edits.append(record)
                return True
            msg = self._editable(p)
            new_text, markup = msg["text"] if text is None else text, _inline(p.get("reply_markup"))
            if new_text == msg["text"] and markup == msg.get("reply_markup"):
                raise ApiError(400, _NOT_MODIFIED)
            msg.update(text=new_text, edit_date=int(time.time()))
            msg.pop("reply_markup", None)  # Telegram drops the inline keyboard unless the edit repeats it
            if markup is not None:
                msg["reply_markup"] = markup
            self._edits.append(record)
            self.cond.notify_all()
            return copy.deepcopy(msg)

    def api_editmessagetext(self, p: JSON) -> Any:
        return self._edit(p, "editMessageText", _check_text(p.get("text"), p.get("parse_mode")))

    def api_editmessagereplymarkup(self, p: JSON) -> Any:
        return self._edit(p, "editMessageReplyMarkup", None)

    def api_answercallbackquery(self, p: JSON) -> bool:
        with self.cond:
            if str(p.get("callback_query_id")) not in self._callback_ids:
                raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                    "or query ID is invalid")
            keys = ("callback_query_id", "text", "show_alert", "url", "cache_time")
            self._answers.append({k: p.get(k) for k in keys})
            self.cond.notify_all()
            return True

    def _commands_key(self, p: JSON) -> str:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps([scope, p.get("language_code") or ""], sort_keys=True)

    def api_setmycommands(self, p: JSON) -> bool:
        commands = p.get("commands") or []
        for c in commands:
            if not _COMMAND_RE.fullmatch(str(c.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        with self.cond:
            self._my_commands[self._commands_key(p)] = commands
            self._commands.append(
                {"commands": commands, "scope": p.get("scope"), "language_code": p.get("language_code")})
            self.cond.notify_all()
            return True

    def api_getmycommands(self, p: JSON) -> list[Any]:
        with self.cond:
            return copy.deepcopy(self._my_commands.get(self._commands_key(p), []))

    def api_deletemycommands(self, p: JSON) -> bool:
        with self.cond:
            self._my_commands.pop(self._commands_key(p), None)
            return True

    def api_sendchataction(self, p: JSON) -> bool:
        with self.cond:
            self._actions.append({"chat_id": p.get("chat_id"), "action": p.get("action")})
            self.cond.notify_all()
            return True

    def api_setwebhook(self, p: JSON) -> bool:
        with self.cond:
            if p.get("drop_pending_updates"):
                self._updates.clear()
            keys = ("url", "secret_token", "allowed_updates", "max_connections")
            self._webhook = {k: p[k] for k in keys if p.get(k)} if p.get("url") else {}
            self.cond.notify_all()  # a waiting getUpdates must now fail with 409
            return True

    def api_deletewebhook(self, p: JSON) -> bool:
        return self.api_setwebhook({"drop_pending_updates": p.get("drop_pending_updates")})

    def api_getwebhookinfo(self, p: JSON) -> JSON:
        with self.cond:
            info = {"url": self._webhook.get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": len(self._updates)}
            info.update({k: v for k, v in self._webhook.items() if k not in ("url", "secret_token")})
            return info

    def api_close(self, p: JSON) -> bool:
        return True

    def api_logout(self, p: JSON) -> bool:
        return True
