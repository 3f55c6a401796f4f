"""Command line: `circlebot run`, `circlebot db upgrade` (also `python -m bot ...`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("circlebot")


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        print(f"circlebot: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_run(_args: argparse.Namespace) -> int:
    """Start the bot (long polling, or webhook when BOT_MODE=webhook)."""
    from bot.logging_setup import setup_logging
    from bot.runner import run_bot

    settings = _settings_or_exit()
    if not settings.telegram_bot_token:
        print(
            "circlebot: configuration error: TELEGRAM_BOT_TOKEN is not set. Put the token "
            "@BotFather gave you in .env (see .env.example), or try everything locally with "
            "`circlebot sandbox`.",
            file=sys.stderr,
        )
        return 2
    setup_logging(settings.log_level)
    try:
        run_bot(settings)
    except SettingsError as error:
        print(f"circlebot: configuration error: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply database migrations up to `head` (or a given revision)."""
    from storage.migrate import upgrade

    settings = _settings_or_exit()
    upgrade(settings.database_url, args.revision)
    print(f"circlebot: database upgraded to {args.revision}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="circlebot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot")
    run.set_defaults(func=cmd_run)
    db = sub.add_parser("db", help="database tasks")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `circlebot` and `python -m bot`."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))
