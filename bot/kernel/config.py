"""One frozen configuration object, built once from the environment and an optional TOML file."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

import knowledge
from bot.kernel.registry import REGISTRY, Registry
from bot.kernel.values import ConfigError, deadlines, destinations, identity, ids, is_address, proxies

__all__ = ["Config", "ConfigError", "identity", "is_pg_url", "load_config"]

DEFAULT_KNOWLEDGE = Path(knowledge.__file__).resolve().parent
SMTP_TLS = {"starttls": 587, "ssl": 465, "none": 25}  # TLS mode -> its usual port
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a webhook secret_token
log = logging.getLogger(__name__)
PG_SCHEMES = ("postgresql://", "postgres://")


def is_pg_url(target: object) -> bool:
    """True when a database setting names a PostgreSQL server rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(PG_SCHEMES)


@dataclass(frozen=True)
class Config:
    """Every setting papibot reads; nothing else reads the environment."""

    telegram_token: str = ""
    telegram_api: str = "https://api.telegram.org"
    # Everything written at run time lives in the data directory; the shipped knowledge/ folder is only read.
    data_dir: Path = Path("data")
    db_path: Path = Path("data/papibot.db")  # <data_dir>/papibot.db unless PAPIBOT_DB names another
    # PAPIBOT_DB=postgresql://... selects PostgreSQL (then db_path is unused); anything else is a SQLite path.
    db_url: str = ""
    # PAPIBOT_MIGRATE_WITHOUT_BACKUP=1: upgrade a PostgreSQL schema even when no before-vN dump can be taken.
    migrate_without_backup: bool = False
    knowledge_dir: Path = DEFAULT_KNOWLEDGE
    # Identities written `channel:id`; a bare number is a Telegram id (older settings keep working).
    admin_ids: frozenset[str] = field(default_factory=frozenset)
    staff_ids: frozenset[str] = field(default_factory=frozenset)
    # Where officers hear about new tickets and problems, every one of them: `telegram:<group id>`,
    # `zalo_oa:<user id>`, `zalo_bot:<chat id>`, `email:<address>`. Each is an officers' place (admin role).
    admin_chat_id: tuple[str, ...] = ()
    webhook_url: str = ""
    webhook_secret: str = ""
    # The one HTTP server for everything inbound (webhooks, /healthz).
    http_listen: str = "127.0.0.1"
    http_port: int = 8080
    # The officers' web console: its own listener, for the office network only.
    web_listen: str = "127.0.0.1"
    web_port: int = 8081
    web_url: str = ""
    # Addresses (or networks) of the reverse proxies whose X-Forwarded-For/-Proto are believed; none by
    # default, so a client's own header never picks its address (the login lockout counts per address).
    trusted_proxies: tuple[str, ...] = ()
    # Matching thresholds (0-100): at or above `answer_threshold` the bot answers,
    # at or above `suggest_threshold` it offers up to three topics, below it queues.
    answer_threshold: float = 40.0
    suggest_threshold: float = 24.0
    # An answer whose standalone lead over the runner-up topic is under this many points is listed for
    # officers to review ("Chưa hiểu"), as are context answers whose message alone ranked another topic.
    doubt_margin: float = 15.0
    rate_limit_per_minute: int = 20
    retention_days: int = 365
    # Days a feedback item may stay in each open status before the register marks it overdue (calendar days,
    # e.g. PAPIBOT_FEEDBACK_DEADLINES="received=5,handling=10"); none unless the office sets them.
    feedback_deadlines: tuple[tuple[str, int], ...] = ()
    # Debug logs never hold names, question texts or SQL parameters unless this is set (PAPIBOT_LOG_CONTENT=1).
    log_content: bool = False
    # Zalo Official Account (Open API v3, OAuth v4); configured when app id, secret key and app secret are set.
    zalo_oa_app_id: str = ""
    zalo_oa_app_secret: str = ""
    zalo_oa_secret_key: str = ""
    zalo_oa_refresh_token: str = ""  # seeds an empty database only: the stored, rotated token wins
    zalo_oa_id: str = ""
    zalo_oa_api: str = "https://openapi.zalo.me"
    zalo_oauth_api: str = "https://oauth.zaloapp.com"
    zalo_oa_redirect_url: str = ""
    # Zalo Bot Platform: webhook mode when a URL is set, long polling otherwise.
    zalo_bot_token: str = ""
    zalo_bot_api: str = "https://bot-api.zaloplatforms.com"
    zalo_bot_webhook_url: str = ""
    zalo_bot_webhook_secret: str = ""
    # The report a leader signs (papibot report, the console's «Báo cáo»): left blank on the page when unset.
    report_number: str = ""  # e.g. "125/BC-VPUB"
    report_date: str = ""  # YYYY-MM-DD; unset: "ngày … tháng … năm <this year>" to fill in by hand
    report_signer_title: str = ""  # e.g. "CHÁNH VĂN PHÒNG"
    report_signer_name: str = ""
    report_chromium: str = ""  # the Chromium that prints the PDF; unset: chromium (or google-chrome) on PATH
    # The SMTP server `email:` destinations are sent through (send-only: officers cannot answer by e-mail).
    smtp_host: str = ""
    smtp_port: int = 0  # 0: the TLS mode's usual port (587, 465 or 25)
    smtp_tls: str = "starttls"  # starttls, ssl or none
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""  # the sender address; the login when it is an address and this is empty

    @property
    def learned_file(self) -> Path:
        """Where learned knowledge lived before the database held it: imported once, then renamed."""
        return self.data_dir / "learned.yaml"

    def staff_file(self, name: str) -> Path:
        """tasks.yaml or metrics.yaml: the data directory's copy when there is one, else the shipped file."""
        local = self.data_dir / name
        return local if local.exists() else self.knowledge_dir / name

    @property
    def smtp_address(self) -> tuple[str, int]:
        """The SMTP server's host and port (the TLS mode's usual port when none is set)."""
        return self.smtp_host, self.smtp_port or SMTP_TLS.get(self.smtp_tls, 587)

    def redacted(self, registry: Registry = REGISTRY) -> dict[str, object]:
        """Settings as a dict safe to log: no channel's secret is shown, nor the database's password."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["db_url"] = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", self.db_url)
        for name in registry.secret_fields():
            out[name] = "***" if getattr(self, name) else ""
        return out


_ENV = {
    "TELEGRAM_BOT_TOKEN": "telegram_token",
    "PAPIBOT_TELEGRAM_API": "telegram_api",
    "PAPIBOT_DATA_DIR": "data_dir",
    "PAPIBOT_DB": "db_path",
    "PAPIBOT_KNOWLEDGE": "knowledge_dir",
    "PAPIBOT_ADMIN_IDS": "admin_ids",
    "PAPIBOT_STAFF_IDS": "staff_ids",
    "PAPIBOT_ADMIN_CHAT_ID": "admin_chat_id",
    "PAPIBOT_WEBHOOK_URL": "webhook_url",
    "PAPIBOT_WEBHOOK_SECRET": "webhook_secret",
    "PAPIBOT_HTTP_LISTEN": "http_listen",
    "PAPIBOT_HTTP_PORT": "http_port",
    "PAPIBOT_WEB_LISTEN": "web_listen",
    "PAPIBOT_WEB_PORT": "web_port",
    "PAPIBOT_WEB_URL": "web_url",
    "PAPIBOT_TRUSTED_PROXIES": "trusted_proxies",
    "PAPIBOT_ANSWER_THRESHOLD": "answer_threshold",
    "PAPIBOT_SUGGEST_THRESHOLD": "suggest_threshold",
    "PAPIBOT_DOUBT_MARGIN": "doubt_margin",
    "PAPIBOT_RATE_LIMIT": "rate_limit_per_minute",
    "PAPIBOT_RETENTION_DAYS": "retention_days",
    "PAPIBOT_FEEDBACK_DEADLINES": "feedback_deadlines",
    "PAPIBOT_LOG_CONTENT": "log_content",
    "PAPIBOT_MIGRATE_WITHOUT_BACKUP": "migrate_without_backup",
    "PAPIBOT_ZALO_OA_APP_ID": "zalo_oa_app_id",
    "PAPIBOT_ZALO_OA_APP_SECRET": "zalo_oa_app_secret",
    "PAPIBOT_ZALO_OA_SECRET_KEY": "zalo_oa_secret_key",
    "PAPIBOT_ZALO_OA_REFRESH_TOKEN": "zalo_oa_refresh_token",
    "PAPIBOT_ZALO_OA_ID": "zalo_oa_id",
    "PAPIBOT_ZALO_OA_API": "zalo_oa_api",
    "PAPIBOT_ZALO_OAUTH_API": "zalo_oauth_api",
    "PAPIBOT_ZALO_OA_REDIRECT_URL": "zalo_oa_redirect_url",
    "ZALO_BOT_TOKEN": "zalo_bot_token",
    "PAPIBOT_ZALO_BOT_API": "zalo_bot_api",
    "PAPIBOT_ZALO_BOT_WEBHOOK_URL": "zalo_bot_webhook_url",
    "PAPIBOT_ZALO_BOT_WEBHOOK_SECRET": "zalo_bot_webhook_secret",
    "PAPIBOT_REPORT_NUMBER": "report_number",
    "PAPIBOT_REPORT_DATE": "report_date",
    "PAPIBOT_REPORT_SIGNER_TITLE": "report_signer_title",
    "PAPIBOT_REPORT_SIGNER_NAME": "report_signer_name",
    "PAPIBOT_REPORT_CHROMIUM": "report_chromium",
    "PAPIBOT_SMTP_HOST": "smtp_host",
    "PAPIBOT_SMTP_PORT": "smtp_port",
    "PAPIBOT_SMTP_TLS": "smtp_tls",
    "PAPIBOT_SMTP_USER": "smtp_user",
    "PAPIBOT_SMTP_PASSWORD": "smtp_password",
    "PAPIBOT_SMTP_FROM": "smtp_from",
}


# Settings renamed when the Telegram webhook moved onto the one HTTP server: old name -> new name.
_DEPRECATED = {"PAPIBOT_WEBHOOK_LISTEN": "PAPIBOT_HTTP_LISTEN", "PAPIBOT_WEBHOOK_PORT": "PAPIBOT_HTTP_PORT"}


def _renamed(env: dict[str, str]) -> dict[str, str]:
    """Honour the deprecated webhook listen/port names, refusing a disagreement with the new ones."""
    env = dict(env)
    for old, new in _DEPRECATED.items():
        if env.get(old, "").strip():
            if env.get(new, "").strip() and env[new].strip() != env[old].strip():
                raise ConfigError(f"{old} ({env[old]}) disagrees with {new} ({env[new]}); keep only {new}")
            log.warning("%s is deprecated: use %s", old, new)
            env[new] = env[old]
    return env


def _convert(name: str, value: object, known: tuple[str, ...] = REGISTRY.names) -> object:
    """Turn a raw TOML or environment value into the field's type (identities on the `known` channels)."""
    try:
        if name in ("admin_ids", "staff_ids"):
            return ids(value, known)
        if name == "feedback_deadlines":
            return deadlines(value)
        if name == "trusted_proxies":
            return proxies(value)
        if name == "admin_chat_id":
            return destinations(value, known)
        if name == "db_path" and is_pg_url(str(value).strip()):
            return str(value).strip()
        if name in ("db_path", "knowledge_dir", "data_dir"):
            return Path(str(value)).expanduser()
        if name in ("http_port", "web_port", "rate_limit_per_minute", "retention_days", "smtp_port"):
            return int(str(value))
        if name in ("answer_threshold", "suggest_threshold", "doubt_margin"):
            return float(str(value))
        if name == "smtp_tls":
            return str(value).strip().lower()
        if name in ("log_content", "migrate_without_backup"):
            return str(value).strip().lower() in ("1", "true", "yes", "on")
    except ConfigError as exc:
        raise ConfigError(f"setting {name}: {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot read {value!r}") from exc
    return str(value).strip()


