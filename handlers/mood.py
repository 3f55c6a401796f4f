"""`/mood`: the last 30 days as a chart (or a text summary when there is too little to draw)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InputFile, Update
from telegram.error import TelegramError

from bot import checkins as domain
from bot.charts import mood_chart, mood_summary_text
from bot.context import BotContext
from handlers import participant_texts as t
from handlers.participant_common import onboarded_user, reply
from storage.repositories.checkins import checkin_dates, checkin_points

log = logging.getLogger(__name__)


async def _who5(session: AsyncSession, user_id: int, since: date) -> list[tuple[date, int]]:
    """WHO-5 scores for the second panel, when the safety module provides them."""
    try:
        from bot.safety.who5 import who5_points
    except ImportError:
        return []
    return await who5_points(session, user_id, since)


async def mood_command(update: Update, context: BotContext) -> None:
    """Send the mood chart of the last 30 days with average and streak."""
    async with context.db() as session:
        user = await onboarded_user(update, context, session)
        if user is None:
            return
        today = domain.today_for(user.timezone or "UTC", context.clock.now())
        start, end = domain.history_window(today)
        points = await checkin_points(session, user.id, start, end)
        dates = await checkin_dates(session, user.id, today - timedelta(days=800))
        who5 = await _who5(session, user.id, start)
    avg = domain.mood_average(points)
    streak = domain.streak(dates, today)
    summary = mood_summary_text(points, average=avg, streak=streak, days=domain.HISTORY_DAYS)
    if len(points) < 2:
        await reply(update, summary)
        return
    png = await asyncio.to_thread(
        mood_chart, points, end=end, days=domain.HISTORY_DAYS, average=avg, streak=streak,
        who5=who5 or None,
    )
    caption = t.MOOD_CAPTION.format(
        days=domain.HISTORY_DAYS,
        average=f"{avg:.1f}" if avg is not None else "–",
        streak=t.MOOD_STREAK.format(streak=streak) if streak >= 2 else t.MOOD_NO_STREAK,
    )
    message = update.effective_message
    assert message is not None
    try:
        await message.reply_photo(InputFile(png, filename="mood.png"), caption=caption)
    except TelegramError as error:
        log.warning("could not send the mood chart: %s", type(error).__name__)
        await reply(update, summary)
