"""Rows for delivery and scheduling tests, written straight to the database."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.prompts import reschedule_prompt
from storage.models import Group, Membership, MemberStatus, Role, User


async def add_user(
    session: AsyncSession,
    user_id: int,
    now: datetime,
    *,
    zone: str = "Europe/Berlin",
    checkin: time | None = time(20, 0),
    name: str = "Ann",
) -> User:
    """An onboarded participant whose next prompt is planned."""
    user = User(
        id=user_id, display_name=name, consent_at=now, onboarded_at=now, timezone=zone,
        checkin_time=checkin, prompts_enabled=checkin is not None, share_with_facilitators=True,
        receive_shares=True, is_facilitator=False, created_at=now, updated_at=now,
    )
    reschedule_prompt(user, now)
    session.add(user)
    await session.flush()
    return user


async def add_group(
    session: AsyncSession,
    now: datetime,
    members: list[int],
    *,
    zone: str = "Europe/Berlin",
    offsets: list[int] | None = None,
    facilitator: int | None = None,
) -> Group:
    """A group with active participant members (users must exist)."""
    group = Group(
        name="Tuesday <Circle>", timezone=zone, approval_required=False,
        reminder_offsets=offsets if offsets is not None else [1440, 60],
        digest_offset_minutes=120, who5_enabled=False, created_by=facilitator or 1,
        created_at=now,
    )
    session.add(group)
    await session.flush()
    roles = [(uid, Role.PARTICIPANT) for uid in members]
    if facilitator is not None:
        roles.append((facilitator, Role.FACILITATOR))
    for uid, role in roles:
        session.add(
            Membership(
                group_id=group.id, user_id=uid, role=role, status=MemberStatus.ACTIVE,
                joined_at=now, updated_at=now,
            )
        )
    await session.flush()
    return group
