"""Run the bot process: migrations, then polling or webhook."""

from __future__ import annotations

import logging

from telegram import Update

from bot.app import build_application
from bot.settings import Settings

log = logging.getLogger(__name__)


def run_bot(settings: Settings) -> None:
    """Blocking: run until SIGINT/SIGTERM."""
    app = build_application(settings, migrate=settings.is_sqlite)
    log.info("circlebot starting in %s mode", settings.mode)
    if settings.mode == "webhook":
        import asyncio

        from bot.webhook import serve_webhook

        # Our own aiohttp server: PTB's compares the secret token in non-constant time.
        asyncio.run(serve_webhook(app, settings))
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
