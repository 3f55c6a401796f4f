"""Daily check-in: mood (buttons `ci:m:<YYYYMMDD>:<mood>`), feelings, an optional note.

The mood is saved as soon as it is tapped (so nothing is lost if the person walks away);
the feelings draft lives in the flow state until Done, then the note step follows.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError

from bot import checkins as domain
from bot.context import BotContext
from handlers import participant_keyboards as kb
from handlers import participant_texts as t
from handlers.callbacks import Callback
from handlers.flow import text_step
from handlers.hooks import checkin_completed, screen_text
from handlers.participant_common import answer_stale, onboarded_user, reply
from storage.models import User
from storage.repositories.checkins import checkin_dates, get_checkin, record_mood
from storage.repositories.flows import FlowState, clear_flow, get_flow, set_flow

log = logging.getLogger(__name__)

FLOW = "checkin"
CONFIRM, MOOD, TAGS, NOTE = "confirm", "mood", "tags", "note"
GENTLE_MOOD = 2
"""At or below this mood the confirmation is calm: no streak, no "see you tomorrow"."""


def _day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


async def _flow_for(session: AsyncSession, user_id: int) -> FlowState | None:
    state = await get_flow(session, user_id)
    return state if state is not None and state.name == FLOW else None


async def _at_step(
    update: Update, session: AsyncSession, user: User, step: str, moved_on: str = t.CHECKIN_NOT_NOW
) -> FlowState | None:
    """The open check-in when it is at `step`; otherwise answer the press (`moved_on` when the
    check-in is at another step) and return None."""
    state = await _flow_for(session, user.id)
    if state is None or state.step != step:
        await answer_stale(update, t.CHECKIN_NOT_NOW if state is None else moved_on)
        return None
    return state


async def _remove_buttons(update: Update) -> None:
    """Take the keyboard off the pressed message (it may be too old to edit: that's fine)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:
        log.debug("could not remove a keyboard")


async def checkin_command(update: Update, context: BotContext) -> None:
    """`/checkin`: ask for today's mood, or whether to replace today's check-in."""
    async with context.db() as session:
        user = await onboarded_user(update, context, session)
        if user is None:
            return
        await clear_flow(session, user.id)
        today = domain.today_for(user.timezone or "UTC", context.clock.now())
        await _ask_mood_or_replace(update, context, session, user, today, pending_mood=None)


async def _ask_mood_or_replace(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    day: date,
    pending_mood: int | None,
) -> None:
    """Ask for a mood; if the day already has a check-in, first ask whether to replace it."""
    existing = await get_checkin(session, user.id, day)
    code = domain.compact(day)
    if existing is None:
        if pending_mood is not None:
            await _record(update, context, session, user, day, pending_mood, replaced=False)
            return
        await reply(update, t.CHECKIN_ASK_MOOD, kb.mood_keyboard(code))
        return
    data: dict[str, object] = {"date": code}
    if pending_mood is not None:
        data["mood"] = pending_mood
    await set_flow(session, user.id, FlowState(FLOW, CONFIRM, data), now=context.clock.now())
    await reply(
        update,
        t.CHECKIN_ALREADY.format(mood=domain.mood_text(existing.mood)),
        kb.replace_keyboard(code),
    )


async def _record(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    day: date,
    mood: int,
    *,
    replaced: bool,
) -> None:
    """Save the mood for the day and ask for feelings."""
    await record_mood(session, user.id, day, mood, context.clock.now())
    state = FlowState(
        FLOW, TAGS, {"date": domain.compact(day), "mood": mood, "tags": [], "replaced": replaced}
    )
    await set_flow(session, user.id, state, now=context.clock.now())
    await reply(
        update, t.CHECKIN_ASK_TAGS.format(mood=domain.mood_text(mood)), kb.tags_keyboard([])
    )


async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """Every `ci` button: mood, replace/keep, feeling toggles, Done, Skip."""
    query = update.callback_query
    assert query is not None
    async with context.db() as session:
        user = await onboarded_user(update, context, session, for_update=True)
        if user is None:
            return
        handler = _ACTIONS.get(cb.action)
        if handler is None:
            await answer_stale(update)
            return
        await handler(update, context, session, user, cb)


async def _mood(
    update: Update, context: BotContext, session: AsyncSession, user: User, cb: Callback
) -> None:
    query = update.callback_query
    assert query is not None
    day = domain.parse_compact(cb.args[0]) if cb.args else None
    mood = cb.int_arg(1)
    if day is None or not domain.valid_mood(mood) or len(cb.args) != 2:
        await answer_stale(update)
        return
    assert mood is not None
    today = domain.today_for(user.timezone or "UTC", context.clock.now())
    if day > today or day < today - timedelta(days=366):
        await answer_stale(update)
        return
    if day < today:
        await query.answer()
        await _remove_buttons(update)
        await reply(
            update,
            t.CHECKIN_PAST_DAY.format(day=_day_label(day)),
            kb.mood_keyboard(domain.compact(today)),
        )
        return
    state = await _flow_for(session, user.id)
    if state is not None and state.data.get("date") == cb.args[0]:
        if state.step in (TAGS, NOTE):
            await _change_mood_mid_flow(update, context, session, user, state, day, mood)
            return
        if state.step == MOOD:
            await query.answer()
            await _remove_buttons(update)
            await _record(update, context, session, user, day, mood, replaced=True)
            return
    await query.answer()
    await _remove_buttons(update)
    await _ask_mood_or_replace(update, context, session, user, day, pending_mood=mood)


async def _change_mood_mid_flow(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    state: FlowState,
    day: date,
    mood: int,
) -> None:
    """A second mood tap while the same check-in is still open: change the mood only."""
    query = update.callback_query
    assert query is not None
    checkin = await get_checkin(session, user.id, day)
    if checkin is None:
        await clear_flow(session, user.id)
        await answer_stale(update, t.CHECKIN_NOT_NOW)
        return
    if checkin.mood == mood:
        await query.answer(t.CHECKIN_ALREADY_DONE)
        return
    checkin.mood = mood
    checkin.updated_at = context.clock.now()
    state.data["mood"] = mood
    await set_flow(session, user.id, state, now=context.clock.now())
    await query.answer(t.CHECKIN_MOOD_CHANGED.format(mood=domain.mood_text(mood)))


async def _replace(
    update: Update, context: BotContext, session: AsyncSession, user: User, cb: Callback
) -> None:
    query = update.callback_query
    assert query is not None
    state = await _flow_for(session, user.id)
    code = cb.args[0] if len(cb.args) == 1 else None
    if state is None or state.step != CONFIRM or state.data.get("date") != code:
        await answer_stale(update, t.CHECKIN_NOT_NOW)
        return
    day = domain.parse_compact(code or "")
    today = domain.today_for(user.timezone or "UTC", context.clock.now())
    await query.answer()
    await _remove_buttons(update)
    if cb.action == "keep":
        await clear_flow(session, user.id)
        await reply(update, t.CHECKIN_KEPT)
        return
    if day != today:
        await clear_flow(session, user.id)
        await reply(update, t.CHECKIN_ASK_MOOD, kb.mood_keyboard(domain.compact(today)))
        return
    mood = state.data.get("mood")
    if isinstance(mood, int) and domain.valid_mood(mood):
        await _record(update, context, session, user, today, mood, replaced=True)
        return
    state.step = MOOD
    await set_flow(session, user.id, state, now=context.clock.now())
    await reply(update, t.CHECKIN_ASK_MOOD, kb.mood_keyboard(domain.compact(today)))


async def _toggle(
    update: Update, context: BotContext, session: AsyncSession, user: User, cb: Callback
) -> None:
    query = update.callback_query
    assert query is not None
    state = await _at_step(update, session, user, TAGS)
    index = cb.int_arg(0)
    if state is None:
        return
    if index is None or not 0 <= index < len(domain.FEELINGS) or len(cb.args) != 1:
        await answer_stale(update)
        return
    name = domain.FEELINGS[index]
    tags = domain.clean_tags(state.data.get("tags"))
    tags = [x for x in tags if x != name] if name in tags else domain.clean_tags([*tags, name])
    state.data["tags"] = tags
    await set_flow(session, user.id, state, now=context.clock.now())
    await query.answer()
    try:
        await query.edit_message_reply_markup(kb.tags_keyboard(tags))
    except TelegramError:
        log.debug("could not update the feelings keyboard")


async def _done(
    update: Update, context: BotContext, session: AsyncSession, user: User, cb: Callback
) -> None:
    query = update.callback_query
    assert query is not None
    state = await _at_step(update, session, user, TAGS, moved_on=t.CHECKIN_ALREADY_DONE)
    if state is None:
        return
    day = domain.parse_compact(str(state.data.get("date", "")))
    checkin = await get_checkin(session, user.id, day) if day else None
    if checkin is None:
        await clear_flow(session, user.id)
        await answer_stale(update, t.CHECKIN_NOT_NOW)
        return
    checkin.tags = domain.clean_tags(state.data.get("tags"))
    checkin.updated_at = context.clock.now()
    state.step = NOTE
    await set_flow(session, user.id, state, now=context.clock.now())
    await query.answer()
    await _remove_buttons(update)
    await reply(update, t.CHECKIN_ASK_NOTE.format(limit=domain.NOTE_LIMIT), kb.note_keyboard())


async def _skip(
    update: Update, context: BotContext, session: AsyncSession, user: User, cb: Callback
) -> None:
    query = update.callback_query
    assert query is not None
    state = await _at_step(update, session, user, NOTE)
    if state is None:
        return
    await query.answer()
    await _remove_buttons(update)
    await _finish(update, context, session, user, state, note=None, risk=False)


_ACTIONS = {
    "m": _mood,
    "upd": _replace,
    "keep": _replace,
    "t": _toggle,
    "done": _done,
    "skip": _skip,
}


async def _finish(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    state: FlowState,
    note: str | None,
    *,
    risk: bool,
) -> None:
    """Save the note, confirm (gently after a hard day), and run the after-check-in hooks."""
    day = domain.parse_compact(str(state.data.get("date", "")))
    checkin = await get_checkin(session, user.id, day) if day else None
    await clear_flow(session, user.id)
    if checkin is None or day is None:
        await reply(update, t.CHECKIN_NOT_NOW)
        return
    now = context.clock.now()
    if note is not None:
        checkin.note_enc = context.services.cipher.encrypt(note)
        checkin.updated_at = now
    await session.flush()
    if risk or checkin.mood <= GENTLE_MOOD:
        # No streak and no "see you tomorrow" after a hard day or words of danger.
        await reply(update, gentle_confirmation_text(state))
    else:
        today = domain.today_for(user.timezone or "UTC", now)
        dates = await checkin_dates(session, user.id, today - timedelta(days=800))
        streak = domain.streak(dates, today)
        await reply(update, confirmation_text(checkin.mood, checkin.tags, note, streak, state))
    await checkin_completed(update, context, session, user, checkin, note)


def gentle_confirmation_text(state: FlowState) -> str:
    """The short, calm confirmation after a low mood or a note that screened as risk."""
    if state.data.get("replaced"):
        return t.CHECKIN_DONE_GENTLE + "\n" + t.CHECKIN_UPDATED_NOTE
    return t.CHECKIN_DONE_GENTLE


def confirmation_text(
    mood: int, tags: list[str], note: str | None, streak: int, state: FlowState
) -> str:
    """The warm confirmation after a check-in."""
    lines = [f"Mood: <b>{escape(domain.mood_text(mood))}</b>"]
    if tags:
        lines.append("Feelings: " + escape(", ".join(tags)))
    if note is not None:
        lines.append("Note: saved (encrypted) ✓")
    if state.data.get("replaced"):
        lines.append(t.CHECKIN_UPDATED_NOTE)
    streak_text = (
        t.CHECKIN_STREAK_MANY.format(streak=streak) if streak >= 2 else t.CHECKIN_STREAK_ONE
    )
    return t.CHECKIN_DONE.format(summary="\n".join(lines), streak=streak_text)


@text_step(FLOW, NOTE)
async def typed_note(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """The note: checked for length, screened for risk, encrypted, then the confirmation."""
    user = await onboarded_user(update, context, session, for_update=True)
    if user is None:
        return
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    # Screen first: a note too long to keep can still say someone is in danger.
    risk = await screen_text(update, context, session, text, "note")
    problem = domain.note_problem(text)
    if problem == "too_long":
        await reply(
            update,
            t.CHECKIN_NOTE_TOO_LONG.format(length=len(text), limit=domain.NOTE_LIMIT),
            kb.note_keyboard(),
        )
        return
    if problem == "empty":
        await reply(update, t.CHECKIN_NOTE_EMPTY, kb.note_keyboard())
        return
    await _finish(update, context, session, user, state, note=text.strip(), risk=risk)


async def typed_at_button_step(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """Text where buttons are expected: screen it, then show the buttons of the step again."""
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    if await screen_text(update, context, session, text, "message"):
        return
    code = str(state.data.get("date", ""))
    if state.step == TAGS:
        tags = domain.clean_tags(state.data.get("tags"))
        await reply(update, t.CHECKIN_TAGS_TYPED, kb.tags_keyboard(tags))
    elif state.step == CONFIRM and domain.parse_compact(code):
        await reply(update, "Please choose one of the buttons below 🙂", kb.replace_keyboard(code))
    elif domain.parse_compact(code):
        await reply(update, t.CHECKIN_ASK_MOOD, kb.mood_keyboard(code))
    else:
        await clear_flow(session, update.effective_user.id)  # type: ignore[union-attr]
        await reply(update, t.CHECKIN_NOT_NOW)


for _step in (CONFIRM, MOOD, TAGS):
    text_step(FLOW, _step)(typed_at_button_step)
