"""enqueue is idempotent by key on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.outbox import NOTICE, enqueue, rsvp_buttons
from storage.db import make_sessionmaker
from storage.models import Delivery

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def test_enqueue_twice_creates_one_row(any_engine: AsyncEngine) -> None:
    maker = make_sessionmaker(any_engine)
    for expected in (True, False):
        async with maker() as session, session.begin():
            created = await enqueue(
                session, kind=NOTICE, key="notice:x:1", recipient_id=1, due_at=NOW, now=NOW,
                payload={"text": "hi"},
            )
            assert created is expected
    async with maker() as session:
        count = await session.scalar(select(func.count()).select_from(Delivery))
        row = (await session.execute(select(Delivery))).scalar_one()
    assert count == 1
    assert row.due_at == NOW and row.payload == {"text": "hi"}


def test_rsvp_buttons_fit_and_mark_current() -> None:
    rows = rsvp_buttons(123456789, "late")
    labels = [b.label for row in rows for b in row]
    assert labels == ["Going", "Can't make it", "✓ Running late"]
    assert all(len((b.data or "").encode()) <= 64 for row in rows for b in row)
