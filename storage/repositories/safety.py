"""Alerts, their audit trail, WHO-5 answers, and who receives safety messages."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    Group,
    Membership,
    MemberStatus,
    Role,
    Who5Response,
)

TEAM_ROLES = (Role.FACILITATOR, Role.CO_FACILITATOR)


async def participant_group_ids(
    session: AsyncSession, user_id: int, *, who5_only: bool = False
) -> list[int]:
    """Groups (not archived) in which the person is an active participant (with `who5_only`,
    only those that use the weekly WHO-5)."""
    query = (
        select(Membership.group_id)
        .join(Group, Group.id == Membership.group_id)
        .where(
            Membership.user_id == user_id,
            Membership.role == Role.PARTICIPANT,
            Membership.status == MemberStatus.ACTIVE,
            Group.archived_at.is_(None),
        )
        .order_by(Membership.group_id)
    )
    if who5_only:
        query = query.where(Group.who5_enabled.is_(True))
    rows = await session.execute(query)
    return [int(g) for g in rows.scalars()]


async def team_ids(session: AsyncSession, group_id: int) -> list[int]:
    """Active facilitators and co-facilitators of a group."""
    rows = await session.execute(
        select(Membership.user_id)
        .where(
            Membership.group_id == group_id,
            Membership.role.in_(TEAM_ROLES),
            Membership.status == MemberStatus.ACTIVE,
        )
        .order_by(Membership.role, Membership.user_id)
    )
    return [int(u) for u in rows.scalars()]


async def is_team_member(session: AsyncSession, user_id: int, group_id: int | None) -> bool:
    """True when the person actively (co-)facilitates the group right now."""
    if group_id is None:
        return False
    row = await session.execute(
        select(Membership.id).where(
            Membership.group_id == group_id,
            Membership.user_id == user_id,
            Membership.role.in_(TEAM_ROLES),
            Membership.status == MemberStatus.ACTIVE,
        )
    )
    return row.first() is not None


async def add_event(
    session: AsyncSession, alert_id: int, action: str, at: datetime, actor_id: int | None = None
) -> AlertEvent:
    """Append one entry to an alert's audit trail."""
    event = AlertEvent(alert_id=alert_id, action=action, actor_id=actor_id, at=at)
    session.add(event)
    await session.flush()
    return event


async def alert_events(session: AsyncSession, alert_id: int) -> list[AlertEvent]:
    """An alert's audit trail, oldest first."""
    rows = await session.execute(
        select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
    )
    return list(rows.scalars())


async def get_alert(
    session: AsyncSession, alert_id: int, *, for_update: bool = False
) -> Alert | None:
    """One alert by id."""
    stmt = select(Alert).where(Alert.id == alert_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def alert_by_episode(session: AsyncSession, episode_key: str) -> Alert | None:
    """The alert raised for an episode (a low-mood run, a missed-check-in stretch)."""
    stmt = select(Alert).where(Alert.episode_key == episode_key)
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_alert_for(
    session: AsyncSession, user_id: int, group_id: int | None, kind: str
) -> Alert | None:
    """An open alert of this kind about this person in this group, if any."""
    group_clause = Alert.group_id.is_(None) if group_id is None else Alert.group_id == group_id
    stmt = (
        select(Alert)
        .where(
            Alert.user_id == user_id,
            group_clause,
            Alert.kind == kind,
            Alert.status == AlertStatus.OPEN,
        )
        .order_by(Alert.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_alerts_of_user(session: AsyncSession, user_id: int) -> list[Alert]:
    """Every open alert about a person."""
    rows = await session.execute(
        select(Alert).where(Alert.user_id == user_id, Alert.status == AlertStatus.OPEN)
    )
    return list(rows.scalars())


async def open_alerts_of_group(session: AsyncSession, group_id: int) -> list[Alert]:
    """Every open alert of a group, oldest first."""
    rows = await session.execute(
        select(Alert)
        .where(Alert.group_id == group_id, Alert.status == AlertStatus.OPEN)
        .order_by(Alert.created_at)
    )
    return list(rows.scalars())


async def due_alerts(session: AsyncSession, now: datetime, limit: int = 100) -> list[Alert]:
    """Open alerts whose next escalation is due (locked, skipping ones another replica holds)."""
    stmt = (
        select(Alert)
        .where(Alert.status == AlertStatus.OPEN, Alert.next_escalation_at <= now)
        .order_by(Alert.next_escalation_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


async def who5_history(
    session: AsyncSession, user_id: int, since: date | None = None
) -> list[Who5Response]:
    """A person's WHO-5 answers, oldest first."""
    stmt = select(Who5Response).where(Who5Response.user_id == user_id)
    if since is not None:
        stmt = stmt.where(Who5Response.local_date >= since)
    rows = await session.execute(stmt.order_by(Who5Response.local_date))
    return list(rows.scalars())