def load_config(env: dict[str, str] | None = None, registry: Registry = REGISTRY, **overrides: object) -> Config:
    """Build the config: TOML file (PAPIBOT_CONFIG) first, environment on top, overrides last; identities name
    the `registry`'s channels."""
    env = _renamed(dict(os.environ if env is None else env))
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
            values[key] = _convert(key, value, registry.names)
    for var, name in _ENV.items():
        if env.get(var, "").strip():
            values[name] = _convert(name, env[var], registry.names)
    values.update(overrides)
    if "admin_chat_id" in values and not isinstance(values["admin_chat_id"], tuple):
        # a string, as in the setting
        values["admin_chat_id"] = _convert("admin_chat_id", values["admin_chat_id"], registry.names)
    if is_pg_url(values.get("db_path")):
        values["db_url"] = values.pop("db_path")
    if "db_path" not in values:
        values["db_path"] = Path(str(values.get("data_dir", Config.data_dir))) / "papibot.db"
    elif "data_dir" not in values:
        values["data_dir"] = Path(str(values["db_path"])).parent  # an older PAPIBOT_DB-only setup keeps its folder
    config = Config(**values)  # type: ignore[arg-type]
    if config.webhook_url and not _SECRET.match(config.webhook_secret):
        raise ConfigError("webhook mode needs PAPIBOT_WEBHOOK_SECRET: 1-256 characters A-Z, a-z, 0-9, _ or -")
    if config.retention_days < 1:
        raise ConfigError(f"retention_days must be at least 1 day (got {config.retention_days})")
    if config.zalo_bot_webhook_url and not 8 <= len(config.zalo_bot_webhook_secret) <= 256:
        raise ConfigError("Zalo Bot webhook mode needs PAPIBOT_ZALO_BOT_WEBHOOK_SECRET: 8-256 characters")
    if not 0 <= config.doubt_margin <= 100:
        raise ConfigError(f"doubt_margin must be between 0 and 100 score points (got {config.doubt_margin})")
    if config.report_date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", config.report_date):
        raise ConfigError(f"PAPIBOT_REPORT_DATE must be a date written YYYY-MM-DD (got {config.report_date!r})")
    try:
        dt.date.fromisoformat(config.report_date or "2000-01-01")
    except ValueError as exc:
        raise ConfigError(f"PAPIBOT_REPORT_DATE is not a date: {config.report_date!r}") from exc
    if not config.suggest_threshold <= config.answer_threshold:
        raise ConfigError("suggest_threshold must not be above answer_threshold")
    _check_destinations(config, registry)
    return config


def _check_destinations(config: Config, registry: Registry) -> None:
    """Refuse destinations nothing can send to: the web console and the CLI, e-mail without an SMTP server."""
    for place in config.admin_chat_id:
        if not registry.kind(place.partition(":")[0]).notices:
            raise ConfigError(f"PAPIBOT_ADMIN_CHAT_ID: {place} is not a place papibot can send notices to "
                              "(the web console shows every ticket anyway)")
    if config.smtp_tls not in SMTP_TLS:
        raise ConfigError(f"PAPIBOT_SMTP_TLS must be one of {', '.join(SMTP_TLS)} (got {config.smtp_tls!r})")
    if any(p.startswith("email:") for p in config.admin_chat_id):
        if not config.smtp_host:
            raise ConfigError("e-mail destinations in PAPIBOT_ADMIN_CHAT_ID need an SMTP server: PAPIBOT_SMTP_HOST")
        if not is_address(config.smtp_from or config.smtp_user):
            raise ConfigError("e-mail destinations need a sender address: PAPIBOT_SMTP_FROM")
