"""Commands every role has (/help, /cancel, /sos, /privacy), routing of text and buttons,
the private-chat guard and the error handler."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.context import BotContext
from handlers import keyboards
from handlers.callbacks import Callback, parse
from handlers.flow import step_handler
from handlers.hooks import screen_text
from storage.models import Membership, MemberStatus, Role
from storage.repositories.flows import FlowState, clear_flow, get_flow
from storage.repositories.users import get_user

log = logging.getLogger(__name__)

FLOW_TTL = timedelta(hours=1)
ONBOARDING_FLOW = "onboarding"
KEEPS_FLOW = frozenset({"cancel", "help", "sos", "privacy"})

ButtonHandler = Callable[[Update, BotContext, Callback], Awaitable[None]]
_BUTTON_AREAS: dict[str, ButtonHandler] = {}


def button_area(area: str) -> Callable[[ButtonHandler], ButtonHandler]:
    """Register the handler for callback data starting with `area:`."""

    def register(func: ButtonHandler) -> ButtonHandler:
        _BUTTON_AREAS[area] = func
        return func

    return register


async def is_facilitator_anywhere(context: BotContext, user_id: int) -> bool:
    """True for enrolled facilitators and anyone facilitating a group."""
    from sqlalchemy import select

    async with context.db() as session:
        user = await get_user(session, user_id)
        if user is not None and user.is_facilitator:
            return True
        row = await session.execute(
            select(Membership.id).where(
                Membership.user_id == user_id,
                Membership.role.in_([Role.FACILITATOR, Role.CO_FACILITATOR]),
                Membership.status == MemberStatus.ACTIVE,
            ).limit(1)
        )
        return row.first() is not None


async def help_command(update: Update, context: BotContext) -> None:
    """List the commands of the caller's role."""
    tg_user = update.effective_user
    assert tg_user is not None and update.effective_message is not None
    async with context.db() as session:
        user = await get_user(session, tg_user.id)
    if user is None or not user.is_onboarded:
        text = texts.HELP_NEW
    else:
        text = texts.HELP_PARTICIPANT
    if await is_facilitator_anywhere(context, tg_user.id):
        text += texts.HELP_FACILITATOR
    if context.services.is_admin(tg_user.id):
        text += texts.HELP_ADMIN
    await update.effective_message.reply_html(text)


async def cancel(update: Update, context: BotContext) -> None:
    """Leave whatever flow the person is in."""
    tg_user = update.effective_user
    assert tg_user is not None and update.effective_message is not None
    async with context.db() as session:
        state = await get_flow(session, tg_user.id)
        if state is not None:
            await clear_flow(session, tg_user.id)
    if context.user_data:
        context.user_data.clear()
    await update.effective_message.reply_html(
        texts.CANCELLED if state is not None else texts.NOTHING_TO_CANCEL
    )


async def sos(update: Update, context: BotContext) -> None:
    """Crisis resources, always available, also before onboarding and in group chats."""
    assert update.effective_message is not None
    await update.effective_message.reply_html(sos_text(context))
    raise ApplicationHandlerStop


def sos_text(context: BotContext) -> str:
    """The deployment's crisis resources with a kind header and footer."""
    from html import escape

    return texts.SOS_HEADER + escape(context.settings.crisis_resources) + texts.SOS_FOOTER


async def privacy(update: Update, context: BotContext) -> None:
    """What is stored and who sees it."""
    tg_user = update.effective_user
    assert tg_user is not None and update.effective_message is not None
    async with context.db() as session:
        user = await get_user(session, tg_user.id)
    if user is None:
        visibility = texts.PRIVACY_NOT_STORED
    else:
        visibility = "allowed" if user.share_with_facilitators else "not allowed"
    await update.effective_message.reply_html(
        texts.PRIVACY.format(
            visibility=visibility, min_members=context.settings.min_aggregate_members
        )
    )


