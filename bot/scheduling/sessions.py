"""Session domain: weekly rules, one-off sessions, cancel / move, and reminder times.

The database is the source of truth: weekly rules are expanded into `SessionOccurrence` rows
`HORIZON` ahead (`expand_rules`, also a planner), and every occurrence carries the instant of
its next unplanned reminder in `next_reminder_at` (indexed), which the reminders planner reads.
Times are computed per occurrence from the group's IANA zone (`bot.timeutil`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import SESSION_CHANGED, SESSION_REMINDER, enqueue
from bot.timeutil import weekly_occurrences
from storage.models import (
    DEFAULT_REMINDER_OFFSETS,
    Group,
    OccurrenceStatus,
    Role,
    SessionOccurrence,
    SessionRule,
)
from storage.repositories.deliveries import cancel_pending
from storage.repositories.sessions import (
    active_member_ids,
    future_occurrences_of_rule,
    get_occurrence,
    upcoming,
)

if TYPE_CHECKING:
    from bot.services import Services

HORIZON = timedelta(days=15)
"""How far ahead weekly rules are expanded (longer than the largest reminder offset)."""
REEXPAND_SLACK = timedelta(days=1)
"""A rule is expanded again once its planned horizon is closer than HORIZON - this."""
MAX_OFFSET_MINUTES = 14 * 24 * 60
REMINDED_ROLES = (Role.PARTICIPANT,)
"""Who receives session reminders (facilitators get the pre-session digest instead)."""


class SchedulingError(ValueError):
    """A scheduling request that cannot be done; `str(err)` is a kind message."""


def reminder_offsets(group: Group) -> list[int]:
    """The group's reminder offsets in minutes, largest first (default 24 h and 1 h)."""
    raw = group.reminder_offsets or DEFAULT_REMINDER_OFFSETS
    return sorted({int(m) for m in raw if 0 < int(m) <= MAX_OFFSET_MINUTES}, reverse=True)


def reminder_instants(starts_at: datetime, offsets: Iterable[int]) -> list[datetime]:
    """UTC instants of the reminders of a session, earliest first."""
    return sorted(starts_at - timedelta(minutes=m) for m in offsets)


def next_reminder_after(
    starts_at: datetime, offsets: Iterable[int], after: datetime
) -> datetime | None:
    """The first reminder instant at or after `after` that is still before the start."""
    for instant in reminder_instants(starts_at, offsets):
        if instant >= after and instant < starts_at:
            return instant
    return None


def _check_weekly(weekdays: Iterable[int], duration_minutes: int) -> list[int]:
    days = sorted(set(weekdays))
    if not days or not set(days) <= set(range(7)):
        raise SchedulingError("Please choose at least one day of the week.")
    if not 5 <= duration_minutes <= 12 * 60:
        raise SchedulingError("A session lasts between 5 minutes and 12 hours.")
    return days


def _new_occurrence(
    group: Group,
    starts_at: datetime,
    duration_minutes: int,
    now: datetime,
    *,
    rule_id: int | None = None,
    title: str | None = None,
) -> SessionOccurrence:
    return SessionOccurrence(
        group_id=group.id,
        rule_id=rule_id,
        rule_slot=starts_at if rule_id is not None else None,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        status=OccurrenceStatus.SCHEDULED,
        title=title,
        next_reminder_at=next_reminder_after(starts_at, reminder_offsets(group), now),
        created_at=now,
        updated_at=now,
    )


