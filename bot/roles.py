"""Who may do what in which group: roles are per group, admins may act on every group.

Every facilitator action (commands and buttons) calls one of these at the moment of the action.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Group, Membership, MemberStatus, Role

MANAGING_ROLES = (Role.FACILITATOR, Role.CO_FACILITATOR)


async def role_in_group(session: AsyncSession, user_id: int, group_id: int) -> Role | None:
    """The caller's active role in the group, or None when not an active member."""
    row = await session.execute(
        select(Membership.role).where(
            Membership.group_id == group_id,
            Membership.user_id == user_id,
            Membership.status == MemberStatus.ACTIVE,
        )
    )
    role = row.scalar_one_or_none()
    return Role(role) if role is not None else None


async def require_facilitator(
    session: AsyncSession,
    user_id: int,
    group_id: int,
    *,
    is_admin: bool = False,
    lead_only: bool = False,
) -> Group | None:
    """The group when the caller may manage it now (facilitator, co-facilitator unless
    `lead_only`, or admin), else None. Archived groups are not managed."""
    group = await session.get(Group, group_id)
    if group is None or group.archived_at is not None:
        return None
    if is_admin:
        return group
    role = await role_in_group(session, user_id, group_id)
    allowed = (Role.FACILITATOR,) if lead_only else MANAGING_ROLES
    return group if role in allowed else None


async def facilitated_groups(
    session: AsyncSession, user_id: int, *, is_admin: bool = False
) -> list[Group]:
    """Groups the caller manages (all live groups for an admin), oldest first."""
    stmt = select(Group).where(Group.archived_at.is_(None)).order_by(Group.id)
    if not is_admin:
        stmt = stmt.join(Membership, Membership.group_id == Group.id).where(
            Membership.user_id == user_id,
            Membership.status == MemberStatus.ACTIVE,
            Membership.role.in_(MANAGING_ROLES),
        )
    return list((await session.execute(stmt)).scalars().all())
