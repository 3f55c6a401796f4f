"""Onboarding (`/start`): welcome, consent, time zone, check-in time, visibility.

Each answer is saved as soon as it is given, so a restart never loses it; the step a person is
at is derived from what is saved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import time
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import texts
from bot.context import BotContext
from bot.prompts import reschedule_prompt
from bot.timeutil import (
    COMMON_ZONES,
    TimeInputError,
    format_time,
    parse_time_of_day,
    parse_timezone,
)
from handlers import keyboards
from handlers.callbacks import Callback
from handlers.flow import text_step
from storage.models import User
from storage.repositories.flows import FlowState, clear_flow, get_flow, set_flow
from storage.repositories.users import create_user, get_user

FLOW = "onboarding"
# Conversation states (steps), derived from what the user row holds.
CONSENT, TIMEZONE, CHECKIN_TIME, VISIBILITY = "consent", "timezone", "checkin_time", "visibility"

# Called after onboarding with a pending deep-link payload (registered by the join module).
StartPayloadHook = Callable[[Update, BotContext, AsyncSession, User, str], Awaitable[bool]]
_payload_hooks: list[StartPayloadHook] = []


def on_start_payload(hook: StartPayloadHook) -> StartPayloadHook:
    """Register a handler for `/start <payload>` once the person is onboarded."""
    _payload_hooks.append(hook)
    return hook


def current_step(user: User | None) -> str | None:
    """The onboarding step a person is at, or None when onboarding is complete."""
    if user is None or not user.has_consented:
        return CONSENT
    if user.timezone is None:
        return TIMEZONE
    if user.checkin_time is None:
        return CHECKIN_TIME
    if not user.is_onboarded:
        return VISIBILITY
    return None


async def ask_step(update: Update, step: str, user: User | None) -> None:
    """Send the question for `step`."""
    message = update.effective_message
    assert message is not None
    if step == CONSENT:
        await message.reply_html(texts.WELCOME, reply_markup=keyboards.consent_keyboard())
    elif step == TIMEZONE:
        await message.reply_html(texts.ASK_TIMEZONE, reply_markup=keyboards.timezone_keyboard())
    elif step == CHECKIN_TIME:
        assert user is not None and user.timezone is not None
        await message.reply_html(
            texts.ASK_CHECKIN_TIME.format(zone=escape(user.timezone)),
            reply_markup=keyboards.checkin_time_keyboard(),
        )
    elif step == VISIBILITY:
        assert user is not None and user.checkin_time is not None
        await message.reply_html(
            texts.ASK_VISIBILITY.format(time=format_time(user.checkin_time)),
            reply_markup=keyboards.visibility_keyboard(),
        )


async def start(update: Update, context: BotContext) -> None:
    """Begin or resume onboarding; hand a deep-link payload on once onboarded."""
    tg_user = update.effective_user
    assert tg_user is not None
    payload = context.args[0] if context.args else ""
    async with context.db() as session:
        user = await get_user(session, tg_user.id)
        step = current_step(user)
        if step is None:
            assert user is not None
            await clear_flow(session, tg_user.id)
            for hook in _payload_hooks:
                if payload and await hook(update, context, session, user, payload):
                    return
            await update.effective_message.reply_html(texts.WELCOME_BACK)  # type: ignore[union-attr]
            return
        if payload:
            # Before consent only the invite payload is kept with the Telegram id, so a
            # restart does not lose the link the person opened.
            await set_flow(
                session, tg_user.id, FlowState(FLOW, step, {"payload": payload[:64]}),
                now=context.clock.now(),
            )
        elif user is not None:
            existing = await get_flow(session, tg_user.id)
            data = existing.data if existing is not None and existing.name == FLOW else {}
            now = context.clock.now()
            await set_flow(session, tg_user.id, FlowState(FLOW, step, data), now=now)
        await ask_step(update, step, user)


async def _finish(update: Update, context: BotContext, session: AsyncSession, user: User) -> None:
    """Mark onboarding done, schedule prompts, and continue any pending invite."""
    now = context.clock.now()
    user.onboarded_at = now
    user.updated_at = now
    reschedule_prompt(user, now)
    state = await get_flow(session, user.id)
    payload = state.data.get("payload", "") if state else ""
    await clear_flow(session, user.id)
    assert user.checkin_time is not None and user.timezone is not None
    done = texts.ONBOARDING_DONE.format(
        time=format_time(user.checkin_time),
        zone=escape(user.timezone),
        visibility=texts.VISIBILITY_YES if user.share_with_facilitators else texts.VISIBILITY_NO,
        next_step="" if payload else texts.NEXT_STEP_JOIN,
    )
    await update.effective_message.reply_html(done.strip())  # type: ignore[union-attr]
    for hook in _payload_hooks:
        if payload and await hook(update, context, session, user, payload):
            return


async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """Handle onboarding buttons, checking they fit the step the person is at."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    async with context.db() as session:
        user = await get_user(session, tg_user.id, for_update=True)
        step = current_step(user)
        expected = {"consent": CONSENT, "tz": TIMEZONE, "time": CHECKIN_TIME, "vis": VISIBILITY}
        if step != expected.get(cb.action):
            await query.answer("That step is already done.")
            if step is not None:
                await ask_step(update, step, user)
            return
        await query.answer()
        await query.edit_message_reply_markup(None)
        now = context.clock.now()
        arg = cb.args[0] if cb.args else ""
        if cb.action == "consent":
            if arg != "yes":
                await clear_flow(session, tg_user.id)
                await query.message.reply_html(texts.CONSENT_DECLINED)  # type: ignore[union-attr]
                return
            user = await create_user(
                session, tg_user.id, now=now, language_code=tg_user.language_code
            )
            user.consent_at = now
            user.display_name = tg_user.first_name[:128]
            pending = await get_flow(session, tg_user.id)
            payload = str(pending.data.get("payload", "")) if pending else ""
            await set_flow(
                session, tg_user.id,
                FlowState(FLOW, TIMEZONE, {"payload": payload} if payload else {}), now=now,
            )
        elif cb.action == "tz":
            index = cb.int_arg(0)
            if index is None or not 0 <= index < len(COMMON_ZONES):
                await query.message.reply_html(texts.STALE_BUTTON)  # type: ignore[union-attr]
                return
            assert user is not None
            user.timezone = COMMON_ZONES[index][1]
        elif cb.action == "time":
            assert user is not None
            if len(arg) != 4 or not arg.isdigit() or int(arg[:2]) > 23 or int(arg[2:]) > 59:
                await query.message.reply_html(texts.STALE_BUTTON)  # type: ignore[union-attr]
                return
            user.checkin_time = time(int(arg[:2]), int(arg[2:]))
        elif cb.action == "vis":
            assert user is not None
            user.share_with_facilitators = arg == "yes"
            await _finish(update, context, session, user)
            return
        assert user is not None
        user.updated_at = now
        await _advance(update, context, session, user)


