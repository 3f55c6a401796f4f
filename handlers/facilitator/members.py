"""`/members`: active, waiting for approval (approve / decline), unreachable; remove a member.
The person concerned is told through the delivery engine (NOTICE)."""

from __future__ import annotations

import logging
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from bot.delivery.outbox import NOTICE, enqueue
from bot.roles import require_facilitator
from handlers.callbacks import Callback
from handlers.facilitator import keyboards
from handlers.facilitator import texts as t
from handlers.facilitator.common import (
    action,
    caller_id,
    choose_group,
    group_view,
    is_admin,
    label,
    send,
)
from storage.models import Group, Membership, MemberStatus, Role
from storage.repositories.groups import get_membership, members_with_users
from storage.repositories.users import get_user

log = logging.getLogger(__name__)


async def members_command(update: Update, context: BotContext) -> None:
    """/members for one of my groups."""
    await choose_group(update, context, "members")


@group_view("members")
async def members_view(update: Update, context: BotContext, group_id: int) -> str | None:
    """Active, pending and unreachable members, with approve / decline / remove buttons."""
    uid = caller_id(update)
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        active = await members_with_users(session, group_id)
        pending = await members_with_users(session, group_id, statuses=(MemberStatus.PENDING,))
    text = t.MEMBERS_VIEW.format(name=escape(group.name))
    reachable = [u for _, u in active if u.unreachable_since is None]
    unreachable = [u for _, u in active if u.unreachable_since is not None]
    if reachable:
        text += t.MEMBERS_ACTIVE.format(
            n=len(reachable), lines=_names([u.display_name for u in reachable])
        )
    if pending:
        text += t.MEMBERS_PENDING.format(
            n=len(pending), lines=_names([u.display_name for _, u in pending])
        )
    if unreachable:
        text += t.MEMBERS_UNREACHABLE.format(
            n=len(unreachable), lines=_names([u.display_name for u in unreachable])
        )
    if not (active or pending):
        text += t.MEMBERS_NONE
        await send(update, context, text)
        return None
    buttons = [((u.display_name or "A member")[:24], u.id) for _, u in pending[:20]]
    await send(update, context, text, keyboards.pending_actions(group_id, buttons))
    return None


MAX_LISTED = 20


def _names(names: list[str | None], limit: int = MAX_LISTED) -> str:
    """Bulleted, escaped names; long lists end with how many more there are."""
    lines = [f"• {label((n or 'A member')[:48])}" for n in names[:limit]]
    if len(names) > limit:
        lines.append(f"… and {len(names) - limit} more")
    return "\n".join(lines)


async def _notify(
    context: BotContext, session: AsyncSession, kind: str, group: Group, user_id: int, text: str
) -> None:
    """Tell the person through the delivery engine (idempotent per decision)."""
    now = context.clock.now()
    await enqueue(
        session,
        kind=NOTICE,
        key=f"notice:member_{kind}:{group.id}:{user_id}:{int(now.timestamp())}",
        recipient_id=user_id,
        subject_id=group.id,
        due_at=now,
        now=now,
        payload={"text": text},
    )


async def _target(
    update: Update, context: BotContext, session: AsyncSession, cb: Callback
) -> tuple[Group, int] | str:
    """The group (caller's role re-checked) and member id of a button, or a refusal."""
    group_id, user_id = cb.int_arg(0), cb.int_arg(1, big=True)
    if group_id is None or user_id is None:
        return t.STALE
    uid = caller_id(update)
    group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
    if group is None:
        return t.NOT_YOURS
    return group, user_id


async def _active_participant(
    session: AsyncSession, group_id: int, user_id: int
) -> Membership | None:
    """The member's membership when they are an active participant of the group, else None."""
    membership = await get_membership(session, group_id, user_id)
    if (
        membership is None
        or membership.status != MemberStatus.ACTIVE
        or membership.role != Role.PARTICIPANT
    ):
        return None
    return membership


async def _decide(update: Update, context: BotContext, cb: Callback, approve: bool) -> str | None:
    async with context.db() as session:
        target = await _target(update, context, session, cb)
        if isinstance(target, str):
            return target
        group, user_id = target
        membership = await get_membership(session, group.id, user_id)
        if membership is None or membership.status != MemberStatus.PENDING:
            return t.NOT_PENDING
        user = await get_user(session, user_id)
        who = label(user.display_name if user else None)
        membership.status = MemberStatus.ACTIVE if approve else MemberStatus.DECLINED
        membership.updated_at = context.clock.now()
        notice = (t.NOTICE_APPROVED if approve else t.NOTICE_DECLINED).format(
            group=escape(group.name)
        )
        await _notify(
            context, session, "approved" if approve else "declined", group, user_id, notice
        )
        reply = (t.APPROVED if approve else t.DECLINED).format(who=who, group=escape(group.name))
    log.info(
        "membership of %s in group %s %s by %s",
        user_id,
        group.id,
        "approved" if approve else "declined",
        caller_id(update),
    )
    await send(update, context, reply)
    return None


@action("fm", "ok")
async def _approve(update: Update, context: BotContext, cb: Callback) -> str | None:
    return await _decide(update, context, cb, approve=True)


@action("fm", "no")
async def _decline(update: Update, context: BotContext, cb: Callback) -> str | None:
    return await _decide(update, context, cb, approve=False)


@action("fm", "rmlist")
async def _remove_list(update: Update, context: BotContext, cb: Callback) -> str | None:
    group_id = cb.int_arg(0)
    uid = caller_id(update)
    if group_id is None:
        return t.STALE
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        active = await members_with_users(session, group_id)
    if not active:
        return t.NOT_MEMBER
    choices = [((u.display_name or "A member")[:40], u.id) for _, u in active[:40]]
    await send(
        update,
        context,
        t.REMOVE_CHOOSE.format(group=escape(group.name)),
        keyboards.remove_list(group_id, choices),
    )
    return None


@action("fm", "rm")
async def _remove_ask(update: Update, context: BotContext, cb: Callback) -> str | None:
    async with context.db() as session:
        target = await _target(update, context, session, cb)
        if isinstance(target, str):
            return target
        group, user_id = target
        membership = await _active_participant(session, group.id, user_id)
        if membership is None:
            return t.NOT_MEMBER
        user = await get_user(session, user_id)
    await send(
        update,
        context,
        t.REMOVE_CONFIRM.format(
            who=label(user.display_name if user else None), group=escape(group.name)
        ),
        keyboards.confirm_remove(group.id, user_id),
    )
    return None


@action("fm", "rmok")
async def _remove(update: Update, context: BotContext, cb: Callback) -> str | None:
    async with context.db() as session:
        target = await _target(update, context, session, cb)
        if isinstance(target, str):
            return target
        group, user_id = target
        membership = await _active_participant(session, group.id, user_id)
        if membership is None:
            return t.NOT_MEMBER
        membership.status = MemberStatus.REMOVED
        membership.updated_at = context.clock.now()
        user = await get_user(session, user_id)
        await _notify(
            context,
            session,
            "removed",
            group,
            user_id,
            t.NOTICE_REMOVED.format(group=escape(group.name)),
        )
        reply = t.REMOVED.format(
            who=label(user.display_name if user else None), group=escape(group.name)
        )
    log.info("member %s removed from group %s by %s", user_id, group.id, caller_id(update))
    await send(update, context, reply)
    return None


@action("fm", "keep")
async def _keep(update: Update, context: BotContext, cb: Callback) -> str | None:
    return None
