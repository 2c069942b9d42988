"""Protection at the edge: a per-user flood limit, and log masking of personal data and secrets."""

from __future__ import annotations

import logging

from bot.store.database import Coordinated, FloodLimit
from bot.store.limits import DROP, OK, WARN, FloodGuard, SharedFloodGuard
from bot.understanding import privacy

__all__ = ["DROP", "OK", "WARN", "Flood", "FloodGuard", "MaskingFilter", "SharedFloodGuard", "flood_guard",
           "install_log_masking", "mask"]
Flood = FloodLimit  # what the router asks of a flood limit


def flood_guard(storage: Coordinated, per_minute: int) -> Flood:
    """The per-user flood limit: counted in the database when processes share it (PostgreSQL), else in memory."""
    return storage.coordination.flood_limit(per_minute)


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
