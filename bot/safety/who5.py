"""The WHO-5 Well-Being Index: official items and scale, scoring, trend, and when a result
should be surfaced (score under 50, or a drop of 10 points or more).

WHO-5 Well-Being Index, Psychiatric Research Unit, Mental Health Centre North Zealand.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Who5Response

ATTRIBUTION = (
    "WHO-5 Well-Being Index, Psychiatric Research Unit, Mental Health Centre North Zealand."
)
INTRO = "Over the last two weeks…"
ITEMS = (
    "I have felt cheerful and in good spirits",
    "I have felt calm and relaxed",
    "I have felt active and vigorous",
    "I woke up feeling fresh and rested",
    "My daily life has been filled with things that interest me",
)
SCALE = (
    (5, "All of the time"),
    (4, "Most of the time"),
    (3, "More than half of the time"),
    (2, "Less than half of the time"),
    (1, "Some of the time"),
    (0, "At no time"),
)
LOW_SCORE = 50
DROP = 10


def score(answers: list[int]) -> int:
    """The percentage score 0-100: the raw sum (0-25) times 4."""
    if len(answers) != len(ITEMS) or any(not 0 <= a <= 5 for a in answers):
        raise ValueError("WHO-5 needs five answers from 0 to 5")
    return sum(answers) * 4


def concern(new: int, previous: int | None) -> tuple[str, int] | None:
    """("who5_low", 0) under 50, ("who5_drop", points) after a drop of 10 or more, else None."""
    if previous is not None and previous - new >= DROP:
        return "who5_drop", previous - new
    if new < LOW_SCORE:
        return "who5_low", 0
    return None


async def who5_points(
    session: AsyncSession, user_id: int, since: date | None = None
) -> list[tuple[date, int]]:
    """(local date, score 0-100) of a person's WHO-5 answers, oldest first (for /mood and the
    facilitator's report, which apply their own permission rules)."""
    stmt = select(Who5Response.local_date, Who5Response.score).where(
        Who5Response.user_id == user_id
    )
    if since is not None:
        stmt = stmt.where(Who5Response.local_date >= since)
    rows = await session.execute(stmt.order_by(Who5Response.local_date))
    return [(d, int(s)) for d, s in rows.all()]


async def previous_score(session: AsyncSession, user_id: int, before: date) -> int | None:
    """The person's latest score before a day."""
    stmt = (
        select(Who5Response.score)
        .where(Who5Response.user_id == user_id, Who5Response.local_date < before)
        .order_by(Who5Response.local_date.desc())
        .limit(1)
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    return int(found) if found is not None else None
