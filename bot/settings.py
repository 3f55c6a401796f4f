"""Settings from the environment and `.env`, built once and injectable.

Every variable is documented in `.env.example`. A missing or malformed value raises
`SettingsError` whose message names the variable and what is expected; the token is never part
of any message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

TELEGRAM_DEFAULT_API = "https://api.telegram.org"

DEFAULT_CRISIS_RESOURCES = (
    "If you are in immediate danger, call your local emergency number now "
    "(112 in Europe, 911 in the US and Canada, 999 in the UK).\n"
    "You can reach a crisis line any time: findahelpline.com lists free, confidential "
    "helplines for your country.\n"
    "Your clinic has not set its own contacts yet; please ask your facilitator for them."
)


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs from its environment."""

    telegram_bot_token: str = ""
    telegram_api_base: str = TELEGRAM_DEFAULT_API
    database_url: str = ""
    data_dir: Path = Path("data")
    admin_user_ids: frozenset[int] = frozenset()
    default_timezone: str = "UTC"
    default_checkin_time: time = time(20, 0)
    log_level: str = "INFO"
    encryption_key: str = ""
    crisis_resources: str = DEFAULT_CRISIS_RESOURCES
    mode: str = "polling"
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "0.0.0.0"  # noqa: S104 - a webhook server listens on all interfaces
    webhook_port: int = 8443
    replicas: int = 1
    global_rate: float = 25.0
    paid_broadcast: bool = False
    min_aggregate_members: int = 5
    checkin_late_window_minutes: int = 180
    planner_interval_seconds: float = 15.0
    risk_phrases_file: str = ""
    risk_phrases_replace: bool = False
    alert_escalate_minutes: int = 60
    alert_admin_minutes: int = 180
    nudge_after_hours: float = 4.0
    share_digest_time: time = time(19, 0)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite (one process only)."""
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests and the sandbox use this)."""
        return replace(self, **changes)

    def __repr__(self) -> str:  # never show secrets
        return f"Settings(mode={self.mode!r}, database={'sqlite' if self.is_sqlite else 'other'})"


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number between {lo} and {hi}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be a whole number between {lo} and {hi}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number between {lo:g} and {hi:g}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be a number between {lo:g} and {hi:g}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false")


def _time(env: Mapping[str, str], name: str, default: time) -> time:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        hh, mm = raw.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise SettingsError(f"{name} must be a time of day like 20:00") from None


def _token(env: Mapping[str, str]) -> str:
    raw = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if raw:
        head, sep, tail = raw.partition(":")
        if not (sep and head.isdigit() and tail):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN must look like 123456789:ABC-DEF... (the token @BotFather gave)"
            )
    return raw


def _admins(env: Mapping[str, str]) -> frozenset[int]:
    raw = env.get("ADMIN_USER_IDS", "").strip()
    if not raw:
        return frozenset()
    ids = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise SettingsError("ADMIN_USER_IDS must be Telegram user ids separated by commas")
        ids.add(int(part))
    return frozenset(ids)


def _zone(env: Mapping[str, str]) -> str:
    from bot.timeutil import TimeInputError, parse_timezone

    raw = env.get("DEFAULT_TIMEZONE", "").strip() or "UTC"
    try:
        return parse_timezone(raw)
    except TimeInputError:
        raise SettingsError(
            "DEFAULT_TIMEZONE must be an IANA time zone like Europe/Berlin or an offset like UTC+2"
        ) from None


def _api_base(env: Mapping[str, str]) -> str:
    raw = env.get("TELEGRAM_API_BASE", "").strip() or TELEGRAM_DEFAULT_API
    if not raw.startswith(("http://", "https://")):
        raise SettingsError("TELEGRAM_API_BASE must be a URL like http://127.0.0.1:8081")
    return raw.rstrip("/")


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite+aiosqlite:///{data_dir / 'circlebot.sqlite3'}"
    if raw.startswith("postgresql://") or raw.startswith("postgres://"):
        raw = "postgresql+asyncpg://" + raw.split("://", 1)[1]
    if not raw.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise SettingsError(
            "DATABASE_URL must start with sqlite+aiosqlite:/// or postgresql+asyncpg://"
        )
    return raw


