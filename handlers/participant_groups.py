"""A participant's groups (`/groups`) and leaving one (`/leave`, with confirmation)."""

from __future__ import annotations

import importlib
import logging
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext
from handlers import participant_keyboards as kb
from handlers import participant_texts as t
from handlers.callbacks import Callback
from handlers.common import is_facilitator_anywhere
from handlers.participant_common import answer_stale, fresh, onboarded_user, reply, stamp
from storage.models import Group, Membership, MemberStatus, Role
from storage.repositories.joining import leave_group, memberships_of

VISIBLE = (MemberStatus.ACTIVE, MemberStatus.PENDING)


def participant_groups_text(rows: list[tuple[Membership, Group]]) -> str:
    """The person's active and pending groups as a short list."""
    lines = [t.GROUPS_HEADER]
    for member, group in rows:
        if member.status not in VISIBLE or group.archived_at is not None:
            continue
        key = member.role.value if member.role != Role.PARTICIPANT else member.status.value
        lines.append(t.GROUP_LINE.format(group=escape(group.name), status=t.GROUP_STATUS[key]))
    if len(lines) == 1:
        return t.GROUPS_NONE
    if any(m.role == Role.PARTICIPANT and m.status in VISIBLE for m, _ in rows):
        lines.append("\n" + t.GROUPS_FOOTER)
    return "\n".join(lines)


def _leavable(rows: list[tuple[Membership, Group]]) -> list[tuple[int, str]]:
    return [
        (group.id, group.name)
        for member, group in rows
        if member.role == Role.PARTICIPANT and member.status in VISIBLE
    ]


async def groups_command(update: Update, context: BotContext) -> None:
    """Facilitators get the facilitator view when it exists; participants their groups."""
    tg_user = update.effective_user
    assert tg_user is not None
    if await is_facilitator_anywhere(context, tg_user.id):
        try:
            module = importlib.import_module("handlers.facilitator.groups")
        except ImportError:
            module = None
        show = getattr(module, "show_groups", None)
        if show is not None:
            await show(update, context)
            return
    async with context.db() as session:
        user = await onboarded_user(update, context, session)
        if user is None:
            return
        rows = await memberships_of(session, user.id)
    await reply(update, participant_groups_text(rows))


async def leave_command(update: Update, context: BotContext) -> None:
    """Ask which group to leave (or confirm the only one)."""
    async with context.db() as session:
        user = await onboarded_user(update, context, session)
        if user is None:
            return
        groups = _leavable(await memberships_of(session, user.id))
    if not groups:
        await reply(update, t.LEAVE_NONE)
    elif len(groups) == 1:
        group_id, name = groups[0]
        await reply(
            update,
            t.LEAVE_CONFIRM.format(group=escape(name)),
            kb.leave_confirm_keyboard(group_id, stamp(context.clock.now())),
        )
    else:
        await reply(update, t.LEAVE_CHOOSE, kb.leave_choice_keyboard(groups))


async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """`pleave:ask:<group_id>`, `pleave:yes|no:<group_id>:<stamp>`; membership is re-checked
    on every press, and a Yes older than CONFIRM_TTL changes nothing."""
    query = update.callback_query
    assert query is not None
    group_id = cb.int_arg(0)
    arity = 1 if cb.action == "ask" else 2
    if cb.action not in ("ask", "yes", "no") or group_id is None or len(cb.args) > arity:
        await answer_stale(update)
        return
    if cb.action == "yes" and not fresh(cb.int_arg(1, big=True), context.clock.now()):
        await answer_stale(update, t.LEAVE_EXPIRED)
        return
    async with context.db() as session:
        user = await onboarded_user(update, context, session)
        if user is None:
            return
        group = await _leavable_group(session, user.id, group_id)
        if group is None:
            await answer_stale(update, t.LEAVE_NOT_MEMBER)
            return
        await query.answer()
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError:
            logging.getLogger(__name__).debug("could not remove the leave keyboard")
        if cb.action == "ask":
            await reply(
                update,
                t.LEAVE_CONFIRM.format(group=escape(group.name)),
                kb.leave_confirm_keyboard(group.id, stamp(context.clock.now())),
            )
        elif cb.action == "no":
            await reply(update, t.LEAVE_KEPT)
        else:
            await leave_group(session, user.id, group.id, context.clock.now())
            await reply(update, t.LEAVE_DONE.format(group=escape(group.name)))


async def _leavable_group(session: AsyncSession, user_id: int, group_id: int) -> Group | None:
    for member, group in await memberships_of(session, user_id, VISIBLE):
        if group.id == group_id and member.role == Role.PARTICIPANT:
            return group
    return None
