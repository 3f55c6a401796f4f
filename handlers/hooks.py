"""Extension points between flows, so modules stay independent.

- `screen_text`: every piece of free text a person sends (plain messages, notes, shares,
  questions) passes through the registered screeners (risk language). A screener replies
  to the person and alerts facilitators itself; it returns True when it found risk.
- `checkin_completed`: called after a check-in is saved (offer to share, pattern alerts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from storage.models import CheckIn, User

Screener = Callable[[Update, BotContext, AsyncSession, str, str], Awaitable[bool]]
CheckinHook = Callable[
    [Update, BotContext, AsyncSession, User, CheckIn, str | None], Awaitable[None]
]

SCREENERS: list[Screener] = []
CHECKIN_HOOKS: list[CheckinHook] = []


def screener(func: Screener) -> Screener:
    """Register a text screener."""
    if func not in SCREENERS:
        SCREENERS.append(func)
    return func


def after_checkin(func: CheckinHook) -> CheckinHook:
    """Register a hook run after a check-in is saved (note given decrypted, or None)."""
    if func not in CHECKIN_HOOKS:
        CHECKIN_HOOKS.append(func)
    return func


async def screen_text(
    update: Update, context: BotContext, session: AsyncSession, text: str, source: str
) -> bool:
    """Run every screener on `text` (source: message, note, share, question); True on risk."""
    found = False
    for func in SCREENERS:
        found = await func(update, context, session, text, source) or found
    return found


async def checkin_completed(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    checkin: CheckIn,
    note: str | None,
) -> None:
    """Run every after-check-in hook."""
    for func in CHECKIN_HOOKS:
        await func(update, context, session, user, checkin, note)
