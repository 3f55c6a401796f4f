"""The one factory that builds the PTB Application from settings."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot.clock import Clock, SystemClock
from bot.context import SERVICES_KEY, BotContext
from bot.crypto import load_cipher
from bot.delivery.lifecycle import make_limiter, stop_delivery
from bot.delivery.lifecycle import start_hook as delivery_start_hook
from bot.delivery.ratelimit import SharedRateLimiter
from bot.services import Services
from bot.settings import Settings
from storage.db import make_engine, make_sessionmaker

log = logging.getLogger(__name__)

AnyApp = Application[Any, Any, Any, Any, Any, Any]
# Coroutines run after the services are open (delivery engine, planners...), in order.
StartHook = Callable[[AnyApp, Services], Awaitable[None]]
StopHook = Callable[[AnyApp, Services], Awaitable[None]]

PARTICIPANT_COMMANDS = [
    ("checkin", "How are you feeling today?"),
    ("mood", "Your mood over the last 30 days"),
    ("sessions", "Your upcoming sessions"),
    ("join", "Join a group with a code"),
    ("groups", "Your groups"),
    ("leave", "Leave a group"),
    ("settings", "Time zone, check-in time, away mode"),
    ("ask", "Ask the facilitators anonymously"),
    ("privacy", "What is stored and who sees it"),
    ("export", "Get all your data"),
    ("forget", "Delete all your data"),
    ("cancel", "Stop what we're doing"),
    ("help", "What I can do"),
    ("sos", "Help right now"),
]
FACILITATOR_COMMANDS = [
    ("newgroup", "Create a group"),
    ("schedule", "Sessions of your groups"),
    ("attendance", "Who came to a session"),
    ("announce", "Message your groups"),
    ("members", "Members and requests"),
    ("report", "How your group is doing"),
    ("invite", "Invite link or co-facilitator"),
]
ADMIN_COMMANDS = [
    ("addfacilitator", "Enrol a facilitator"),
    ("admin", "Platform health"),
]


def commands(pairs: list[tuple[str, str]]) -> list[BotCommand]:
    """BotCommand objects from (command, description) pairs."""
    return [BotCommand(name, description) for name, description in pairs]


async def set_commands_for(bot: Any, chat_id: int, *, facilitator: bool, admin: bool) -> None:
    """Show a person the commands of their role in Telegram's menu."""
    pairs = list(PARTICIPANT_COMMANDS)
    if facilitator or admin:
        pairs += FACILITATOR_COMMANDS
    if admin:
        pairs += ADMIN_COMMANDS
    await bot.set_my_commands(commands(pairs), scope=BotCommandScopeChat(chat_id))


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    start_hooks: list[StartHook] | None = None,
    stop_hooks: list[StopHook] | None = None,
    migrate: bool = False,
) -> AnyApp:
    """Build the Application; tests pass their own clock, engine and transport."""
    from handlers import register_handlers

    clock = clock or SystemClock()
    # --- delivery engine: one rate limiter for every request, engine started first ---
    limiter = make_limiter(settings, clock)
    start_hooks = [delivery_start_hook(limiter), *(start_hooks or [])]
    stop_hooks = [stop_delivery, *(stop_hooks or [])]
    owns_engine = engine is None

    async def post_init(app: AnyApp) -> None:
        nonlocal engine
        if migrate:
            from storage.migrate import upgrade_async

            await upgrade_async(settings.database_url)
        if engine is None:
            engine = make_engine(settings.database_url)
        services = Services(
            settings=settings,
            clock=clock,
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            cipher=load_cipher(settings),
        )
        app.bot_data[SERVICES_KEY] = services
        try:
            await app.bot.set_my_commands(
                commands(PARTICIPANT_COMMANDS), scope=BotCommandScopeDefault()
            )
            # In group chats only /sos is answered; everything else happens in private.
            await app.bot.set_my_commands(
                commands([("sos", "Help right now")]), scope=BotCommandScopeAllGroupChats()
            )
            for admin_id in settings.admin_user_ids:
                await set_commands_for(app.bot, admin_id, facilitator=True, admin=True)
        except TelegramError as error:
            log.warning("could not set the command menu: %s", type(error).__name__)
        for hook in start_hooks:
            await hook(app, services)

    async def post_shutdown(app: AnyApp) -> None:
        services = app.bot_data.get(SERVICES_KEY)
        if isinstance(services, Services):
            for hook in reversed(stop_hooks):
                await hook(app, services)
            if owns_engine:
                await services.engine.dispose()

    async def post_stop(app: AnyApp) -> None:
        services = app.bot_data.get(SERVICES_KEY)
        if isinstance(services, Services):  # stop sending before the HTTP client closes
            await stop_delivery(app, services)

    token = settings.telegram_bot_token or "1:sandbox"
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.telegram_api_base}/bot")
        .base_file_url(f"{settings.telegram_api_base}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .rate_limiter(SharedRateLimiter(limiter, clock))
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app = builder.build()
    register_handlers(app)
    return app
