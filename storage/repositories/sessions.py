"""Session rules, occurrences and RSVPs: plain queries (never commit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Membership,
    MemberStatus,
    OccurrenceStatus,
    Role,
    Rsvp,
    RsvpAnswer,
    SessionOccurrence,
    SessionRule,
)


async def get_occurrence(
    session: AsyncSession, occurrence_id: int, *, for_update: bool = False
) -> SessionOccurrence | None:
    """One occurrence by id, or None."""
    stmt = select(SessionOccurrence).where(SessionOccurrence.id == occurrence_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_rule(session: AsyncSession, rule_id: int) -> SessionRule | None:
    """One weekly rule by id, or None."""
    return await session.get(SessionRule, rule_id)


async def rules_of_group(session: AsyncSession, group_id: int) -> list[SessionRule]:
    """Active weekly rules of a group."""
    rows = await session.execute(
        select(SessionRule)
        .where(SessionRule.group_id == group_id, SessionRule.active.is_(True))
        .order_by(SessionRule.id)
    )
    return list(rows.scalars())


async def future_occurrences_of_rule(
    session: AsyncSession, rule_id: int, now: datetime
) -> list[SessionOccurrence]:
    """Scheduled occurrences of a rule that have not started yet."""
    rows = await session.execute(
        select(SessionOccurrence).where(
            SessionOccurrence.rule_id == rule_id,
            SessionOccurrence.starts_at > now,
            SessionOccurrence.status == OccurrenceStatus.SCHEDULED,
        )
    )
    return list(rows.scalars())


async def upcoming(
    session: AsyncSession,
    group_ids: Sequence[int],
    now: datetime,
    limit: int,
    *,
    include_cancelled: bool = False,
) -> list[SessionOccurrence]:
    """Occurrences of these groups that have not started yet, soonest first."""
    if not group_ids:
        return []
    stmt = select(SessionOccurrence).where(
        SessionOccurrence.group_id.in_(list(group_ids)), SessionOccurrence.starts_at > now
    )
    if not include_cancelled:
        stmt = stmt.where(SessionOccurrence.status == OccurrenceStatus.SCHEDULED)
    stmt = stmt.order_by(SessionOccurrence.starts_at, SessionOccurrence.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def active_member_ids(
    session: AsyncSession, group_id: int, roles: Sequence[Role] | None = None
) -> list[int]:
    """User ids of the active members of a group (optionally only some roles)."""
    stmt = select(Membership.user_id).where(
        Membership.group_id == group_id, Membership.status == MemberStatus.ACTIVE
    )
    if roles is not None:
        stmt = stmt.where(Membership.role.in_(list(roles)))
    return list((await session.execute(stmt.order_by(Membership.user_id))).scalars())


async def active_member_ids_by_group(
    session: AsyncSession, group_ids: Sequence[int], roles: Sequence[Role] | None = None
) -> dict[int, list[int]]:
    """`active_member_ids` of several groups in one query: group id -> sorted user ids."""
    if not group_ids:
        return {}
    stmt = select(Membership.group_id, Membership.user_id).where(
        Membership.group_id.in_(list(group_ids)), Membership.status == MemberStatus.ACTIVE
    )
    if roles is not None:
        stmt = stmt.where(Membership.role.in_(list(roles)))
    found: dict[int, list[int]] = {}
    rows = await session.execute(stmt.order_by(Membership.group_id, Membership.user_id))
    for group_id, user_id in rows.all():
        found.setdefault(int(group_id), []).append(int(user_id))
    return found


async def is_active_member(session: AsyncSession, group_id: int, user_id: int) -> bool:
    """True when the user is an active member (any role) of the group."""
    row = await session.execute(
        select(Membership.id).where(
            Membership.group_id == group_id,
            Membership.user_id == user_id,
            Membership.status == MemberStatus.ACTIVE,
        )
    )
    return row.first() is not None


async def get_rsvp(session: AsyncSession, occurrence_id: int, user_id: int) -> Rsvp | None:
    """A member's RSVP for an occurrence, or None."""
    row = await session.execute(
        select(Rsvp).where(Rsvp.occurrence_id == occurrence_id, Rsvp.user_id == user_id)
    )
    return row.scalar_one_or_none()


async def set_rsvp(
    session: AsyncSession, occurrence_id: int, user_id: int, answer: RsvpAnswer, now: datetime
) -> Rsvp:
    """Store (or change) a member's RSVP."""
    rsvp = await get_rsvp(session, occurrence_id, user_id)
    if rsvp is None:
        rsvp = Rsvp(occurrence_id=occurrence_id, user_id=user_id, answer=answer, updated_at=now)
        session.add(rsvp)
    else:
        rsvp.answer = answer
        rsvp.updated_at = now
    await session.flush()
    return rsvp


async def rsvps_of(session: AsyncSession, occurrence_id: int) -> dict[int, RsvpAnswer]:
    """Every RSVP of an occurrence by user id."""
    rows = await session.execute(
        select(Rsvp.user_id, Rsvp.answer).where(Rsvp.occurrence_id == occurrence_id)
    )
    return {user_id: answer for user_id, answer in rows.all()}
