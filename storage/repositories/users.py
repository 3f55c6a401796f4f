"""Users: lookup, creation on consent, preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User


async def get_user(session: AsyncSession, user_id: int, *, for_update: bool = False) -> User | None:
    """The user with this Telegram id, or None."""
    stmt = select(User).where(User.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def create_user(
    session: AsyncSession, user_id: int, *, now: datetime, language_code: str | None = None
) -> User:
    """Insert a new user row (only after consent)."""
    user = User(
        id=user_id,
        language_code=language_code,
        prompts_enabled=True,
        share_with_facilitators=True,
        receive_shares=True,
        is_facilitator=False,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user
