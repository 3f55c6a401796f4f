"""`/settings`: time zone, check-in time, reminders on/off, away mode, visibility, shares.

Every change recomputes the next prompt (`reschedule_prompt`), so it applies without a restart.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from html import escape

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.delivery.outbox import NOTICE, enqueue
from bot.prompts import reschedule_prompt
from bot.timeutil import (
    COMMON_ZONES,
    TimeInputError,
    describe_zone,
    format_time,
    next_daily,
    parse_time_of_day,
    parse_timezone,
    zone,
)
from handlers import participant_keyboards as kb
from handlers import participant_texts as t
from handlers.callbacks import Callback
from handlers.flow import text_step
from handlers.hooks import screen_text
from handlers.participant_common import answer_stale, onboarded_user, reply
from storage.models import Delivery, DeliveryStatus, User
from storage.repositories.flows import FlowState, clear_flow, set_flow

log = logging.getLogger(__name__)

FLOW = "settings"
ZONE, TIME, AWAY = "zone", "time", "away"
_DAYS = re.compile(r"\s*([0-9]{1,3})\s*(d|day|days)?\s*", re.IGNORECASE)


def _local(instant: datetime, zone_name: str) -> str:
    local = instant.astimezone(zone(zone_name))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def settings_text(user: User, now: datetime) -> str:
    """The person's current settings."""
    zone_name = user.timezone or "UTC"
    away = user.away_until is not None and user.away_until > now
    return t.SETTINGS.format(
        zone=escape(describe_zone(zone_name, now)),
        time=format_time(user.checkin_time) if user.checkin_time else "–",
        prompts=t.SETTINGS_ON if user.prompts_enabled else t.SETTINGS_OFF,
        away=t.SETTINGS_AWAY_UNTIL.format(when=_local(user.away_until, zone_name))
        if away and user.away_until
        else t.SETTINGS_AWAY_NONE,
        visibility=t.SETTINGS_VIS_YES if user.share_with_facilitators else t.SETTINGS_VIS_NO,
        shares=t.SETTINGS_ON if user.receive_shares else t.SETTINGS_OFF,
    )


def parse_away_days(text: str) -> int | None:
    """"5", "5 days", "5d" -> 5 when within 1..AWAY_MAX_DAYS; otherwise None."""
    match = _DAYS.fullmatch(text[:32])
    if not match:
        return None
    days = int(match.group(1))
    return days if 1 <= days <= t.AWAY_MAX_DAYS else None


async def _show(update: Update, context: BotContext, user: User) -> None:
    now = context.clock.now()
    await reply(
        update,
        settings_text(user, now),
        kb.settings_keyboard(
            prompts=user.prompts_enabled,
            away=user.away_until is not None and user.away_until > now,
            visible=user.share_with_facilitators,
            shares=user.receive_shares,
        ),
    )


async def settings_command(update: Update, context: BotContext) -> None:
    """Show the settings with a button for each."""
    async with context.db() as session:
        user = await onboarded_user(update, context, session)
        if user is None:
            return
        await clear_flow(session, user.id)
        await _show(update, context, user)


async def sync_welcome_back(session: AsyncSession, user: User, now: datetime) -> None:
    """Plan the kind welcome-back message for the end of away mode (or drop a planned one)."""
    await session.execute(
        delete(Delivery).where(
            Delivery.key.like(f"welcome_back:u{user.id}:%"),
            Delivery.status == DeliveryStatus.PENDING,
        )
    )
    if user.away_until is None or user.away_until <= now:
        return
    if user.checkin_time is None or user.timezone is None or not user.prompts_enabled:
        return
    # Just before the first check-in time after the break, never in the middle of the night.
    due = next_daily(user.away_until, user.checkin_time, user.timezone) - timedelta(minutes=1)
    await enqueue(
        session,
        kind=NOTICE,
        key=f"welcome_back:u{user.id}:{int(due.timestamp())}",
        recipient_id=user.id,
        due_at=max(due, now),
        now=now,
        payload={"text": t.WELCOME_BACK_NOTICE},
    )


async def _saved(
    update: Update, context: BotContext, session: AsyncSession, user: User, what: str
) -> None:
    """Apply schedule changes, confirm, and show the settings again."""
    now = context.clock.now()
    user.updated_at = now
    reschedule_prompt(user, now)
    await sync_welcome_back(session, user, now)
    await clear_flow(session, user.id)
    lines = [t.SETTINGS_SAVED.format(what=what)]
    if user.next_prompt_at is not None:
        lines.append(
            t.SETTINGS_NEXT_PROMPT.format(when=_local(user.next_prompt_at, user.timezone or "UTC"))
        )
    await reply(update, "\n".join(lines))
    await _show(update, context, user)


