"""Shared plumbing of the facilitator console: sending, button areas that answer every press,
and choosing one of the caller's groups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import BotContext
from bot.roles import facilitated_groups
from bot.timeutil import TimeInputError
from handlers.callbacks import Callback
from handlers.common import button_area
from handlers.facilitator import keyboards
from handlers.facilitator import texts as t
from storage.repositories.flows import FlowState, set_flow
from storage.repositories.users import get_user

# A button action returns the text of the callback answer (shown as an alert), or None.
Action = Callable[[Update, BotContext, Callback], Awaitable[str | None]]
# A view of one group; returns a refusal text or None when it replied itself.
GroupView = Callable[[Update, BotContext, int], Awaitable[str | None]]

T = TypeVar("T")

_VIEWS: dict[str, GroupView] = {}
_ACTIONS: dict[str, dict[str, Action]] = {}


def caller_id(update: Update) -> int:
    """The Telegram id of whoever sent the update."""
    assert update.effective_user is not None
    return update.effective_user.id


def is_admin(context: BotContext, user_id: int) -> bool:
    """True for the clinic's admins."""
    return context.services.is_admin(user_id)


def remember_bot(context: BotContext) -> None:
    """Make the bot reachable for delivery hooks that run outside updates."""
    context.services.extras.setdefault("bot", context.bot)


async def send(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Send an HTML message to the chat the update came from."""
    assert update.effective_chat is not None
    return await context.bot.send_message(
        update.effective_chat.id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        disable_web_page_preview=True,
    )


def action(area: str, name: str) -> Callable[[Action], Action]:
    """Register a button action `area:name:...`; the area answers every press."""

    def register(func: Action) -> Action:
        if area not in _ACTIONS:
            _ACTIONS[area] = {}
            button_area(area)(_area_handler(area))
        _ACTIONS[area][name] = func
        return func

    return register


def _area_handler(area: str) -> Callable[[Update, BotContext, Callback], Awaitable[None]]:
    async def handle(update: Update, context: BotContext, cb: Callback) -> None:
        query = update.callback_query
        assert query is not None
        remember_bot(context)
        func = _ACTIONS[area].get(cb.action)
        answer = t.STALE if func is None else await func(update, context, cb)
        await query.answer(answer[:190] if answer else None, show_alert=bool(answer))

    return handle


def group_view(name: str) -> Callable[[GroupView], GroupView]:
    """Register a view reachable from the group picker (`fx:<name>:<group_id>`)."""

    def register(func: GroupView) -> GroupView:
        _VIEWS[name] = func
        return func

    return register


@action("fx", "g")
async def _picked(update: Update, context: BotContext, cb: Callback) -> str | None:
    """A group picked from the picker: the view re-checks the caller's role."""
    view = _VIEWS.get(cb.args[0]) if cb.args else None
    group_id = cb.int_arg(1)
    if view is None or group_id is None:
        return t.STALE
    return await view(update, context, group_id)


async def choose_group(
    update: Update, context: BotContext, view: str, extra: list[tuple[str, str]] | None = None
) -> None:
    """Show the view for the caller's only group, or let them pick one of theirs."""
    remember_bot(context)
    uid = caller_id(update)
    admin = is_admin(context, uid)
    async with context.db() as session:
        user = await get_user(session, uid)
        groups = await facilitated_groups(session, uid, is_admin=admin)
    if not groups:
        enrolled = admin or (user is not None and user.is_facilitator)
        await send(update, context, t.NO_GROUPS if enrolled else t.NOT_FACILITATOR)
        return
    if len(groups) == 1 and not extra:
        refusal = await _VIEWS[view](update, context, groups[0].id)
        if refusal:
            await send(update, context, refusal)
        return
    choices = [(g.name[:60], g.id) for g in groups]
    await send(update, context, t.CHOOSE_GROUP, keyboards.group_picker(view, choices, extra))


async def drop_keyboard(update: Update) -> None:
    """Remove the buttons of the message a pressed button was on (best effort)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:
        pass


async def refuse_command(update: Update, context: BotContext, text: str) -> None:
    """Answer a command the caller may not use."""
    await send(update, context, text)


def label(name: str | None, fallback: str = "A member") -> str:
    """An escaped display name for facilitator views."""
    return escape(name or fallback)


def typed(update: Update) -> str:
    """The text the person typed (empty when the update has none)."""
    message = update.effective_message
    return (message.text or "") if message is not None else ""


async def parse_typed(update: Update, context: BotContext, parse: Callable[[str], T]) -> T | None:
    """Parse what the person typed; on bad input tell them why and return None."""
    try:
        return parse(typed(update))
    except TimeInputError as error:
        await send(update, context, escape(str(error)))
        return None


async def next_step(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    state: FlowState,
    step: str,
    ask: str,
) -> None:
    """Move the caller's flow to `step` and ask its question."""
    state.step = step
    await set_flow(session, caller_id(update), state, now=context.clock.now())
    await send(update, context, ask)
