"""The weekly WHO-5 well-being check, offered after the first check-in of a week to members of
groups that enabled it. Answers travel in the callback data (`w5:a:<digits so far>`), so
nothing half-answered is stored. A low score or a drop is surfaced to the participant with
resources and, with their permission, to their facilitators."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import texts as common_texts
from bot.context import BotContext
from bot.safety.alerts import WHO5, raise_alert
from bot.safety.who5 import ATTRIBUTION, INTRO, ITEMS, SCALE, concern, previous_score, score
from bot.timeutil import local_date
from handlers.callbacks import Callback, pack
from handlers.common import button_area
from handlers.hooks import after_checkin
from handlers.safety import not_modified
from storage.models import CheckIn, User, Who5Response
from storage.repositories.safety import participant_group_ids
from storage.repositories.users import get_user

AREA = "w5"
OFFER = (
    "🌱 <b>Weekly well-being check</b>\nFive quick questions (about a minute) so you and your "
    "facilitator can see how you're doing over time. Optional."
)
START = "Start"
DONE = "Thank you 💚 Your well-being score this week: <b>{score}/100</b>."
CONCERN = (
    "\n\nIt sounds like things have been hard lately. You don't have to handle it alone; "
    "these contacts are there for you:\n\n{resources}"
)
TEAM_TOLD = "\n\nAs you allowed, I've let your facilitator know so they can check in."


def item_keyboard(answers: str) -> InlineKeyboardMarkup:
    """The six answers to the next item."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"{v} · {text}", callback_data=pack(AREA, "a", f"{answers}{v}"))]
            for v, text in SCALE
        ]
    )


def item_text(index: int) -> str:
    """Question `index` (0-based) with its place in the five."""
    return f"<b>{index + 1}/5</b> {INTRO}\n\n<b>{escape(ITEMS[index])}</b>\n\n<i>{ATTRIBUTION}</i>"


@after_checkin
async def offer_who5(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    checkin: CheckIn,
    note: str | None,
) -> None:
    """Offer the check on the first check-in of a week, if no answer in the last six days."""
    if not await participant_group_ids(session, user.id, who5_only=True):
        return
    day = checkin.local_date
    week_start = day - timedelta(days=day.weekday())
    earlier = await session.scalar(
        select(func.count(CheckIn.id)).where(
            CheckIn.user_id == user.id,
            CheckIn.local_date >= week_start,
            CheckIn.local_date < day,
        )
    )
    recent = await session.scalar(
        select(func.count(Who5Response.id)).where(
            Who5Response.user_id == user.id, Who5Response.local_date > day - timedelta(days=6)
        )
    )
    if earlier or recent:
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(START, callback_data=pack(AREA, "a", "s"))]]
    )
    assert update.effective_message is not None
    await update.effective_message.reply_html(OFFER, reply_markup=keyboard)


@button_area(AREA)
async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """Next item, or the result once all five are answered."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    raw = cb.args[0] if cb.args else ""
    answers = "" if raw == "s" else raw
    if cb.action != "a" or len(answers) > len(ITEMS) or not all(c in "012345" for c in answers):
        await query.answer(common_texts.STALE_BUTTON, show_alert=True)
        return
    if len(answers) < len(ITEMS):
        await query.answer()
        await _edit(query, item_text(len(answers)), item_keyboard(answers))
        return
    async with context.db() as session:
        user = await get_user(session, tg_user.id)
        if user is None or not user.is_onboarded:
            await query.answer(common_texts.STALE_BUTTON, show_alert=True)
            return
        text = await save(context, session, user, [int(c) for c in answers])
    await query.answer()
    await _edit(query, text, None)


async def _edit(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Show the next step in place; a double tap finds it shown already, which is fine."""
    try:
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=keyboard)
    except BadRequest as error:
        if not not_modified(error):
            raise


async def save(
    context: BotContext, session: AsyncSession, user: User, answers: list[int]
) -> str:
    """Store today's answer (a second one the same day replaces it) and surface concerns."""
    now = context.clock.now()
    day = local_date(now, user.timezone or "UTC")
    value = score(answers)
    existing = (
        await session.execute(
            select(Who5Response).where(
                Who5Response.user_id == user.id, Who5Response.local_date == day
            )
        )
    ).scalar_one_or_none()
    if existing is None:
        session.add(
            Who5Response(
                user_id=user.id, local_date=day, answers=answers, score=value, created_at=now
            )
        )
    else:
        existing.answers, existing.score = answers, value
    await session.flush()
    text = DONE.format(score=value)
    found = concern(value, await previous_score(session, user.id, day))
    if found is None:
        return text
    kind, drop = found
    text += CONCERN.format(resources=escape(context.settings.crisis_resources))
    if user.share_with_facilitators:
        raised = 0
        for group_id in await participant_group_ids(session, user.id, who5_only=True):
            alert = await raise_alert(
                session, context.services, user_id=user.id, group_id=group_id, kind=WHO5,
                source=f"{kind}:{value}:{drop}", now=now,
                episode_key=f"who5:{user.id}:{group_id}:{day:%Y%m%d}",
            )
            raised += alert is not None
        if raised:
            text += TEAM_TOLD
    return text
