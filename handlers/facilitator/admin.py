"""`/admin`: platform health for the clinic's admins."""

from __future__ import annotations

from sqlalchemy import func, select
from telegram import Update

from bot.context import BotContext
from handlers.facilitator import texts as t
from handlers.facilitator.common import caller_id, is_admin, remember_bot, send
from storage.models import Delivery, DeliveryStatus, Group, User


async def admin_command(update: Update, context: BotContext) -> None:
    """Counts of users, groups and deliveries by state."""
    remember_bot(context)
    if not is_admin(context, caller_id(update)):
        await send(update, context, t.ADMIN_ONLY)
        return
    async with context.db() as session:
        users = await session.scalar(select(func.count()).select_from(User))
        unreachable_users = await session.scalar(
            select(func.count()).select_from(User).where(User.unreachable_since.is_not(None))
        )
        facilitators = await session.scalar(
            select(func.count()).select_from(User).where(User.is_facilitator.is_(True))
        )
        groups = await session.scalar(
            select(func.count()).select_from(Group).where(Group.archived_at.is_(None))
        )
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        by = {DeliveryStatus(s): int(n) for s, n in rows.all()}
    await send(
        update,
        context,
        t.ADMIN_VIEW.format(
            users=users or 0,
            unreachable_users=unreachable_users or 0,
            facilitators=facilitators or 0,
            groups=groups or 0,
            pending=by.get(DeliveryStatus.PENDING, 0) + by.get(DeliveryStatus.CLAIMED, 0),
            failed=by.get(DeliveryStatus.FAILED, 0),
            unknown=by.get(DeliveryStatus.UNKNOWN, 0),
            unreachable=by.get(DeliveryStatus.UNREACHABLE, 0),
        ),
    )