async def create_weekly_rule(
    session: AsyncSession,
    group: Group,
    weekdays: Iterable[int],
    start_time: time,
    duration_minutes: int,
    now: datetime,
) -> SessionRule:
    """Add a weekly schedule (0 = Monday, local `start_time` in the group's zone) and expand
    its occurrences for the next 15 days, reminders included."""
    days = _check_weekly(weekdays, duration_minutes)
    rule = SessionRule(
        group_id=group.id,
        weekdays=days,
        start_time=start_time.replace(second=0, microsecond=0, tzinfo=None),
        duration_minutes=duration_minutes,
        active=True,
        planned_until=None,
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    await session.flush()
    await _expand_rule(session, rule, group, now)
    return rule


async def add_one_off(
    session: AsyncSession,
    group: Group,
    starts_at_utc: datetime,
    duration_minutes: int,
    now: datetime,
    title: str | None = None,
) -> SessionOccurrence:
    """Add a single session at an instant (aware UTC); reminders are planned from its offsets."""
    if starts_at_utc <= now:
        raise SchedulingError("That time has already passed. Please pick a time in the future.")
    if not 5 <= duration_minutes <= 12 * 60:
        raise SchedulingError("A session lasts between 5 minutes and 12 hours.")
    occurrence = _new_occurrence(
        group, starts_at_utc, duration_minutes, now, title=(title or None) and title[:80]
    )
    session.add(occurrence)
    await session.flush()
    return occurrence


async def _notify_members(
    session: AsyncSession,
    occurrence: SessionOccurrence,
    now: datetime,
    by_user_id: int | None,
    payload: dict[str, object],
) -> int:
    """Tell every active member (except who made the change) about a cancellation or move."""
    count = 0
    stamp = int(now.timestamp())
    for user_id in await active_member_ids(session, occurrence.group_id):
        if user_id == by_user_id:
            continue
        count += await enqueue(
            session,
            kind=SESSION_CHANGED,
            key=f"sc:{occurrence.id}:{payload['action']}:{stamp}:{user_id}",
            recipient_id=user_id,
            subject_id=occurrence.id,
            due_at=now,
            now=now,
            payload=payload,
        )
    return count


async def cancel_occurrence(
    session: AsyncSession, occurrence_id: int, now: datetime, by_user_id: int | None
) -> SessionOccurrence:
    """Cancel one session: pending reminders are cancelled and active members are told."""
    occurrence = await get_occurrence(session, occurrence_id, for_update=True)
    if occurrence is None:
        raise SchedulingError("I couldn't find that session any more.")
    if occurrence.status == OccurrenceStatus.CANCELLED:
        raise SchedulingError("That session is already cancelled.")
    if occurrence.starts_at <= now:
        raise SchedulingError("That session has already started, so it can't be cancelled.")
    occurrence.status = OccurrenceStatus.CANCELLED
    occurrence.next_reminder_at = None
    occurrence.updated_at = now
    await cancel_pending(
        session, kind=SESSION_REMINDER, subject_id=occurrence.id, now=now,
        reason="session cancelled",
    )
    await _notify_members(
        session, occurrence, now, by_user_id,
        {"action": "cancelled", "starts_at": occurrence.starts_at.isoformat()},
    )
    await session.flush()
    return occurrence


async def move_occurrence(
    session: AsyncSession,
    occurrence_id: int,
    new_start_utc: datetime,
    now: datetime,
    by_user_id: int | None,
) -> SessionOccurrence:
    """Move one session: its pending reminders are replanned and active members are told."""
    occurrence = await get_occurrence(session, occurrence_id, for_update=True)
    if occurrence is None:
        raise SchedulingError("I couldn't find that session any more.")
    if occurrence.status == OccurrenceStatus.CANCELLED:
        raise SchedulingError("That session was cancelled, so it can't be moved.")
    if occurrence.starts_at <= now:
        raise SchedulingError("That session has already started, so it can't be moved.")
    if new_start_utc <= now:
        raise SchedulingError("That time has already passed. Please pick a time in the future.")
    group = await session.get(Group, occurrence.group_id)
    assert group is not None
    old_start = occurrence.starts_at
    occurrence.starts_at = new_start_utc
    occurrence.next_reminder_at = next_reminder_after(new_start_utc, reminder_offsets(group), now)
    occurrence.updated_at = now
    await cancel_pending(
        session, kind=SESSION_REMINDER, subject_id=occurrence.id, now=now, reason="session moved"
    )
    await _notify_members(
        session, occurrence, now, by_user_id,
        {"action": "moved", "old_start": old_start.isoformat(),
         "starts_at": new_start_utc.isoformat()},
    )
    await session.flush()
    return occurrence


async def update_weekly_rule(
    session: AsyncSession,
    rule_id: int,
    now: datetime,
    *,
    weekdays: Iterable[int] | None = None,
    start_time: time | None = None,
    duration_minutes: int | None = None,
    active: bool | None = None,
    by_user_id: int | None = None,
) -> SessionRule:
    """Change a weekly rule (or end it with active=False) and replan its future sessions.

    Future occurrences that no longer fit the rule are removed (their pending reminders are
    cancelled); those that still fit keep their RSVPs; new ones are expanded. Active members
    (except `by_user_id`) are told that the schedule changed.
    """
    rule = await session.get(SessionRule, rule_id, with_for_update=True)
    if rule is None:
        raise SchedulingError("I couldn't find that schedule any more.")
    group = await session.get(Group, rule.group_id)
    assert group is not None
    days = _check_weekly(
        rule.weekdays if weekdays is None else weekdays,
        rule.duration_minutes if duration_minutes is None else duration_minutes,
    )
    rule.weekdays = days
    if start_time is not None:
        rule.start_time = start_time.replace(second=0, microsecond=0, tzinfo=None)
    if duration_minutes is not None:
        rule.duration_minutes = duration_minutes
    if active is not None:
        rule.active = active
    rule.updated_at = now
    keep: set[datetime] = set()
    if rule.active:
        keep = set(
            weekly_occurrences(set(days), rule.start_time, group.timezone, now, now + HORIZON)
        )
    removed: list[SessionOccurrence] = []
    for occurrence in await future_occurrences_of_rule(session, rule.id, now):
        if occurrence.rule_slot in keep:  # still fits (a moved one stays where it was moved)
            if occurrence.starts_at == occurrence.rule_slot:
                occurrence.duration_minutes = rule.duration_minutes
                occurrence.updated_at = now
            continue
        removed.append(occurrence)
    for occurrence in removed:
        await cancel_pending(
            session, kind=SESSION_REMINDER, subject_id=occurrence.id, now=now,
            reason="schedule changed",
        )
        await session.delete(occurrence)
    rule.planned_until = None
    await session.flush()
    if rule.active:
        await _expand_rule(session, rule, group, now)
    stamp = int(now.timestamp())
    for user_id in await active_member_ids(session, group.id):
        if user_id == by_user_id:
            continue
        await enqueue(
            session,
            kind=SESSION_CHANGED,
            key=f"sc:rule{rule.id}:{stamp}:{user_id}",
            recipient_id=user_id,
            subject_id=None,
            due_at=now,
            now=now,
            payload={"action": "rule", "rule_id": rule.id, "group_id": group.id},
        )
    return rule


async def _expand_rule(
    session: AsyncSession, rule: SessionRule, group: Group, now: datetime
) -> int:
    """Create the rule's occurrences from where it was planned up to now + HORIZON."""
    start = max(rule.planned_until or now, now)
    end = now + HORIZON
    if start >= end:
        return 0
    slots = weekly_occurrences(set(rule.weekdays), rule.start_time, group.timezone, start, end)
    existing = set(
        (
            await session.execute(
                select(SessionOccurrence.rule_slot).where(
                    SessionOccurrence.rule_id == rule.id,
                    SessionOccurrence.rule_slot >= start,
                )
            )
        ).scalars()
    )
    created = 0
    for slot in slots:
        if slot in existing:
            continue
        session.add(
            _new_occurrence(group, slot, rule.duration_minutes, now, rule_id=rule.id)
        )
        created += 1
    rule.planned_until = end
    await session.flush()
    return created


async def _expand_due_rules(
    session: AsyncSession, now: datetime, limit: int
) -> tuple[int, int]:
    """Expand up to `limit` active rules whose horizon is running out: (rules, created)."""
    rows = await session.execute(
        select(SessionRule, Group)
        .join(Group, Group.id == SessionRule.group_id)
        .where(
            SessionRule.active.is_(True),
            Group.archived_at.is_(None),
            (SessionRule.planned_until.is_(None))
            | (SessionRule.planned_until < now + HORIZON - REEXPAND_SLACK),
        )
        .order_by(SessionRule.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=SessionRule)
    )
    handled = created = 0
    for rule, group in rows.all():
        handled += 1
        created += await _expand_rule(session, rule, group, now)
    return handled, created


async def expand_rules(session: AsyncSession, now: datetime, *, limit: int = 500) -> int:
    """Planner step: expand every active rule whose horizon is running out; returns how many
    occurrences were created."""
    return (await _expand_due_rules(session, now, limit))[1]


async def plan_rules(session: AsyncSession, services: Services, now: datetime) -> int:
    """The `@planner` wrapper of `expand_rules` (batched: the engine calls it again while it
    handled rules, so a start-up expands every rule, not 500 per tick)."""
    return (await _expand_due_rules(session, now, 500))[0]


plan_rules.batched = True  # type: ignore[attr-defined]


async def upcoming_occurrences(
    session: AsyncSession,
    group_ids: Iterable[int],
    now: datetime,
    limit: int = 20,
    *,
    include_cancelled: bool = False,
) -> list[SessionOccurrence]:
    """Sessions of these groups that have not started yet, soonest first."""
    return await upcoming(
        session, list(group_ids), now, limit, include_cancelled=include_cancelled
    )


async def reminded_member_ids(session: AsyncSession, group_id: int) -> list[int]:
    """Who receives reminders of a group's sessions."""
    return await active_member_ids(session, group_id, REMINDED_ROLES)
