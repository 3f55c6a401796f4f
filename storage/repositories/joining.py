"""Joining and leaving groups with an invite; a participant's memberships."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Group, InviteKind, Membership, MemberStatus, Role, User
from storage.repositories.invites import InviteProblem, find_invite, invite_problem, use_invite

FACILITATING = (Role.FACILITATOR, Role.CO_FACILITATOR)


class JoinOutcome(enum.StrEnum):
    """What happened when someone used a join code."""

    JOINED = "joined"
    PENDING = "pending"  # the group needs a facilitator's approval
    ALREADY_MEMBER = "already_member"
    ALREADY_PENDING = "already_pending"
    FACILITATES = "facilitates"  # the person facilitates this group already
    NOT_ALLOWED = "not_allowed"  # declined or removed earlier: talk to the facilitator
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used_up"
    CLOSED = "closed"  # the group is archived


@dataclass
class JoinResult:
    """The outcome and, when known, the group and membership."""

    outcome: JoinOutcome
    group: Group | None = None
    membership: Membership | None = None


_PROBLEMS = {
    InviteProblem.UNKNOWN: JoinOutcome.UNKNOWN,
    InviteProblem.REVOKED: JoinOutcome.REVOKED,
    InviteProblem.EXPIRED: JoinOutcome.EXPIRED,
    InviteProblem.USED_UP: JoinOutcome.USED_UP,
}


async def get_membership(
    session: AsyncSession, group_id: int, user_id: int, *, for_update: bool = False
) -> Membership | None:
    """The person's membership in the group, or None."""
    stmt = select(Membership).where(Membership.group_id == group_id, Membership.user_id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def join_with_token(
    session: AsyncSession, user: User, token: str, now: datetime
) -> JoinResult:
    """Use a JOIN invite: become an active or pending participant, or say why not."""
    invite = await find_invite(session, token, for_update=True)
    if invite is not None and (invite.kind != InviteKind.JOIN or invite.group_id is None):
        invite = None
    problem = invite_problem(invite, now)
    if problem is not None:
        return JoinResult(_PROBLEMS[problem])
    assert invite is not None and invite.group_id is not None
    group = await session.get(Group, invite.group_id)
    if group is None:
        return JoinResult(JoinOutcome.UNKNOWN)
    if group.archived_at is not None:
        return JoinResult(JoinOutcome.CLOSED, group)
    member = await get_membership(session, group.id, user.id, for_update=True)
    if member is not None:
        if member.role in FACILITATING and member.status == MemberStatus.ACTIVE:
            return JoinResult(JoinOutcome.FACILITATES, group, member)
        if member.status == MemberStatus.ACTIVE:
            return JoinResult(JoinOutcome.ALREADY_MEMBER, group, member)
        if member.status == MemberStatus.PENDING:
            return JoinResult(JoinOutcome.ALREADY_PENDING, group, member)
        if member.status in (MemberStatus.DECLINED, MemberStatus.REMOVED):
            return JoinResult(JoinOutcome.NOT_ALLOWED, group, member)
    status = MemberStatus.PENDING if group.approval_required else MemberStatus.ACTIVE
    if member is None:
        member = Membership(
            group_id=group.id, user_id=user.id, role=Role.PARTICIPANT, status=status,
            joined_at=now, updated_at=now,
        )
        session.add(member)
    else:  # left earlier and comes back
        member.role = Role.PARTICIPANT
        member.status = status
        member.joined_at = now
        member.updated_at = now
    await use_invite(session, invite)
    await session.flush()
    outcome = JoinOutcome.PENDING if status == MemberStatus.PENDING else JoinOutcome.JOINED
    return JoinResult(outcome, group, member)


async def facilitator_ids(session: AsyncSession, group_id: int) -> list[int]:
    """Active facilitators and co-facilitators of the group."""
    stmt = select(Membership.user_id).where(
        Membership.group_id == group_id,
        Membership.role.in_(FACILITATING),
        Membership.status == MemberStatus.ACTIVE,
    ).order_by(Membership.user_id)
    return list((await session.execute(stmt)).scalars().all())


async def memberships_of(
    session: AsyncSession, user_id: int, statuses: tuple[MemberStatus, ...] | None = None
) -> list[tuple[Membership, Group]]:
    """The person's memberships with their groups (optionally only some statuses)."""
    stmt = (
        select(Membership, Group)
        .join(Group, Group.id == Membership.group_id)
        .where(Membership.user_id == user_id)
        .order_by(Group.name, Group.id)
    )
    if statuses is not None:
        stmt = stmt.where(Membership.status.in_(statuses))
    return [(m, g) for m, g in (await session.execute(stmt)).all()]


async def active_group_ids(session: AsyncSession, user_id: int) -> list[int]:
    """Groups (not archived) in which the person is an active member, any role."""
    stmt = (
        select(Membership.group_id)
        .join(Group, Group.id == Membership.group_id)
        .where(
            Membership.user_id == user_id,
            Membership.status == MemberStatus.ACTIVE,
            Group.archived_at.is_(None),
        )
    )
    return list((await session.execute(stmt)).scalars().all())


async def leave_group(
    session: AsyncSession, user_id: int, group_id: int, now: datetime
) -> Membership | None:
    """Mark an active or pending participant membership as left; None when there is none."""
    member = await get_membership(session, group_id, user_id, for_update=True)
    if member is None or member.role != Role.PARTICIPANT:
        return None
    if member.status not in (MemberStatus.ACTIVE, MemberStatus.PENDING):
        return None
    member.status = MemberStatus.LEFT
    member.updated_at = now
    await session.flush()
    return member
