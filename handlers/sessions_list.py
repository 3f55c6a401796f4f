"""`/sessions`: upcoming sessions of my groups in my time zone, with my RSVP and buttons."""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from bot.delivery.outbox import rsvp_buttons
from bot.timeutil import describe_zone, zone
from handlers import participant_keyboards as kb
from handlers import participant_texts as t
from handlers.participant_common import onboarded_user, reply
from storage.models import Group, OccurrenceStatus, Rsvp, SessionOccurrence
from storage.repositories.joining import active_group_ids

MAX_SHOWN = 6


async def upcoming_sessions(
    session: AsyncSession, user_id: int, now: datetime, limit: int = 50
) -> list[tuple[SessionOccurrence, Group, str | None]]:
    """Scheduled occurrences from now on in the person's active groups, with their RSVP."""
    group_ids = await active_group_ids(session, user_id)
    if not group_ids:
        return []
    stmt = (
        select(SessionOccurrence, Group, Rsvp.answer)
        .join(Group, Group.id == SessionOccurrence.group_id)
        .outerjoin(
            Rsvp, (Rsvp.occurrence_id == SessionOccurrence.id) & (Rsvp.user_id == user_id)
        )
        .where(
            SessionOccurrence.group_id.in_(group_ids),
            SessionOccurrence.status == OccurrenceStatus.SCHEDULED,
            SessionOccurrence.starts_at >= now,
        )
        .order_by(SessionOccurrence.starts_at, SessionOccurrence.id)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return [(occ, group, str(answer) if answer else None) for occ, group, answer in rows]


def session_text(occ: SessionOccurrence, group: Group, answer: str | None, zone_name: str) -> str:
    """One session in the person's zone with their answer."""
    local = occ.starts_at.astimezone(zone(zone_name))
    when = f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
    title = f" — {escape(occ.title)}" if occ.title else ""
    rsvp = t.RSVP_LABELS.get(answer or "", t.RSVP_NONE)
    return t.SESSION_LINE.format(
        group=escape(group.name), title=title, when=when,
        duration=occ.duration_minutes, rsvp=rsvp,
    )


async def sessions_command(update: Update, context: BotContext) -> None:
    """List upcoming sessions, one message each so the RSVP buttons can edit it."""
    now = context.clock.now()
    async with context.db() as session:
        user = await onboarded_user(update, context, session)
        if user is None:
            return
        zone_name = user.timezone or "UTC"
        has_groups = bool(await active_group_ids(session, user.id))
        rows = await upcoming_sessions(session, user.id, now)
    if not has_groups:
        await reply(update, t.SESSIONS_NONE_GROUPS)
        return
    if not rows:
        await reply(update, t.SESSIONS_NONE)
        return
    await reply(update, t.SESSIONS_HEADER.format(zone=escape(describe_zone(zone_name, now))))
    for occ, group, answer in rows[:MAX_SHOWN]:
        await reply(
            update,
            session_text(occ, group, answer, zone_name),
            kb.markup(rsvp_buttons(occ.id, answer)),
        )
    if len(rows) > MAX_SHOWN:
        await reply(update, t.SESSIONS_MORE.format(count=len(rows) - MAX_SHOWN))
