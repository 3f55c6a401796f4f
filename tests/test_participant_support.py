"""Helpers for the participant tests: groups, invites and facilitators written to the DB."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import SmallInteger, func, select

from storage.models import (
    Base,
    Group,
    InviteKind,
    Membership,
    MemberStatus,
    OccurrenceStatus,
    Role,
    SessionOccurrence,
)
from storage.repositories.invites import create_invite
from storage.repositories.users import create_user, get_user
from tests.harness import BotHarness

APOLOGY = "something went wrong"


async def make_group(
    h: BotHarness,
    name: str = "Tuesday Circle",
    *,
    approval: bool = False,
    facilitator_id: int | None = 500,
    expires_in: timedelta | None = None,
) -> tuple[int, str]:
    """A group (with an active facilitator) and a JOIN token for it."""
    now = h.clock.now()
    async with h.db() as session:
        group = Group(
            name=name, timezone="Europe/Berlin", approval_required=approval,
            reminder_offsets=[1440, 60], created_by=facilitator_id or 1, created_at=now,
        )
        session.add(group)
        await session.flush()
        if facilitator_id is not None:
            if await get_user(session, facilitator_id) is None:
                fac = await create_user(session, facilitator_id, now=now)
                fac.consent_at = fac.onboarded_at = now
                fac.timezone, fac.checkin_time, fac.is_facilitator = "Europe/Berlin", time(9), True
            session.add(
                Membership(
                    group_id=group.id, user_id=facilitator_id, role=Role.FACILITATOR,
                    status=MemberStatus.ACTIVE, joined_at=now, updated_at=now,
                )
            )
        invite = await create_invite(
            session, InviteKind.JOIN, group.id, facilitator_id or 1, now,
            expires_at=now + expires_in if expires_in else None,
        )
        return group.id, invite.token


async def add_session(h: BotHarness, group_id: int, starts_at: datetime) -> int:
    """A scheduled one-off session."""
    now = h.clock.now()
    async with h.db() as session:
        occ = SessionOccurrence(
            group_id=group_id, starts_at=starts_at, duration_minutes=90,
            status=OccurrenceStatus.SCHEDULED, title=None, created_at=now, updated_at=now,
        )
        session.add(occ)
        await session.flush()
        return occ.id


async def rows_mentioning(h: BotHarness, user_id: int) -> dict[str, int]:
    """For every table: rows with an integer column equal to the user's id or a string column
    containing it (keys such as "flow:<id>")."""
    found: dict[str, int] = {}
    async with h.db() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                try:
                    kind = column.type.python_type
                except NotImplementedError:
                    continue
                if kind is int and isinstance(column.type, SmallInteger):
                    continue  # moods, levels: never an id
                if kind is int:
                    condition = column == user_id
                elif kind is str and not column.type.__class__.__name__.startswith("Enum"):
                    condition = column.contains(str(user_id))
                else:
                    continue
                count = await session.scalar(
                    select(func.count()).select_from(table).where(condition)
                )
                if count:
                    found[f"{table.name}.{column.name}"] = int(count)
    return found


async def table_counts(h: BotHarness) -> dict[str, int]:
    """Row counts of every table."""
    async with h.db() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def texts_of(messages: list[dict[str, object]]) -> str:
    """All texts and captions of bot messages, joined."""
    return "\n".join(str(m.get("text") or m.get("caption") or "") for m in messages)
