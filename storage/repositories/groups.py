"""Groups and their memberships, as facilitators see them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Group, Membership, MemberStatus, Role, User


async def create_group(
    session: AsyncSession,
    *,
    name: str,
    timezone: str,
    approval_required: bool,
    reminder_offsets: list[int],
    created_by: int,
    now: datetime,
) -> Group:
    """Insert a group with its creator as facilitator (flushed, not committed)."""
    group = Group(
        name=name,
        timezone=timezone,
        approval_required=approval_required,
        reminder_offsets=list(reminder_offsets),
        digest_offset_minutes=120,
        who5_enabled=False,
        created_by=created_by,
        created_at=now,
    )
    session.add(group)
    await session.flush()
    await set_membership(session, group.id, created_by, Role.FACILITATOR, MemberStatus.ACTIVE, now)
    return group


async def get_membership(session: AsyncSession, group_id: int, user_id: int) -> Membership | None:
    """One person's membership row in a group, whatever its status."""
    row = await session.execute(
        select(Membership).where(Membership.group_id == group_id, Membership.user_id == user_id)
    )
    return row.scalar_one_or_none()


async def set_membership(
    session: AsyncSession,
    group_id: int,
    user_id: int,
    role: Role,
    status: MemberStatus,
    now: datetime,
) -> Membership:
    """Create or update a person's membership with this role and status."""
    membership = await get_membership(session, group_id, user_id)
    if membership is None:
        membership = Membership(
            group_id=group_id,
            user_id=user_id,
            role=role,
            status=status,
            joined_at=now,
            updated_at=now,
        )
        session.add(membership)
    else:
        membership.role = role
        membership.status = status
        membership.updated_at = now
    await session.flush()
    return membership


async def members_with_users(
    session: AsyncSession,
    group_id: int,
    *,
    statuses: tuple[MemberStatus, ...] = (MemberStatus.ACTIVE,),
    roles: tuple[Role, ...] = (Role.PARTICIPANT,),
) -> list[tuple[Membership, User]]:
    """Memberships of a group with their users, oldest first."""
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.group_id == group_id,
            Membership.status.in_(statuses),
            Membership.role.in_(roles),
        )
        .order_by(Membership.joined_at, Membership.id)
    )
    return [(m, u) for m, u in rows.all()]


async def active_participant_ids(session: AsyncSession, group_ids: list[int]) -> list[int]:
    """Distinct ids of active participants of these groups."""
    rows = await session.execute(
        select(Membership.user_id)
        .where(
            Membership.group_id.in_(group_ids),
            Membership.status == MemberStatus.ACTIVE,
            Membership.role == Role.PARTICIPANT,
        )
        .distinct()
    )
    return sorted(int(r) for r in rows.scalars().all())


async def member_counts(session: AsyncSession, group_id: int) -> dict[MemberStatus, int]:
    """How many participants of the group are in each status."""
    rows = await session.execute(
        select(Membership.status, func.count())
        .where(Membership.group_id == group_id, Membership.role == Role.PARTICIPANT)
        .group_by(Membership.status)
    )
    return {MemberStatus(status): int(n) for status, n in rows.all()}


async def managing_user_ids(session: AsyncSession, group_id: int) -> list[int]:
    """Active facilitators and co-facilitators of a group."""
    rows = await session.execute(
        select(Membership.user_id).where(
            Membership.group_id == group_id,
            Membership.status == MemberStatus.ACTIVE,
            Membership.role.in_((Role.FACILITATOR, Role.CO_FACILITATOR)),
        )
    )
    return [int(r) for r in rows.scalars().all()]
