"""Shared reflections, one-tap support, and anonymous questions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Group,
    Membership,
    MemberStatus,
    Question,
    Share,
    ShareStatus,
    Support,
    User,
)


async def member_group_ids(session: AsyncSession, user_id: int) -> list[int]:
    """Groups (not archived) in which the person is active, in any role."""
    rows = await session.execute(
        select(Membership.group_id)
        .join(Group, Group.id == Membership.group_id)
        .where(
            Membership.user_id == user_id,
            Membership.status == MemberStatus.ACTIVE,
            Group.archived_at.is_(None),
        )
        .order_by(Membership.group_id)
    )
    return [int(g) for g in rows.scalars()]


async def groups_by_id(session: AsyncSession, group_ids: list[int]) -> dict[int, Group]:
    """Groups keyed by id."""
    if not group_ids:
        return {}
    rows = await session.execute(select(Group).where(Group.id.in_(group_ids)))
    return {g.id: g for g in rows.scalars()}


async def is_active_member(session: AsyncSession, user_id: int, group_id: int) -> bool:
    """True when the person is an active member of the group (any role)."""
    row = await session.execute(
        select(Membership.id).where(
            Membership.user_id == user_id,
            Membership.group_id == group_id,
            Membership.status == MemberStatus.ACTIVE,
        )
    )
    return row.first() is not None


async def shares_since(session: AsyncSession, user_id: int, since: datetime) -> int:
    """How many reflections the person shared since `since` (rate limit)."""
    stmt = select(func.count(Share.id)).where(Share.user_id == user_id, Share.created_at >= since)
    return int(await session.scalar(stmt) or 0)


async def create_share(
    session: AsyncSession,
    *,
    user_id: int,
    group_id: int,
    text_enc: bytes,
    anonymous: bool,
    held: bool,
    now: datetime,
    checkin_id: int | None = None,
) -> Share:
    """Insert a shared reflection (held ones are seen by facilitators only)."""
    share = Share(
        user_id=user_id,
        group_id=group_id,
        checkin_id=checkin_id,
        text_enc=text_enc,
        anonymous=anonymous,
        status=ShareStatus.HELD if held else ShareStatus.VISIBLE,
        created_at=now,
        support_notified_count=0,
    )
    session.add(share)
    await session.flush()
    return share


async def get_share(
    session: AsyncSession, share_id: int, *, for_update: bool = False
) -> Share | None:
    """One reflection by id."""
    stmt = select(Share).where(Share.id == share_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_support(session: AsyncSession, share_id: int, user_id: int, now: datetime) -> bool:
    """Record one member's support for a reflection; False when they had already sent it."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(Support)
        .values(share_id=share_id, user_id=user_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["share_id", "user_id"])
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def support_count(session: AsyncSession, share_id: int) -> int:
    """How many members sent support to a reflection."""
    stmt = select(func.count(Support.id)).where(Support.share_id == share_id)
    return int(await session.scalar(stmt) or 0)


async def shares_with_new_support(
    session: AsyncSession, limit: int = 200
) -> list[tuple[Share, int]]:
    """Reflections whose support count grew since the author was last told, with the count."""
    counts = (
        select(Support.share_id, func.count(Support.id).label("n"))
        .group_by(Support.share_id)
        .subquery()
    )
    rows = await session.execute(
        select(Share, counts.c.n)
        .join(counts, counts.c.share_id == Share.id)
        .where(counts.c.n > Share.support_notified_count, Share.status == ShareStatus.VISIBLE)
        .order_by(Share.id)
        .limit(limit)
    )
    return [(share, int(n)) for share, n in rows.all()]


async def shares_for_digest(
    session: AsyncSession, user_id: int, since: datetime, until: datetime
) -> list[Share]:
    """Visible reflections of others in the person's groups, shared after they joined."""
    stmt = (
        select(Share)
        .join(Membership, Membership.group_id == Share.group_id)
        .join(Group, Group.id == Share.group_id)
        .where(
            Membership.user_id == user_id,
            Membership.status == MemberStatus.ACTIVE,
            Membership.joined_at <= Share.created_at,
            Group.archived_at.is_(None),
            Share.user_id != user_id,
            Share.status == ShareStatus.VISIBLE,
            Share.created_at > since,
            Share.created_at <= until,
        )
        .order_by(Share.created_at, Share.id)
    )
    return list((await session.execute(stmt)).scalars())


async def digest_recipients(session: AsyncSession, group_id: int) -> list[User]:
    """Active members of a group who receive shared reflections."""
    rows = await session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.group_id == group_id,
            Membership.status == MemberStatus.ACTIVE,
            User.receive_shares.is_(True),
            User.onboarded_at.is_not(None),
        )
    )
    return list(rows.scalars())


async def users_due_share_digest(
    session: AsyncSession, now: datetime, limit: int = 200
) -> list[User]:
    """People whose evening digest of reflections is due (locked against other replicas)."""
    stmt = (
        select(User)
        .where(User.next_share_digest_at <= now)
        .order_by(User.next_share_digest_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


async def questions_since(session: AsyncSession, user_id: int, since: datetime) -> int:
    """How many questions the person asked since `since` (rate limit)."""
    stmt = select(func.count(Question.id)).where(
        Question.asker_id == user_id, Question.created_at >= since
    )
    return int(await session.scalar(stmt) or 0)


async def create_question(
    session: AsyncSession, *, group_id: int, asker_id: int, text_enc: bytes, now: datetime
) -> Question:
    """Insert an anonymous question."""
    question = Question(group_id=group_id, asker_id=asker_id, text_enc=text_enc, created_at=now)
    session.add(question)
    await session.flush()
    return question


async def get_question(
    session: AsyncSession, question_id: int, *, for_update: bool = False
) -> Question | None:
    """One question by id."""
    stmt = select(Question).where(Question.id == question_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()
