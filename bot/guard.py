"""Protection at the edge: a per-user flood limit, and log masking of personal data and secrets."""

from __future__ import annotations

import logging
import time
from collections import deque

from bot import privacy

OK, WARN, DROP = "ok", "warn", "drop"


class FloodGuard:
    """Sliding one-minute window per user: past the limit the user is told once, then ignored."""

    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._warned: set[tuple[str, str]] = set()

    def check(self, channel: str, user_id: str, now: float | None = None) -> str:
        """OK to serve, WARN (tell the user once), or DROP (ignore silently)."""
        if self.per_minute <= 0:
            return OK
        now = time.monotonic() if now is None else now
        key = (channel, user_id)
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            self._warned.discard(key)
            return OK
        if key in self._warned:
            return DROP
        self._warned.add(key)
        return WARN

    def forget_idle(self, now: float | None = None) -> None:
        """Drop users with no message in the window, so memory follows active users only."""
        now = time.monotonic() if now is None else now
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[key]
            self._warned.discard(key)


def mask(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Hide any secret, then phone and identity numbers in any written form and e-mail addresses."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return privacy.mask(text)


class MaskingFilter(logging.Filter):
    """Applied to every log record: the rendered message (with arguments and traceback) is masked."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = mask(message, self.secrets), None
        if record.exc_text:
            record.exc_text = mask(record.exc_text, self.secrets)
        return True


def install_log_masking(secrets: tuple[str, ...]) -> None:
    """Mask personal data and secrets in everything the process logs."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskingFilter(secrets))
