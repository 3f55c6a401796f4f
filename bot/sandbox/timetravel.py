"""Moving the sandbox clock forward: where to jump so that automation shows up.

The bot reads time only from the injected `OffsetClock`, so jumping is just a bigger offset;
these helpers find the next instant worth jumping to from what the database holds.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import CHECKIN_PROMPT, SESSION_REMINDER
from bot.prompts import next_prompt_at
from bot.timeutil import weekly_occurrences
from storage.models import (
    DEFAULT_REMINDER_OFFSETS,
    Delivery,
    DeliveryStatus,
    Group,
    OccurrenceStatus,
    SessionOccurrence,
    SessionRule,
    User,
)

# Land a little after the instant so that "due at or before now" is true for every planner.
LANDING = timedelta(seconds=5)
MAX_JUMP = timedelta(days=60)


def _earliest(candidates: list[datetime | None], now: datetime) -> datetime | None:
    future = [c for c in candidates if c is not None and now < c <= now + MAX_JUMP]
    return min(future) if future else None


async def _pending_delivery(session: AsyncSession, kind: str, now: datetime) -> datetime | None:
    """The earliest pending delivery of a kind that is not due yet."""
    stmt = (
        select(Delivery.due_at)
        .where(Delivery.kind == kind, Delivery.status == DeliveryStatus.PENDING)
        .where(Delivery.due_at > now)
        .order_by(Delivery.due_at)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def next_checkin_prompt(
    session: AsyncSession, now: datetime, user_ids: Collection[int] | None = None
) -> datetime | None:
    """When the next daily check-in prompt is due (for `user_ids` only, when given)."""
    stmt = select(User).where(User.prompts_enabled.is_(True))
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(list(user_ids)))
    candidates = [next_prompt_at(user, now) for user in (await session.execute(stmt)).scalars()]
    if user_ids is None:
        candidates.append(await _pending_delivery(session, CHECKIN_PROMPT, now))
    return _earliest(candidates, now)


async def _session_starts(session: AsyncSession, now: datetime) -> list[tuple[datetime, Group]]:
    """Upcoming session starts: stored occurrences and not yet materialised weekly slots."""
    horizon = now + MAX_JUMP
    starts: list[tuple[datetime, Group]] = []
    occurrences = await session.execute(
        select(SessionOccurrence, Group)
        .join(Group, Group.id == SessionOccurrence.group_id)
        .where(SessionOccurrence.status == OccurrenceStatus.SCHEDULED)
        .where(SessionOccurrence.starts_at > now, SessionOccurrence.starts_at <= horizon)
    )
    stored = set()
    for occurrence, group in occurrences:
        starts.append((occurrence.starts_at, group))
        stored.add((group.id, occurrence.starts_at))
    rules = await session.execute(
        select(SessionRule, Group)
        .join(Group, Group.id == SessionRule.group_id)
        .where(SessionRule.active.is_(True), Group.archived_at.is_(None))
    )
    for rule, group in rules:
        window_end = now + timedelta(days=15)
        for start in weekly_occurrences(
            set(rule.weekdays), rule.start_time, group.timezone, now, window_end
        ):
            if (group.id, start) not in stored:
                starts.append((start, group))
    return starts


async def next_session_reminder(session: AsyncSession, now: datetime) -> datetime | None:
    """When the next session reminder is due (from occurrences, weekly rules and the outbox)."""
    candidates: list[datetime | None] = [await _pending_delivery(session, SESSION_REMINDER, now)]
    stored = await session.execute(
        select(SessionOccurrence.next_reminder_at).where(
            SessionOccurrence.status == OccurrenceStatus.SCHEDULED,
            SessionOccurrence.next_reminder_at > now,
        )
    )
    candidates.extend(stored.scalars())
    for start, group in await _session_starts(session, now):
        offsets = group.reminder_offsets or DEFAULT_REMINDER_OFFSETS
        candidates.extend(start - timedelta(minutes=minutes) for minutes in offsets)
    return _earliest(candidates, now)


async def next_session_start(session: AsyncSession, now: datetime) -> datetime | None:
    """When the next session begins."""
    return _earliest([start for start, _ in await _session_starts(session, now)], now)
