"""Crisis handling: risk language in any free text gets resources at once and alerts the
facilitators; "I'm okay for now" is recorded and shown to them (it never closes an alert);
after a check-in, a run of low moods alerts the team (with permission) or offers resources."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.safety import texts
from bot.safety.alerts import RISK, participant_ok, raise_alert
from bot.safety.patterns import low_mood_episode, raise_low_mood, rules_from
from bot.safety.screening import find_risk
from handlers.callbacks import Callback, pack
from handlers.common import button_area, sos_text
from handlers.hooks import after_checkin, screener
from storage.models import CheckIn, User
from storage.repositories.safety import open_alerts_of_user, participant_group_ids
from storage.repositories.users import get_user

log = logging.getLogger(__name__)

AREA = "sf"


def im_ok_keyboard() -> InlineKeyboardMarkup:
    """The participant's "I'm okay for now" button."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.IM_OK_BUTTON, callback_data=pack(AREA, "ok"))]]
    )


MAX_ROW_ID = 2**31 - 1  # ids are INTEGER columns (PostgreSQL refuses larger numbers)


def row_id(cb: Callback, index: int) -> int | None:
    """Argument `index` as a row id, or None: forged data can carry any number."""
    value = cb.int_arg(index)
    return value if value is not None and 0 < value <= MAX_ROW_ID else None


def not_modified(error: BadRequest) -> bool:
    """True for Telegram's "message is not modified" (a double tap edits the same message)."""
    return "not modified" in str(error).lower()


async def drop_keyboard(query: CallbackQuery) -> bool:
    """Remove the pressed message's buttons; False when an earlier tap already did."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as error:
        if not not_modified(error):
            raise
        return False
    return True


def crisis_reply(context: BotContext, team_told: bool) -> str:
    """The immediate, kind answer to risk language."""
    return texts.CRISIS_INTRO + sos_text(context) + (texts.CRISIS_TEAM_TOLD if team_told else "")


@screener
async def screen_for_risk(
    update: Update, context: BotContext, session: AsyncSession, text: str, source: str
) -> bool:
    """Reply with crisis resources and alert the person's facilitators when text shows risk."""
    match = find_risk(context.services, text)
    if match is None:
        return False
    tg_user = update.effective_user
    message = update.effective_message
    assert tg_user is not None and message is not None
    log.info("risk language detected (source=%s, category=%s)", source, match.category)
    user = await get_user(session, tg_user.id)
    team_told = False
    if user is not None and user.has_consented:
        now = context.clock.now()
        groups: list[int | None] = list(await participant_group_ids(session, user.id))
        for group_id in groups or [None]:
            await raise_alert(
                session, context.services, user_id=user.id, group_id=group_id, kind=RISK,
                source=source, now=now,
            )
        team_told = bool(groups) or bool(context.settings.admin_user_ids)
    await message.reply_html(
        crisis_reply(context, team_told), reply_markup=im_ok_keyboard() if team_told else None
    )
    return True


@button_area(AREA)
async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """"I'm okay for now": record it on every open alert about the person; close nothing."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    if cb.action != "ok":
        await query.answer(texts_stale(), show_alert=True)
        return
    async with context.db() as session:
        now = context.clock.now()
        for alert in await open_alerts_of_user(session, tg_user.id):
            await participant_ok(session, alert, now)
    await query.answer()
    if await drop_keyboard(query) and query.message is not None:
        await context.bot.send_message(query.message.chat.id, texts.IM_OK_THANKS)


def texts_stale() -> str:
    """The common answer to a button that is no longer valid."""
    from bot import texts as common_texts

    return common_texts.STALE_BUTTON


@after_checkin
async def check_low_mood(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    checkin: CheckIn,
    note: str | None,
) -> None:
    """A run of low moods: alert the team once per episode (with permission), offer help."""
    await session.flush()
    episode = await low_mood_episode(session, user.id, rules_from(context.settings.extra))
    if episode is None:
        return
    await raise_low_mood(session, context.services, user, episode, context.clock.now())
    if episode.new and find_risk(context.services, note) is None:
        message = update.effective_message
        if message is not None:
            from html import escape

            await message.reply_html(
                texts.LOW_MOOD_OFFER + escape(context.settings.crisis_resources)
            )
