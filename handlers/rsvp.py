"""RSVP buttons on session reminders (`rsvp:<going|not_going|late>:<occurrence_id>`), and
clearing `User.unreachable_since` when a person who had blocked the bot is back."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update as sql_update
from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.delivery.engine import keyboard
from bot.delivery.outbox import rsvp_buttons
from bot.scheduling import texts
from handlers.callbacks import Callback
from storage.models import OccurrenceStatus, RsvpAnswer, User
from storage.repositories.sessions import get_occurrence, is_active_member, set_rsvp

log = logging.getLogger(__name__)

_NOTED_LINES = tuple(texts.RSVP_NOTED.values())


def with_rsvp_line(text_html: str, answer: str) -> str:
    """The reminder text with one line stating the current answer (replacing an older one)."""
    lines = [line for line in text_html.split("\n") if line not in _NOTED_LINES]
    return "\n".join([*lines, texts.RSVP_NOTED[answer]])


async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """Store the presser's RSVP and show it on the reminder; explain when it can't be."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    occurrence_id = cb.int_arg(0)
    try:
        answer = RsvpAnswer(cb.action)
    except ValueError:
        answer = None
    if answer is None or occurrence_id is None or len(cb.args) != 1:
        await query.answer(texts.RSVP_UNKNOWN, show_alert=True)
        return
    now = context.clock.now()
    problem: str | None = None
    async with context.db() as session:
        occurrence = await get_occurrence(session, occurrence_id)
        if occurrence is None:
            problem = texts.RSVP_UNKNOWN
        elif not await is_active_member(session, occurrence.group_id, tg_user.id):
            problem = texts.RSVP_NOT_MEMBER
        elif occurrence.status == OccurrenceStatus.CANCELLED:
            problem = texts.RSVP_CANCELLED
        elif now >= occurrence.starts_at + timedelta(minutes=occurrence.duration_minutes):
            problem = texts.RSVP_PAST
        else:
            await set_rsvp(session, occurrence.id, tg_user.id, answer, now)
    if problem is not None:
        await query.answer(problem, show_alert=True)
        return
    await query.answer(texts.RSVP_THANKS[answer.value])
    message = query.message
    if not isinstance(message, Message) or not message.text:
        return
    try:
        await query.edit_message_text(
            with_rsvp_line(message.text_html, answer.value),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(rsvp_buttons(occurrence_id, answer.value)),
        )
    except BadRequest as error:  # pressing the same answer twice: "message is not modified"
        log.debug("rsvp edit for occurrence %s not applied: %s", occurrence_id, error.message)


async def note_reachable(update: Update, context: BotContext) -> None:
    """Handler group -2: someone who had blocked the bot wrote again (or unblocked it)."""
    tg_user = update.effective_user
    if tg_user is None or tg_user.is_bot:
        return
    member = update.my_chat_member
    blocked: bool | None = None
    if member is not None:
        if member.chat.type != ChatType.PRIVATE:
            return
        status = member.new_chat_member.status
        blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    elif update.message is None and update.callback_query is None:
        return
    # One conditional UPDATE (usually touching no row): this runs for every message and button.
    if blocked:
        change, value = User.unreachable_since.is_(None), context.clock.now()
    else:
        change, value = User.unreachable_since.is_not(None), None
    async with context.db() as session:
        await session.execute(
            sql_update(User)
            .where(User.id == tg_user.id, change)
            .values(unreachable_since=value)
            .execution_options(synchronize_session=False)
        )
