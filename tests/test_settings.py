"""Settings: defaults, every documented variable, one clear line naming a bad variable."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from bot.settings import SettingsError, build_settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_use_sqlite_in_the_data_folder() -> None:
    settings = build_settings({})
    assert settings.database_url == "sqlite+aiosqlite:///data/circlebot.sqlite3"
    assert settings.telegram_api_base == "https://api.telegram.org"
    assert settings.default_timezone == "UTC"
    assert settings.default_checkin_time == time(20, 0)
    assert settings.is_sqlite


def test_values_are_parsed() -> None:
    settings = build_settings(
        {
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_API_BASE": "http://127.0.0.1:8081/",
            "ADMIN_USER_IDS": "5, 7,",
            "DEFAULT_TIMEZONE": "europe/berlin",
            "DATABASE_URL": "postgresql://u@h/db",
            "MIN_AGGREGATE_MEMBERS": "3",
        }
    )
    assert settings.telegram_api_base == "http://127.0.0.1:8081"
    assert settings.admin_user_ids == frozenset({5, 7})
    assert settings.default_timezone == "Europe/Berlin"
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.min_aggregate_members == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_API_BASE", "ftp://x"),
        ("DATABASE_URL", "mysql://x"),
        ("ADMIN_USER_IDS", "12,abc"),
        ("DEFAULT_TIMEZONE", "Mars/Phobos"),
        ("DEFAULT_TIMEZONE", "+25"),
        ("DEFAULT_CHECKIN_TIME", "25:99"),
        ("LOG_LEVEL", "LOUD"),
        ("MIN_AGGREGATE_MEMBERS", "0"),
        ("BROADCAST_RATE", "fast"),
        ("BOT_MODE", "carrier-pigeon"),
        ("PAID_BROADCAST", "maybe"),
        ("PATTERN_MISSED_DAYS", "-1"),
    ],
)
def test_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        build_settings({name: value})
    assert name in str(error.value)
    assert "\n" not in str(error.value)


def test_webhook_needs_url_and_secret() -> None:
    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        build_settings({"BOT_MODE": "webhook"})
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        build_settings({"BOT_MODE": "webhook", "WEBHOOK_URL": "https://bot.example"})


def test_replicas_need_postgres() -> None:
    with pytest.raises(SettingsError, match="REPLICAS"):
        build_settings({"REPLICAS": "2"})


def test_token_is_never_in_repr_or_errors() -> None:
    settings = build_settings({"TELEGRAM_BOT_TOKEN": "123:secretsecret"})
    assert "secretsecret" not in repr(settings)
    assert "secretsecret" not in str(settings)


def test_env_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / ".env"
    env.write_text("DEFAULT_TIMEZONE=Asia/Tokyo\nLOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    settings = load_settings(env)
    assert settings.default_timezone == "Asia/Tokyo"
    assert settings.log_level == "WARNING"


def test_every_variable_is_documented_in_env_example() -> None:
    source = (ROOT / "bot" / "settings.py").read_text()
    used = set(re.findall(r'env(?:\.get)?\(?\s*(?:env,\s*)?"([A-Z][A-Z0-9_]{3,})"', source))
    used |= set(re.findall(r'_(?:int|float|bool|time)\(env, "([A-Z0-9_]+)"', source))
    used |= set(re.findall(r'"(PATTERN_[A-Z_]+)"', source))
    assert {"TELEGRAM_BOT_TOKEN", "DATABASE_URL", "ADMIN_USER_IDS"} <= used
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert used - documented == set()


def test_cli_run_with_bad_setting_prints_one_line_and_no_token(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "TELEGRAM_BOT_TOKEN": "123:supersecret",
        "DEFAULT_TIMEZONE": "Mars/Phobos",
        "DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "DEFAULT_TIMEZONE" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "supersecret" not in result.stderr + result.stdout


def test_cli_run_without_token_explains(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
