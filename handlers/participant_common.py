"""Helpers shared by the participant flows: the onboarding gate and replies to any update."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot import texts
from bot.context import BotContext
from storage.models import User
from storage.repositories.users import get_user


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send an HTML message into the chat of the update (message or button press)."""
    message = update.effective_message
    assert message is not None
    await message.reply_html(text, reply_markup=markup, do_quote=False)


async def onboarded_user(
    update: Update, context: BotContext, session: AsyncSession, *, for_update: bool = False
) -> User | None:
    """The caller's user row once onboarded; otherwise tell them to finish setting up."""
    tg_user = update.effective_user
    assert tg_user is not None
    user = await get_user(session, tg_user.id, for_update=for_update)
    if user is not None and user.is_onboarded and user.timezone and user.checkin_time:
        return user
    query = update.callback_query
    if query is not None:
        await query.answer(texts.FINISH_ONBOARDING[:190], show_alert=True)
    else:
        await reply(update, texts.FINISH_ONBOARDING)
    return None


async def answer_stale(update: Update, text: str | None = None) -> None:
    """Answer a button that no longer applies (forged, replayed or from an old message)."""
    query = update.callback_query
    assert query is not None
    await query.answer((text or texts.STALE_BUTTON)[:190], show_alert=True)


CONFIRM_TTL = timedelta(minutes=10)
"""How long a "Yes, delete / leave" button stays valid; older ones are answered as expired."""
CLOCK_SLACK = timedelta(minutes=1)  # replicas' clocks may differ a little


def stamp(now: datetime) -> int:
    """The compact time (Unix seconds) put into a confirmation button."""
    return int(now.timestamp())


def fresh(stamped: int | None, now: datetime) -> bool:
    """True when a confirmation stamped at `stamped` may still be acted on."""
    if stamped is None:
        return False  # a button from before stamps existed, or forged data
    age = now.timestamp() - stamped
    return -CLOCK_SLACK.total_seconds() <= age <= CONFIRM_TTL.total_seconds()