async def free_text(update: Update, context: BotContext) -> None:
    """Text in a private chat: the current flow's step, risk screening, or a gentle pointer."""
    tg_user = update.effective_user
    message = update.effective_message
    assert tg_user is not None and message is not None
    text = message.text or ""
    async with context.db() as session:
        state = await get_flow(session, tg_user.id)
        expired = state is not None and is_expired(state, context.clock.now())
        if expired:
            # A flow left long ago must not swallow today's text (it could be shared or sent).
            await clear_flow(session, tg_user.id)
            state = None
        handler = step_handler(state) if state is not None else None
        if state is not None and handler is not None:
            if not text.strip():
                await message.reply_html(texts.TEXT_EMPTY)
                return
            await handler(update, context, session, state)
            return
        if await screen_text(update, context, session, text, "message"):
            return
        user = await get_user(session, tg_user.id)
    if user is None or not user.is_onboarded:
        await message.reply_html(texts.FINISH_ONBOARDING)
        return
    await message.reply_html(texts.FLOW_EXPIRED if expired else texts.NOT_UNDERSTOOD)


def is_expired(state: FlowState, now: datetime) -> bool:
    """Flows other than onboarding (derived from saved answers) end after FLOW_TTL."""
    return state.name != ONBOARDING_FLOW and state.is_stale(now, FLOW_TTL)


async def leave_flow_on_command(update: Update, context: BotContext) -> None:
    """A new command ends the flow in progress (/cancel, /help, /sos and /privacy do not;
    /start does not end onboarding), so later text never lands in a forgotten step."""
    message = update.message
    user = update.effective_user
    if message is None or user is None or not message.text or not message.text.startswith("/"):
        return
    command = message.text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
    if command in KEEPS_FLOW:
        return
    async with context.db() as session:
        state = await get_flow(session, user.id)
        if state is None or (state.name == ONBOARDING_FLOW and command == "start"):
            return
        await clear_flow(session, user.id)


async def button(update: Update, context: BotContext) -> None:
    """Route a button press to its area; stale or forged data gets a kind answer."""
    query = update.callback_query
    assert query is not None
    cb = parse(query.data)
    handler = _BUTTON_AREAS.get(cb.area) if cb is not None else None
    if cb is None or handler is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await handler(update, context, cb)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not know (screened first: "/end it all" is not a typo)."""
    message = update.effective_message
    assert message is not None
    words = (message.text or "").lstrip("/").replace("_", " ")
    async with context.db() as session:
        if await screen_text(update, context, session, words, "message"):
            return
    await message.reply_html(texts.UNKNOWN_COMMAND)


async def not_text(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice and the like: screen any caption, then say kindly that only
    text is read."""
    message = update.effective_message
    assert message is not None
    if message.caption:
        async with context.db() as session:
            if await screen_text(update, context, session, message.caption, "message"):
                return
    await message.reply_html(texts.ONLY_TEXT)


async def edited(update: Update, context: BotContext) -> None:
    """An edited message is not run again (it could repeat a command or a step), but what it
    now says is screened for risk."""
    message = update.edited_message
    if message is None:
        return
    text = message.text or message.caption or ""
    if text:
        async with context.db() as session:
            await screen_text(update, context, session, text, "message")


async def not_private(update: Update, context: BotContext) -> None:
    """Commands and mentions of the bot in a group chat (/sos is answered everywhere):
    invite to the private chat. Mentions of other people are none of the bot's business."""
    message = update.effective_message
    if message is None:
        return
    if message.chat.type == ChatType.CHANNEL:
        return
    is_command = bool(message.text and message.text.startswith("/"))
    mentioned = f"@{context.bot.username}".lower() in (message.text or "").lower()
    if not (is_command or mentioned):
        return
    await message.reply_html(
        texts.PRIVATE_ONLY,
        reply_markup=keyboards.open_private_chat_keyboard(context.bot.username),
    )


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure without any message text and answer the person kindly."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    # Only where it failed, never the exception's message: database errors carry the values
    # a person typed (names, notes).
    frames = traceback.extract_tb(error.__traceback__) if error else []
    where = " <- ".join(
        f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}"
        for frame in frames[::-1][:8]
    )
    log.error("error while handling update %s: %s at %s", update_id, type(error).__name__, where)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.ERROR_APOLOGY[:190], show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, texts.ERROR_APOLOGY)
    except TelegramError:
        log.warning("could not send the apology for update %s", update_id)
