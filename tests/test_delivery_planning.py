"""Batched planning: multi-row enqueue is idempotent by key across chunks, and the prompt
planner moves every handled user's next prompt in bulk."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import func, select

from bot.delivery.outbox import ENQUEUE_CHUNK, NOTICE, Planned, enqueue_many
from bot.delivery.testing import engine_of
from storage.models import Delivery, User
from tests.delivery_fixtures import add_user
from tests.harness import BotHarness


async def test_enqueue_many_writes_each_key_once_across_chunks(any_bot: BotHarness) -> None:
    h = any_bot
    now = h.clock.now()
    n = ENQUEUE_CHUNK * 2 + 7

    def planned(ids: range) -> list[Planned]:
        return [Planned(kind=NOTICE, key=f"bulk:{i}", recipient_id=i, due_at=now,
                        payload={"text": "hi"}) for i in ids]

    async with h.db() as session:
        assert await enqueue_many(session, planned(range(0, n, 2)), now=now) == len(range(0, n, 2))
    async with h.db() as session:
        assert await enqueue_many(session, planned(range(n)), now=now) == len(range(1, n, 2))
        assert await enqueue_many(session, planned(range(n)), now=now) == 0
        assert await enqueue_many(session, [], now=now) == 0
    async with h.db() as session:
        count = await session.scalar(select(func.count()).select_from(Delivery))
        keys = await session.scalar(select(func.count(func.distinct(Delivery.key))))
        row = (await session.execute(select(Delivery).where(Delivery.key == "bulk:3"))
               ).scalar_one()
    assert count == keys == n
    assert (row.recipient_id, row.payload, row.next_attempt_at, row.attempts) == (
        3, {"text": "hi"}, now, 0)


async def test_prompt_planner_handles_many_users_once(any_bot: BotHarness) -> None:
    h = any_bot
    now = h.clock.now()
    users = 1_100  # more than one planner batch
    async with h.db() as session:
        for uid in range(1, users + 1):
            await add_user(session, 10_000 + uid, now, checkin=time(10, 1))  # 09:01 UTC
    h.clock.advance(timedelta(minutes=2))
    planned = await engine_of(h.app).plan()
    assert planned >= users
    assert await engine_of(h.app).plan() == 0
    async with h.db() as session:
        prompts = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.kind == "checkin_prompt"))
        nexts = set((await session.execute(select(User.next_prompt_at))).scalars())
    assert prompts == users
    assert nexts == {now + timedelta(days=1, minutes=1)}
