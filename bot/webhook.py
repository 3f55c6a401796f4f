"""Webhook mode: a small aiohttp server that processes each update before answering 200.

PTB's built-in webhook server compares the secret token with `!=` (not constant time), so the
bot runs its own: the `X-Telegram-Bot-Api-Secret-Token` header is checked with
`hmac.compare_digest`; anything else gets 403 without details. Several replicas can run behind
one HTTPS endpoint; scheduled work is claimed in the database, so nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any

from aiohttp import web
from telegram import Update

from bot.settings import Settings

log = logging.getLogger(__name__)

PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY = 1 << 20


def secret_ok(given: str | None, expected: str) -> bool:
    """Constant-time comparison of the secret token header."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def build_webhook_app(application: Any, secret: str) -> web.Application:
    """The aiohttp app answering Telegram's POSTs."""

    async def receive(request: web.Request) -> web.Response:
        if not secret_ok(request.headers.get(SECRET_HEADER), secret):
            return web.Response(status=403)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        # Processed before answering: if the process dies meanwhile, Telegram sends it again,
        # so nothing a person typed is lost. Handler errors go to the error handler.
        await application.process_update(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(PATH, receive)
    return app


async def serve_webhook(application: Any, settings: Settings) -> None:
    """Run the bot in webhook mode until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.bot.set_webhook(
        url=settings.webhook_url.rstrip("/") + PATH,
        secret_token=settings.webhook_secret,
        allowed_updates=Update.ALL_TYPES,
    )
    await application.start()
    runner = web.AppRunner(build_webhook_app(application, settings.webhook_secret))
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_listen, settings.webhook_port)
    await site.start()
    log.info("webhook server listening on port %s", settings.webhook_port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
