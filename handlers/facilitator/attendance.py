"""`/attendance`: for a past session, toggle who was present (prefilled from RSVPs)."""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
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
    send,
)
from handlers.facilitator.groups import format_local
from storage.models import (
    Attendance,
    Group,
    OccurrenceStatus,
    Rsvp,
    RsvpAnswer,
    SessionOccurrence,
)
from storage.repositories.groups import members_with_users

log = logging.getLogger(__name__)

SHOWN = 8


async def attendance_command(update: Update, context: BotContext) -> None:
    """/attendance for one of my groups."""
    await choose_group(update, context, "attendance")


@group_view("attendance")
async def attendance_view(update: Update, context: BotContext, group_id: int) -> str | None:
    """The latest past sessions of the group to choose from."""
    uid = caller_id(update)
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        past = (
            (
                await session.execute(
                    select(SessionOccurrence)
                    .where(
                        SessionOccurrence.group_id == group.id,
                        SessionOccurrence.status == OccurrenceStatus.SCHEDULED,
                        SessionOccurrence.starts_at <= context.clock.now(),
                    )
                    .order_by(SessionOccurrence.starts_at.desc())
                    .limit(SHOWN)
                )
            )
            .scalars()
            .all()
        )
    if not past:
        await send(update, context, t.ATTENDANCE_NONE.format(name=escape(group.name)))
        return None
    items = [(format_local(o.starts_at, group.timezone), o.id) for o in past]
    await send(
        update,
        context,
        t.ATTENDANCE_CHOOSE.format(name=escape(group.name)),
        keyboards.past_sessions(items),
    )
    return None


async def _past_occurrence(
    update: Update, context: BotContext, session: AsyncSession, occ_id: int | None
) -> tuple[SessionOccurrence, Group] | str:
    """A past occurrence of a group the caller manages now."""
    if occ_id is None:
        return t.STALE
    occ = await session.get(SessionOccurrence, occ_id)
    if occ is None or occ.starts_at > context.clock.now():
        return t.STALE
    uid = caller_id(update)
    group = await require_facilitator(session, uid, occ.group_id, is_admin=is_admin(context, uid))
    if group is None:
        return t.NOT_YOURS
    return occ, group


async def marks(session: AsyncSession, occ: SessionOccurrence) -> list[tuple[str, int, bool]]:
    """(name, user id, present) per active member: saved marks, else RSVP going or late."""
    members = await members_with_users(session, occ.group_id)
    saved = dict(
        (
            await session.execute(
                select(Attendance.user_id, Attendance.present).where(
                    Attendance.occurrence_id == occ.id
                )
            )
        ).all()
    )
    going = set(
        (
            await session.execute(
                select(Rsvp.user_id).where(
                    Rsvp.occurrence_id == occ.id,
                    Rsvp.answer.in_((RsvpAnswer.GOING, RsvpAnswer.LATE)),
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        ((u.display_name or "A member")[:40], u.id, saved.get(u.id, u.id in going))
        for _, u in members
    ]


async def _show(
    update: Update,
    context: BotContext,
    occ: SessionOccurrence,
    group: Group,
    rows: list[tuple[str, int, bool]],
) -> None:
    if not rows:
        await send(update, context, t.ATTENDANCE_NO_MEMBERS)
        return
    text = t.ATTENDANCE_VIEW.format(when=format_local(occ.starts_at, group.timezone))
    query = update.callback_query
    if (
        query is not None
        and query.message is not None
        and query.data
        and query.data.startswith("fa:t:")
    ):
        await query.edit_message_reply_markup(keyboards.attendance_toggles(occ.id, rows))
        return
    await send(update, context, text, keyboards.attendance_toggles(occ.id, rows))


@action("fa", "occ")
async def _open(update: Update, context: BotContext, cb: Callback) -> str | None:
    async with context.db() as session:
        found = await _past_occurrence(update, context, session, cb.int_arg(0))
        if isinstance(found, str):
            return found
        occ, group = found
        rows = await marks(session, occ)
    await _show(update, context, occ, group, rows)
    return None


async def _mark(
    session: AsyncSession, occ_id: int, user_id: int, present: bool, by: int, now: datetime
) -> None:
    row = (
        await session.execute(
            select(Attendance).where(
                Attendance.occurrence_id == occ_id, Attendance.user_id == user_id
            )
        )
    ).scalar_one_or_none()
    if row is None:
        session.add(
            Attendance(
                occurrence_id=occ_id, user_id=user_id, present=present, marked_by=by, marked_at=now
            )
        )
    else:
        row.present, row.marked_by, row.marked_at = present, by, now
    await session.flush()


@action("fa", "t")
async def _toggle(update: Update, context: BotContext, cb: Callback) -> str | None:
    user_id = cb.int_arg(1, big=True)
    async with context.db() as session:
        found = await _past_occurrence(update, context, session, cb.int_arg(0))
        if isinstance(found, str):
            return found
        occ, group = found
        rows = await marks(session, occ)
        current = {uid: present for _, uid, present in rows}
        if user_id not in current:
            return t.NOT_MEMBER
        await _mark(
            session, occ.id, user_id, not current[user_id], caller_id(update), context.clock.now()
        )
        rows = [(n, u, (not p) if u == user_id else p) for n, u, p in rows]
    await _show(update, context, occ, group, rows)
    return None


@action("fa", "save")
async def _save(update: Update, context: BotContext, cb: Callback) -> str | None:
    async with context.db() as session:
        found = await _past_occurrence(update, context, session, cb.int_arg(0))
        if isinstance(found, str):
            return found
        occ, group = found
        rows = await marks(session, occ)
        for _, user_id, present in rows:
            await _mark(session, occ.id, user_id, present, caller_id(update), context.clock.now())
    log.info("attendance of occurrence %s saved by %s", occ.id, caller_id(update))
    await send(
        update,
        context,
        t.ATTENDANCE_SAVED.format(
            present=sum(1 for _, _, p in rows if p),
            total=len(rows),
            when=format_local(occ.starts_at, group.timezone),
        ),
    )
    return None
