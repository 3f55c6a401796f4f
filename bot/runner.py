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
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path="telegram",
            webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
