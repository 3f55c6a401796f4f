"""A CallbackContext with typed access to settings, clock and the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.services import Services
from bot.settings import Settings

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Handlers receive this context."""

    @property
    def services(self) -> Services:
        """The running bot's shared resources."""
        return services_of(self.application)

    @property
    def settings(self) -> Settings:
        """Settings built once at start-up."""
        return self.services.settings

    @property
    def clock(self) -> Clock:
        """The injected clock; never call datetime.now() in handlers."""
        return self.services.clock

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The update's database transaction."""
        async with self.services.transaction() as session:
            yield session


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The services stored on an application."""
    services = application.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("services are not initialised yet")
    return services
