"""Enrolment: an admin's one-time facilitator link, a facilitator's co-facilitator link, and
redeeming either through `/start fac_<token>` once the person is onboarded."""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError

from bot.app import set_commands_for
from bot.context import BotContext
from handlers.facilitator import texts as t
from handlers.facilitator.common import caller_id, is_admin, remember_bot, send
from handlers.onboarding import on_start_payload
from storage.models import Group, InviteKind, MemberStatus, Role, User
from storage.repositories.groups import get_membership, set_membership
from storage.repositories.invites import create_invite, find_invite, invite_problem, use_invite

log = logging.getLogger(__name__)

PAYLOAD_PREFIX = "fac_"
LINK_VALID = timedelta(days=7)


def start_link(bot_username: str, payload: str) -> str:
    """A deep link that opens the bot with `/start <payload>`."""
    return f"https://t.me/{bot_username}?start={payload}"


async def add_facilitator(update: Update, context: BotContext) -> None:
    """/addfacilitator: an admin gets a one-time facilitator link."""
    uid = caller_id(update)
    if not is_admin(context, uid):
        await send(update, context, t.ADMIN_ONLY)
        return
    now = context.clock.now()
    async with context.db() as session:
        invite = await create_invite(
            session,
            InviteKind.FACILITATOR,
            None,
            uid,
            now,
            expires_at=now + LINK_VALID,
            max_uses=1,
        )
        token = invite.token
    link = start_link(context.bot.username, PAYLOAD_PREFIX + token)
    log.info("facilitator invite created by admin %s", uid)
    await send(update, context, t.FACILITATOR_LINK.format(link=escape(link)))


async def co_facilitator_link(
    context: BotContext, session: AsyncSession, group: Group, created_by: int
) -> str:
    """Create a one-time co-facilitator link for a group and return the message text."""
    now = context.clock.now()
    invite = await create_invite(
        session,
        InviteKind.CO_FACILITATOR,
        group.id,
        created_by,
        now,
        expires_at=now + LINK_VALID,
        max_uses=1,
    )
    link = start_link(context.bot.username, PAYLOAD_PREFIX + invite.token)
    return t.COFAC_LINK.format(group=escape(group.name), link=escape(link))


@on_start_payload
async def redeem(
    update: Update, context: BotContext, session: AsyncSession, user: User, payload: str
) -> bool:
    """`/start fac_<token>` for an onboarded person: become facilitator or co-facilitator."""
    if not payload.startswith(PAYLOAD_PREFIX):
        return False
    remember_bot(context)
    now = context.clock.now()
    invite = await find_invite(session, payload[len(PAYLOAD_PREFIX) :], for_update=True)
    if invite is not None and invite.kind == InviteKind.JOIN:
        invite = None
    problem = invite_problem(invite, now)
    if problem is not None or invite is None:
        await send(update, context, t.INVITE_BAD[str(problem or "unknown")])
        return True
    if invite.kind == InviteKind.FACILITATOR:
        if user.is_facilitator:
            await send(update, context, t.ALREADY_FACILITATOR)
            return True
        user.is_facilitator = True
        user.updated_at = now
        text = t.ENROLLED
    else:
        group = await session.get(Group, invite.group_id) if invite.group_id else None
        if group is None or group.archived_at is not None:
            await send(update, context, t.INVITE_BAD["revoked"])
            return True
        current = await get_membership(session, group.id, user.id)
        if (
            current is not None
            and current.role == Role.PARTICIPANT
            and current.status in (MemberStatus.ACTIVE, MemberStatus.PENDING)
        ):
            # Never turn someone's own membership into a team role silently: their check-ins
            # would then sit inside the facilitation team. The link stays valid.
            await send(update, context, t.COFAC_IS_PARTICIPANT.format(group=escape(group.name)))
            return True
        if current is None or current.role != Role.FACILITATOR:
            await set_membership(
                session, group.id, user.id, Role.CO_FACILITATOR, MemberStatus.ACTIVE, now
            )
        text = t.CO_ENROLLED.format(group=escape(group.name))
    await use_invite(session, invite)
    log.info("user %s enrolled via %s invite %s", user.id, invite.kind, invite.id)
    await send(update, context, text)
    try:
        await set_commands_for(
            context.bot, user.id, facilitator=True, admin=is_admin(context, user.id)
        )
    except TelegramError as error:
        log.warning("could not set commands for %s: %s", user.id, type(error).__name__)
    return True
