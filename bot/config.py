"""One frozen configuration object, built once from the environment and an optional TOML file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

import knowledge

DEFAULT_KNOWLEDGE = Path(knowledge.__file__).resolve().parent


class ConfigError(ValueError):
    """Raised when a setting cannot be understood."""


@dataclass(frozen=True)
class Config:
    """Every setting papibot reads; nothing else reads the environment."""

    telegram_token: str = ""
    telegram_api: str = "https://api.telegram.org"
    db_path: Path = Path("data/papibot.db")
    knowledge_dir: Path = DEFAULT_KNOWLEDGE
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    staff_ids: frozenset[int] = field(default_factory=frozenset)
    admin_chat_id: int | None = None
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = ""
    # Matching thresholds (0-100): at or above `answer_threshold` the bot answers,
    # at or above `suggest_threshold` it offers up to three topics, below it queues.
    answer_threshold: float = 44.0
    suggest_threshold: float = 24.0
    rate_limit_per_minute: int = 20
    retention_days: int = 365

    def redacted(self) -> dict[str, object]:
        """Settings as a dict safe to log: the token is never shown."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["telegram_token"] = "***" if self.telegram_token else ""
        out["webhook_secret"] = "***" if self.webhook_secret else ""
        return out


_ENV = {
    "TELEGRAM_BOT_TOKEN": "telegram_token",
    "PAPIBOT_TELEGRAM_API": "telegram_api",
    "PAPIBOT_DB": "db_path",
    "PAPIBOT_KNOWLEDGE": "knowledge_dir",
    "PAPIBOT_ADMIN_IDS": "admin_ids",
    "PAPIBOT_STAFF_IDS": "staff_ids",
    "PAPIBOT_ADMIN_CHAT_ID": "admin_chat_id",
    "PAPIBOT_WEBHOOK_URL": "webhook_url",
    "PAPIBOT_WEBHOOK_LISTEN": "webhook_listen",
    "PAPIBOT_WEBHOOK_PORT": "webhook_port",
    "PAPIBOT_WEBHOOK_SECRET": "webhook_secret",
    "PAPIBOT_ANSWER_THRESHOLD": "answer_threshold",
    "PAPIBOT_SUGGEST_THRESHOLD": "suggest_threshold",
    "PAPIBOT_RATE_LIMIT": "rate_limit_per_minute",
    "PAPIBOT_RETENTION_DAYS": "retention_days",
}


def _ids(value: object) -> frozenset[int]:
    items = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value).replace(";", ",").split(",")
    try:
        return frozenset(int(v.strip()) for v in items if v.strip())
    except ValueError as exc:
        raise ConfigError(f"user ids must be whole numbers separated by commas: {value!r}") from exc


def _convert(name: str, value: object) -> object:
    """Turn a raw TOML or environment value into the field's type."""
    try:
        if name in ("admin_ids", "staff_ids"):
            return _ids(value)
        if name == "admin_chat_id":
            return int(value) if str(value).strip() else None
        if name in ("db_path", "knowledge_dir"):
            return Path(str(value)).expanduser()
        if name in ("webhook_port", "rate_limit_per_minute", "retention_days"):
            return int(value)
        if name in ("answer_threshold", "suggest_threshold"):
            return float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot read {value!r}") from exc
    return str(value).strip()


def load_config(env: dict[str, str] | None = None, **overrides: object) -> Config:
    """Build the config: TOML file (PAPIBOT_CONFIG) first, environment on top, overrides last."""
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    toml_path = env.get("PAPIBOT_CONFIG")
    if toml_path:
        try:
            data = tomllib.loads(Path(toml_path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {toml_path}: {exc}") from exc
        known = {f.name for f in fields(Config)}
        for key, value in data.get("papibot", data).items():
            if key not in known:
                raise ConfigError(f"{toml_path}: unknown setting {key!r}")
            values[key] = _convert(key, value)
    for var, name in _ENV.items():
        if env.get(var, "").strip():
            values[name] = _convert(name, env[var])
    values.update(overrides)
    config = Config(**values)  # type: ignore[arg-type]
    if not config.suggest_threshold <= config.answer_threshold:
        raise ConfigError("suggest_threshold must not be above answer_threshold")
    return config