async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """Every `pset` button; values are in the data, so pressing twice changes nothing more."""
    query = update.callback_query
    assert query is not None
    async with context.db() as session:
        user = await onboarded_user(update, context, session, for_update=True)
        if user is None:
            return
        now = context.clock.now()
        arg = cb.args[0] if len(cb.args) == 1 else None
        what: str | None = None
        if cb.action in ("tz", "time", "away") and not cb.args:
            await query.answer()
            step = {"tz": ZONE, "time": TIME, "away": AWAY}[cb.action]
            await set_flow(session, user.id, FlowState(FLOW, step), now=now)
            await _ask(update, step)
            return
        if cb.action == "tzv":
            index = cb.int_arg(0)
            if arg is None or index is None or not 0 <= index < len(COMMON_ZONES):
                await answer_stale(update)
                return
            user.timezone = COMMON_ZONES[index][1]
            what = t.SETTINGS_ZONE_SAVED.format(zone=escape(describe_zone(user.timezone, now)))
        elif cb.action == "timev":
            if arg is None or len(arg) != 4 or not arg.isdigit():
                await answer_stale(update)
                return
            try:
                user.checkin_time = parse_time_of_day(f"{arg[:2]}:{arg[2:]}")
            except TimeInputError:
                await answer_stale(update)
                return
            what = t.SETTINGS_TIME_SAVED.format(time=format_time(user.checkin_time))
        elif cb.action == "awayv":
            days = parse_away_days(arg or "")
            if days is None:
                await answer_stale(update)
                return
            user.away_until = now + timedelta(days=days)
            what = t.SETTINGS_AWAY_SET.format(when=_local(user.away_until, user.timezone or "UTC"))
        elif cb.action == "awayend" and not cb.args:
            user.away_until = None
            what = t.SETTINGS_AWAY_ENDED
        elif cb.action in ("prompts", "vis", "shares") and arg in ("on", "off"):
            value = arg == "on"
            if cb.action == "prompts":
                user.prompts_enabled = value
                what = t.SETTINGS_PROMPTS_ON if value else t.SETTINGS_PROMPTS_OFF
            elif cb.action == "vis":
                user.share_with_facilitators = value
                what = t.SETTINGS_VIS_ON if value else t.SETTINGS_VIS_OFF
            else:
                user.receive_shares = value
                what = t.SETTINGS_SHARES_ON if value else t.SETTINGS_SHARES_OFF
        if what is None:
            await answer_stale(update)
            return
        await query.answer()
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError:
            log.debug("could not remove the settings keyboard")
        await _saved(update, context, session, user, what)


async def _ask(update: Update, step: str) -> None:
    if step == ZONE:
        await reply(update, t.SETTINGS_ASK_ZONE, kb.settings_zone_keyboard())
    elif step == TIME:
        await reply(update, t.SETTINGS_ASK_TIME, kb.settings_time_keyboard())
    else:
        await reply(update, t.SETTINGS_ASK_AWAY.format(max=t.AWAY_MAX_DAYS), kb.away_keyboard())


async def _screened(update: Update, context: BotContext, session: AsyncSession) -> bool:
    """Screen text that was not a valid answer (risk language gets its own reply)."""
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    return await screen_text(update, context, session, text, "message")


def _set_zone(user: User, text: str, now: datetime) -> str:
    """Apply a typed time zone (raises TimeInputError); what was saved, for the reply."""
    user.timezone = parse_timezone(text)
    return t.SETTINGS_ZONE_SAVED.format(zone=escape(describe_zone(user.timezone, now)))


def _set_time(user: User, text: str, now: datetime) -> str:
    """Apply a typed check-in time (raises TimeInputError); what was saved, for the reply."""
    user.checkin_time = parse_time_of_day(text)
    return t.SETTINGS_TIME_SAVED.format(time=format_time(user.checkin_time))


async def _typed_value(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    apply: Callable[[User, str, datetime], str],
    keyboard: InlineKeyboardMarkup,
) -> None:
    """A typed time zone or time: save it, or explain and ask again."""
    user = await onboarded_user(update, context, session, for_update=True)
    if user is None:
        return
    try:
        what = apply(user, update.effective_message.text or "", context.clock.now())  # type: ignore[union-attr]
    except TimeInputError as error:
        if not await _screened(update, context, session):
            await reply(update, escape(str(error)), keyboard)
        return
    await _saved(update, context, session, user, what)


@text_step(FLOW, ZONE)
async def typed_zone(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """A typed time zone: save it, or explain and ask again."""
    await _typed_value(update, context, session, _set_zone, kb.settings_zone_keyboard())


@text_step(FLOW, TIME)
async def typed_time(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """A typed check-in time: save it, or explain and ask again."""
    await _typed_value(update, context, session, _set_time, kb.settings_time_keyboard())


@text_step(FLOW, AWAY)
async def typed_away(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """A typed number of away days: save it, or explain and ask again."""
    user = await onboarded_user(update, context, session, for_update=True)
    if user is None:
        return
    days = parse_away_days(update.effective_message.text or "")  # type: ignore[union-attr]
    if days is None:
        if not await _screened(update, context, session):
            await reply(
                update, t.SETTINGS_AWAY_BAD.format(max=t.AWAY_MAX_DAYS), kb.away_keyboard()
            )
        return
    now = context.clock.now()
    user.away_until = now + timedelta(days=days)
    what = t.SETTINGS_AWAY_SET.format(when=_local(user.away_until, user.timezone or "UTC"))
    await _saved(update, context, session, user, what)
