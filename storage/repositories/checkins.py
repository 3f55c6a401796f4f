"""Check-ins: one per participant per local day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CheckIn


async def get_checkin(session: AsyncSession, user_id: int, day: date) -> CheckIn | None:
    """The check-in of that local day, or None."""
    stmt = select(CheckIn).where(CheckIn.user_id == user_id, CheckIn.local_date == day)
    return (await session.execute(stmt)).scalar_one_or_none()


async def record_mood(
    session: AsyncSession, user_id: int, day: date, mood: int, now: datetime
) -> CheckIn:
    """Insert the day's check-in, or replace an earlier one of that day (tags and note reset)."""
    values = {
        "user_id": user_id,
        "local_date": day,
        "mood": mood,
        "tags": [],
        "note_enc": None,
        "created_at": now,
        "updated_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(CheckIn).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "local_date"],
        set_={"mood": mood, "tags": [], "note_enc": None, "updated_at": now},
    )
    await session.execute(stmt)
    checkin = await get_checkin(session, user_id, day)
    assert checkin is not None
    await session.refresh(checkin)
    return checkin


async def checkin_points(
    session: AsyncSession, user_id: int, start: date, end: date
) -> list[tuple[date, int]]:
    """(day, mood) of the user's check-ins from `start` to `end`, oldest first."""
    stmt = (
        select(CheckIn.local_date, CheckIn.mood)
        .where(CheckIn.user_id == user_id, CheckIn.local_date >= start, CheckIn.local_date <= end)
        .order_by(CheckIn.local_date)
    )
    return [(row[0], int(row[1])) for row in (await session.execute(stmt)).all()]


async def checkin_dates(session: AsyncSession, user_id: int, since: date) -> set[date]:
    """Days since `since` on which the user checked in."""
    stmt = select(CheckIn.local_date).where(
        CheckIn.user_id == user_id, CheckIn.local_date >= since
    )
    return set((await session.execute(stmt)).scalars().all())


async def all_checkins(session: AsyncSession, user_id: int) -> list[CheckIn]:
    """Every check-in of the user, oldest first."""
    stmt = select(CheckIn).where(CheckIn.user_id == user_id).order_by(CheckIn.local_date)
    return list((await session.execute(stmt)).scalars().all())
