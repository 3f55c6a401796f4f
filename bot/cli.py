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


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Try circlebot locally: emulator, bot, demo data and a web page (no Telegram, no token)."""
    from pathlib import Path

    from bot.sandbox.runtime import SandboxOptions, run_sandbox

    options = SandboxOptions(
        host="127.0.0.1",
        port=args.port,
        keep=Path(args.keep) if args.keep else None,
        open_browser=not args.no_browser,
        log_level=args.log_level,
    )
    return run_sandbox(options)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="circlebot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot")
    run.set_defaults(func=cmd_run)
    sandbox = sub.add_parser(
        "sandbox",
        help="try circlebot locally in the browser: no Telegram, no token, demo data",
        description="Start a local Bot API emulator, the bot, demo data and a web page on "
        "127.0.0.1 where you chat as several personas and move the clock forward.",
    )
    sandbox.add_argument("--port", type=int, default=8080, help="page port (default 8080)")
    sandbox.add_argument("--keep", metavar="DIR", help="keep the sandbox state in DIR")
    sandbox.add_argument("--no-browser", action="store_true", help="do not open a browser")
    sandbox.add_argument(
        "--log-level", default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="bot log level (default WARNING)",
    )
    sandbox.set_defaults(func=cmd_sandbox)
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
