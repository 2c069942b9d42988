"""Button payloads: `prefix:arg:arg`, short, validated against the router's table; never trusted."""

from __future__ import annotations

import re

MAX_PAYLOAD = 64  # Telegram's callback_data limit, in bytes
_SHAPE = re.compile(r"^([a-z]{1,8})(?::([A-Za-z0-9_-]{1,48}))*$")


def encode(prefix: str, *args: object) -> str:
    """A payload such as `sug:12:khai-sinh`."""
    payload = ":".join([prefix, *(str(a) for a in args)])
    if not _SHAPE.match(payload) or len(payload.encode()) > MAX_PAYLOAD:
        raise ValueError(f"not a valid payload: {payload!r}")
    return payload


def decode(payload: object) -> tuple[str, list[str]] | None:
    """(prefix, args) of a well-formed payload, or None for anything else (empty, too long, odd characters)."""
    if not isinstance(payload, str) or not payload or len(payload.encode()) > MAX_PAYLOAD:
        return None
    if not _SHAPE.match(payload):
        return None
    prefix, *args = payload.split(":")
    return prefix, args