async def _advance(update: Update, context: BotContext, session: AsyncSession, user: User) -> None:
    """Save the new step and ask its question."""
    step = current_step(user)
    assert step is not None
    state = await get_flow(session, user.id)
    data = state.data if state else {}
    await set_flow(session, user.id, FlowState(FLOW, step, data), now=context.clock.now())
    await ask_step(update, step, user)


@text_step(FLOW, TIMEZONE)
async def typed_timezone(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """A typed time zone: validate, save, move on; otherwise explain and ask again."""
    user = await get_user(session, update.effective_user.id)  # type: ignore[union-attr]
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    if user is None or current_step(user) != TIMEZONE:
        await update.effective_message.reply_html(texts.FINISH_ONBOARDING)  # type: ignore[union-attr]
        return
    try:
        user.timezone = parse_timezone(text)
    except TimeInputError as error:
        await update.effective_message.reply_html(  # type: ignore[union-attr]
            escape(str(error)), reply_markup=keyboards.timezone_keyboard()
        )
        return
    user.updated_at = context.clock.now()
    await _advance(update, context, session, user)


@text_step(FLOW, CHECKIN_TIME)
async def typed_checkin_time(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """A typed check-in time: validate, save, move on; otherwise explain and ask again."""
    user = await get_user(session, update.effective_user.id)  # type: ignore[union-attr]
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    if user is None or current_step(user) != CHECKIN_TIME:
        await update.effective_message.reply_html(texts.FINISH_ONBOARDING)  # type: ignore[union-attr]
        return
    try:
        user.checkin_time = parse_time_of_day(text)
    except TimeInputError as error:
        await update.effective_message.reply_html(  # type: ignore[union-attr]
            escape(str(error)), reply_markup=keyboards.checkin_time_keyboard()
        )
        return
    user.updated_at = context.clock.now()
    await _advance(update, context, session, user)


async def typed_at_button_step(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """Text typed where a button is expected: ask the same question again."""
    user = await get_user(session, update.effective_user.id)  # type: ignore[union-attr]
    step = current_step(user)
    if step is None:
        await clear_flow(session, update.effective_user.id)  # type: ignore[union-attr]
        await update.effective_message.reply_html(texts.WELCOME_BACK)  # type: ignore[union-attr]
        return
    await update.effective_message.reply_html("Please choose one of the buttons below 🙂")  # type: ignore[union-attr]
    await ask_step(update, step, user)


text_step(FLOW, CONSENT)(typed_at_button_step)
text_step(FLOW, VISIBILITY)(typed_at_button_step)
