"""Sharing a reflection after a check-in (named or anonymous, one group or all), sending
support with one tap, and facilitators removing a reflection. Every press is re-checked."""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot import texts as common_texts
from bot.context import BotContext
from bot.delivery.outbox import NOTICE, enqueue
from bot.safety.patterns import low_mood_episode, rules_from
from bot.safety.screening import find_risk
from bot.safety.shares import MAX_SHARE_CHARS, SHARES_PER_DAY, arm_digests
from bot.timeutil import zone
from handlers import share_keyboards as kb
from handlers import share_texts as t
from handlers.callbacks import Callback
from handlers.common import button_area
from handlers.flow import text_step
from handlers.hooks import after_checkin, screen_text
from handlers.safety import MAX_ROW_ID, drop_keyboard, row_id
from storage.models import CheckIn, ShareStatus, User
from storage.repositories.flows import FlowState, clear_flow, set_flow
from storage.repositories.safety import is_team_member, participant_group_ids
from storage.repositories.shares import (
    add_support,
    create_share,
    get_share,
    groups_by_id,
    is_active_member,
    shares_since,
)
from storage.repositories.users import get_user

log = logging.getLogger(__name__)

FLOW = "share"
TEXT = "text"


async def _reply(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the chat the update came from."""
    message = update.effective_message
    assert message is not None
    await message.reply_html(text, reply_markup=keyboard)


async def _under_limit(context: BotContext, session: AsyncSession, user_id: int, n: int) -> bool:
    """True when sharing `n` more reflections keeps the person within today's limit."""
    since = context.clock.now() - timedelta(days=1)
    return await shares_since(session, user_id, since) + n <= SHARES_PER_DAY


NO_OFFER_MOOD = 1
"""At or below this mood sharing is not offered: the check-in is about the person, not a post."""


async def _hard_moment(
    context: BotContext, session: AsyncSession, user: User, checkin: CheckIn, note: str | None
) -> bool:
    """A very low mood, a note with risk language, or a check-in that just started a low-mood
    episode (its alert and resource offer fire now): no invitation to share then."""
    if checkin.mood <= NO_OFFER_MOOD or find_risk(context.services, note) is not None:
        return True
    await session.flush()
    episode = await low_mood_episode(session, user.id, rules_from(context.settings.extra))
    return episode is not None and episode.new


@after_checkin
async def offer_share(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    checkin: CheckIn,
    note: str | None,
) -> None:
    """Offer to share a reflection, unless it is a hard moment or there is no group."""
    if await _hard_moment(context, session, user, checkin, note):
        return
    if not await participant_group_ids(session, user.id):
        return
    if not await _under_limit(context, session, user.id, 1):
        return
    await _reply(update, t.OFFER, kb.offer_keyboard(checkin.id))


@button_area(kb.AREA)
async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """Route the steps of sharing and the facilitator's Remove."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    async with context.db() as session:
        if cb.action == "rm":
            await _remove(update, context, session, cb)
            return
        user = await get_user(session, tg_user.id)
        if user is None or not user.is_onboarded:
            await query.answer(common_texts.STALE_BUTTON, show_alert=True)
            return
        if cb.action == "no":
            await query.answer()
            if await drop_keyboard(query):
                await _reply(update, t.NOT_NOW)
            return
        ci, group_id, anonymous = cb.int_arg(0), cb.int_arg(1), cb.int_arg(2)
        if cb.action not in ("go", "g", "a", "s") or ci is None or ci < 0:
            await query.answer(common_texts.STALE_BUTTON, show_alert=True)
            return
        await query.answer()
        if not await drop_keyboard(query):
            return  # a double tap: the first one already answered
        groups = await participant_group_ids(session, user.id)
        if not groups:
            await _reply(update, t.NO_GROUP)
            return
        if cb.action == "go":
            if len(groups) == 1:
                await _reply(update, t.CHOOSE_NAME, kb.name_keyboard(ci, groups[0]))
            else:
                names = await groups_by_id(session, groups)
                choices = [(g, names[g].name) for g in groups if g in names]
                await _reply(update, t.CHOOSE_GROUP, kb.group_keyboard(ci, choices))
            return
        if group_id is None or (group_id != 0 and group_id not in groups):
            await _reply(update, t.NOT_IN_GROUP)
            return
        if cb.action == "g":
            await _reply(update, t.CHOOSE_NAME, kb.name_keyboard(ci, group_id))
            return
        if anonymous not in (0, 1):
            await _reply(update, common_texts.STALE_BUTTON)
            return
        assert anonymous is not None
        note = await _note_of(context, session, user.id, ci)
        if cb.action == "a" and note:
            await _reply(update, t.CHOOSE_SOURCE, kb.source_keyboard(ci, group_id, anonymous))
            return
        if cb.action == "s" and cb.args[3:4] == ("n",):
            if not note:
                await _reply(update, t.NOTE_GONE)
                return
            await save_share(update, context, session, user, note, ci, group_id, bool(anonymous))
            return
        await set_flow(
            session, user.id, FlowState(FLOW, TEXT, {"ci": ci, "g": group_id, "a": anonymous}),
            now=context.clock.now(),
        )
        how = t.HOW_ANON if anonymous else t.HOW_NAMED
        await _reply(update, t.ASK_TEXT.format(limit=MAX_SHARE_CHARS, how=how))


async def _note_of(
    context: BotContext, session: AsyncSession, user_id: int, checkin_id: int
) -> str | None:
    """The person's own check-in note, decrypted, or None."""
    if not 0 < checkin_id <= MAX_ROW_ID:
        return None
    checkin = await session.get(CheckIn, checkin_id)
    if checkin is None or checkin.user_id != user_id:
        return None
    return context.services.cipher.decrypt(checkin.note_enc)


@text_step(FLOW, TEXT)
async def typed_reflection(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """The reflection's text: length-checked, screened, then shared."""
    tg_user = update.effective_user
    assert tg_user is not None
    user = await get_user(session, tg_user.id)
    if user is None:
        await clear_flow(session, tg_user.id)
        return
    text = (update.effective_message.text or "").strip()  # type: ignore[union-attr]
    if len(text) > MAX_SHARE_CHARS:
        await screen_text(update, context, session, text, "message")  # not stored: no "share"
        await _reply(update, t.TOO_LONG.format(length=len(text), limit=MAX_SHARE_CHARS))
        return
    await clear_flow(session, user.id)
    await save_share(
        update, context, session, user, text,
        int(state.data.get("ci", 0)), int(state.data.get("g", -1)), bool(state.data.get("a", 1)),
    )


async def save_share(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    text: str,
    checkin_id: int,
    group_id: int,
    anonymous: bool,
) -> None:
    """Store the reflection for each chosen group: visible, or held for facilitators on risk."""
    groups = await participant_group_ids(session, user.id)
    targets = groups if group_id == 0 else [g for g in groups if g == group_id]
    if not targets or not await _under_limit(context, session, user.id, len(targets)):
        # Not stored, but risk language still gets resources at once.
        await screen_text(update, context, session, text, "message")
        problem = t.TOO_MANY.format(limit=SHARES_PER_DAY) if targets else t.NOT_IN_GROUP
        await _reply(update, problem)
        return
    held = await screen_text(update, context, session, text, "share")
    now = context.clock.now()
    encrypted = context.services.cipher.encrypt(text)
    own_checkin = checkin_id if await _note_of(context, session, user.id, checkin_id) else None
    for target in targets:
        share = await create_share(
            session, user_id=user.id, group_id=target, text_enc=encrypted, anonymous=anonymous,
            held=held, now=now, checkin_id=own_checkin,
        )
        if not held:
            await arm_digests(session, context.services, share, now)
        log.info("share %s created (held=%s)", share.id, held)
    if held:
        await _reply(update, t.HELD)
        return
    names = await groups_by_id(session, targets)
    label = ", ".join(escape(names[g].name) for g in targets if g in names)
    await _reply(update, t.SHARED.format(groups=f"<b>{label}</b>"))


async def _remove(
    update: Update, context: BotContext, session: AsyncSession, cb: Callback
) -> None:
    """A facilitator of the reflection's group takes it down (role checked at the press)."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    share_id = row_id(cb, 0)
    share = await get_share(session, share_id, for_update=True) if share_id else None
    if share is None:
        await query.answer(common_texts.STALE_BUTTON, show_alert=True)
        return
    allowed = await is_team_member(session, tg_user.id, share.group_id)
    if not allowed and not context.services.is_admin(tg_user.id):
        await query.answer(t.REMOVE_NOT_ALLOWED, show_alert=True)
        return
    if share.status == ShareStatus.REMOVED:
        await query.answer(t.REMOVE_ALREADY, show_alert=True)
        return
    now = context.clock.now()
    share.status = ShareStatus.REMOVED
    share.removed_at = now
    share.removed_by = tg_user.id
    author = await session.get(User, share.user_id)
    if author is not None:
        day = share.created_at.astimezone(zone(author.timezone or "UTC")).strftime("%a %d %b")
        await enqueue(
            session, kind=NOTICE, key=f"share-removed:{share.id}", recipient_id=author.id,
            due_at=now, now=now, subject_id=share.id,
            payload={"text": t.REMOVED_NOTICE.format(day=day)},
        )
    log.info("share %s removed", share.id)
    await query.answer(t.REMOVE_DONE, show_alert=True)


@button_area("sp")
async def on_support(update: Update, context: BotContext, cb: Callback) -> None:
    """One tap of support, counted once per member per reflection."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    share_id = row_id(cb, 0)
    if cb.action != "give" or share_id is None:
        await query.answer(common_texts.STALE_BUTTON, show_alert=True)
        return
    async with context.db() as session:
        share = await get_share(session, share_id)
        if share is None or share.status != ShareStatus.VISIBLE:
            await query.answer(t.SUPPORT_GONE, show_alert=True)
            return
        if share.user_id == tg_user.id:
            await query.answer(t.SUPPORT_OWN)
            return
        if not await is_active_member(session, tg_user.id, share.group_id):
            await query.answer(t.SUPPORT_NOT_MEMBER, show_alert=True)
            return
        added = await add_support(session, share.id, tg_user.id, context.clock.now())
    await query.answer(t.SUPPORT_SENT if added else t.SUPPORT_AGAIN)
