"""Shared resources for one running bot: settings, clock, database, cipher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.crypto import TextCipher
from bot.settings import Settings


@dataclass
class Services:
    """What handlers and jobs need; opened in post_init, closed in post_shutdown."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    cipher: TextCipher
    extras: dict[str, Any] = field(default_factory=dict)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One session and transaction: committed on success, rolled back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    def is_admin(self, user_id: int) -> bool:
        """True for the clinic's operators listed in ADMIN_USER_IDS."""
        return user_id in self.settings.admin_user_ids