def _crisis(env: Mapping[str, str]) -> str:
    path = env.get("CRISIS_RESOURCES_FILE", "").strip()
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip() or DEFAULT_CRISIS_RESOURCES
        except OSError:
            raise SettingsError("CRISIS_RESOURCES_FILE must name a readable text file") from None
    text = env.get("CRISIS_RESOURCES", "").strip()
    return text.replace("\\n", "\n") if text else DEFAULT_CRISIS_RESOURCES


def _mode(env: Mapping[str, str]) -> tuple[str, str, str]:
    mode = env.get("BOT_MODE", "").strip().lower() or "polling"
    if mode not in {"polling", "webhook"}:
        raise SettingsError("BOT_MODE must be polling or webhook")
    url = env.get("WEBHOOK_URL", "").strip()
    secret = env.get("WEBHOOK_SECRET", "").strip()
    if mode == "webhook":
        if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            raise SettingsError("WEBHOOK_URL must be the public https:// address of this bot")
        ok = 1 <= len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)
        if not ok:
            raise SettingsError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return mode, url, secret


PATTERN_LIMITS = {
    "PATTERN_VERY_LOW": (1, 1, 5),
    "PATTERN_VERY_LOW_RUN": (2, 1, 60),
    "PATTERN_LOW": (2, 1, 5),
    "PATTERN_LOW_RUN": (3, 1, 60),
    "PATTERN_MISSED_DAYS": (3, 1, 60),
}


def _patterns(env: Mapping[str, str]) -> dict[str, str]:
    """Validated thresholds of the pattern alerts (read by bot.safety.patterns)."""
    return {
        name: str(_int(env, name, default, lo, hi))
        for name, (default, lo, hi) in PATTERN_LIMITS.items()
    }


def build_settings(env: Mapping[str, str]) -> Settings:
    """Build settings from a mapping of variables (pure; tests call this directly)."""
    data_dir = Path(env.get("DATA_DIR", "").strip() or "data")
    mode, webhook_url, webhook_secret = _mode(env)
    level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingsError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    settings = Settings(
        telegram_bot_token=_token(env),
        telegram_api_base=_api_base(env),
        database_url=_database_url(env, data_dir),
        data_dir=data_dir,
        admin_user_ids=_admins(env),
        default_timezone=_zone(env),
        default_checkin_time=_time(env, "DEFAULT_CHECKIN_TIME", time(20, 0)),
        log_level=level,
        encryption_key=env.get("ENCRYPTION_KEY", "").strip(),
        crisis_resources=_crisis(env),
        mode=mode,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "0.0.0.0",  # noqa: S104
        webhook_port=_int(env, "WEBHOOK_PORT", 8443, 1, 65535),
        replicas=_int(env, "REPLICAS", 1, 1, 64),
        global_rate=_float(env, "BROADCAST_RATE", 25.0, 0.1, 1000.0),
        paid_broadcast=_bool(env, "PAID_BROADCAST", False),
        min_aggregate_members=_int(env, "MIN_AGGREGATE_MEMBERS", 5, 1, 1000),
        checkin_late_window_minutes=_int(env, "CHECKIN_LATE_WINDOW_MINUTES", 180, 0, 1440),
        planner_interval_seconds=_float(env, "PLANNER_INTERVAL_SECONDS", 15.0, 0.05, 3600.0),
        risk_phrases_file=env.get("RISK_PHRASES_FILE", "").strip(),
        risk_phrases_replace=_bool(env, "RISK_PHRASES_REPLACE", False),
        alert_escalate_minutes=_int(env, "ALERT_ESCALATE_MINUTES", 60, 1, 10080),
        alert_admin_minutes=_int(env, "ALERT_ADMIN_MINUTES", 180, 1, 10080),
        nudge_after_hours=_float(env, "NUDGE_AFTER_HOURS", 4.0, 0.0, 23.0),
        share_digest_time=_time(env, "SHARE_DIGEST_TIME", time(19, 0)),
        extra=_patterns(env),
    )
    if settings.replicas > 1 and settings.is_sqlite:
        raise SettingsError(
            "REPLICAS must be 1 with SQLite; use a PostgreSQL DATABASE_URL to run several replicas"
        )
    return settings


def load_settings(env_file: str | os.PathLike[str] | None = ".env") -> Settings:
    """Read `.env` (if present) under the process environment, then build settings."""
    merged: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ)
    return build_settings(merged)
