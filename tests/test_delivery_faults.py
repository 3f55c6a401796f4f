"""Delivery under faults: a send that times out after the request left, a 429 storm, a 403
in the middle of a fan-out, and two dispatchers on one PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.outbox import NOTICE, Planned, enqueue_many
from bot.delivery.testing import deliver_due, engine_of
from storage.models import Delivery
from tests.db import engine_with_schema, fresh_postgres_database, require_postgres
from tests.harness import BotHarness, running_bot


async def plan_notices(h: BotHarness, ids: range, key: str = "n") -> None:
    now = h.clock.now()
    async with h.db() as session:
        await enqueue_many(session, [
            Planned(kind=NOTICE, key=f"{key}:{uid}", recipient_id=uid, due_at=now,
                    payload={"text": "Hello"}) for uid in ids], now=now)


async def outcomes(h: BotHarness) -> dict[int, tuple[str, str | None]]:
    async with h.db() as session:
        rows = (await session.execute(select(Delivery))).scalars()
        return {d.recipient_id: (d.status.value, d.outcome) for d in rows}


async def test_timeout_after_the_request_left_is_unknown_and_never_resent(
    bot: BotHarness,
) -> None:
    h = bot
    await plan_notices(h, range(1, 2))
    engine_of(h.app).send_timeout = 0.2
    await h.emu.set_delay(1.0, "sendMessage")  # the server answers after the bot gave up
    assert await deliver_due(h.app) == 0
    assert await outcomes(h) == {1: ("unknown", "timeout: outcome unknown")}
    await h.emu.wait_for_message(1, timeout=5)  # the request did arrive and was delivered
    await h.emu.set_delay(0, "sendMessage")
    for _ in range(3):
        h.clock.advance(timedelta(minutes=10))
        await deliver_due(h.app)
    assert len(await h.emu.messages(1)) == 1
    assert (await h.emu.stats())["requests"]["sendMessage"] == 1
    assert await outcomes(h) == {1: ("unknown", "timeout: outcome unknown")}


async def test_429_storm_everyone_once_and_the_pause_is_honoured(bot: BotHarness) -> None:
    h = bot
    h.emu.state.mono = h.clock.monotonic  # send times on the bot's clock
    recipients = range(200, 240)
    await plan_notices(h, recipients)
    await h.emu.fail_next(n=4, status=429, retry_after=5, method="sendMessage")
    engine = engine_of(h.app)
    first = h.clock.monotonic()
    for _ in range(6):
        await deliver_due(h.app)
        h.clock.advance(6)
    assert {uid: len(await h.emu.messages(uid)) for uid in recipients} == {
        uid: 1 for uid in recipients}
    assert set((await outcomes(h)).values()) == {("sent", None)}
    stats = await h.emu.stats()
    assert stats["count_429"] == 4
    assert stats["requests"]["sendMessage"] == len(recipients) + 4
    assert engine.stats.rate_limited == 4
    # Nothing was accepted before the first pause ended; every 429 paused the limiter.
    times: list[float] = []
    for uid in recipients:
        times += await h.emu.send_times(uid)
    times.sort()
    assert times[0] >= first + 5
    assert engine.limiter.stats.pauses >= 4


async def test_403_in_the_middle_of_a_fan_out(bot: BotHarness) -> None:
    h = bot
    recipients = range(300, 320)
    blocked = {305, 311, 318}
    await plan_notices(h, recipients)
    for uid in blocked:
        await h.emu.send_message(uid, "hi")
        await h.emu.block_user(uid, notify=False)
    assert await deliver_due(h.app) == len(recipients) - len(blocked)
    rows = await outcomes(h)
    for uid in recipients:
        expected = ("unreachable", "blocked the bot") if uid in blocked else ("sent", None)
        assert rows[uid] == expected
        sent = [m for m in await h.emu.messages(uid) if m["from_bot"]]
        assert len(sent) == (0 if uid in blocked else 1)
    h.clock.advance(timedelta(minutes=10))
    assert await deliver_due(h.app) == 0


@pytest.fixture
async def pg_db_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (skipped without TEST_DATABASE_URL, required in CI)."""
    async with fresh_postgres_database(require_postgres()) as url:
        yield url


@pytest.mark.postgres
async def test_two_dispatchers_on_one_database_send_each_message_once(
    tmp_path: Path, pg_db_url: str
) -> None:
    any_db_url = pg_db_url
    async with engine_with_schema(pg_db_url) as any_engine:
        await _two_dispatchers(tmp_path, any_engine, any_db_url)


async def _two_dispatchers(tmp_path: Path, any_engine: AsyncEngine, any_db_url: str) -> None:
    """Two applications (REPLICAS=2) dispatch one fan-out on one PostgreSQL database."""
    from cryptography.fernet import Fernet

    env = {"REPLICAS": "2", "DATABASE_URL": any_db_url,
           "ENCRYPTION_KEY": Fernet.generate_key().decode()}
    async with running_bot(tmp_path / "a", any_engine, **env) as a:
        async with running_bot(tmp_path / "b", any_engine, **env) as b:
            b.clock.set(a.clock.now())
            recipients = range(400, 520)
            await plan_notices(a, recipients, key="two")
            # both Bot API emulators are "Telegram": count what each received
            sent = await asyncio.gather(deliver_due(a.app), deliver_due(b.app))
            assert sum(sent) == len(recipients)
            counts: Counter[int] = Counter()
            for h in (a, b):
                for uid in recipients:
                    counts[uid] += len(await h.emu.messages(uid))
            assert counts == Counter({uid: 1 for uid in recipients})
            assert set((await outcomes(a)).values()) == {("sent", None)}
