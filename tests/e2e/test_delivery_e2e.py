"""End to end (real `python -m bot run` against `python -m emulator`): a check-in prompt at the
participant's local time, a session reminder with RSVP across a crash between planning and
sending, and a SIGKILL in the middle of a fan-out."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.delivery.outbox import NOTICE, SESSION_REMINDER, enqueue
from bot.scheduling import add_one_off
from bot.timeutil import zone
from emulator.client import EmulatorClient
from storage.db import make_engine, make_sessionmaker
from storage.models import Delivery, DeliveryStatus, Rsvp, RsvpAnswer
from tests.delivery_fixtures import add_group, add_user
from tests.e2e.processes import running_processes

pytestmark = pytest.mark.e2e
FAST = {"PLANNER_INTERVAL_SECONDS": "0.3"}


class Db:
    """Direct access to the bot process's database."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.maker = make_sessionmaker(self.engine)

    def tx(self) -> Any:
        return _tx(self.maker)

    async def rows(self, kind: str) -> list[Delivery]:
        async with self.maker() as session:
            result = await session.execute(
                select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)
            )
            return list(result.scalars())


class _tx:
    def __init__(self, maker: Any) -> None:
        self.maker = maker

    async def __aenter__(self) -> Any:
        self.session = self.maker()
        await self.session.__aenter__()
        self.begin = self.session.begin()
        await self.begin.__aenter__()
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        await self.begin.__aexit__(*exc)
        await self.session.__aexit__(*exc)


async def until(probe: Any, timeout: float = 20.0) -> Any:
    """Poll `probe()` until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.1)


async def test_prompt_on_time_and_reminder_with_rsvp_across_a_crash(tmp_path: Path) -> None:
    """A prompt at the local check-in time; then a reminder planned, the bot killed before it
    could send (API down), restarted: exactly one reminder per member, and an RSVP stored."""
    async with running_processes(tmp_path, FAST) as (emu, bot):
        db = Db(bot.database_url)
        now = datetime.now(UTC)
        target = now + timedelta(seconds=4)
        local = target.astimezone(zone("America/Sao_Paulo"))
        async with db.tx() as session:
            await add_user(session, 501, now, zone="America/Sao_Paulo",
                           checkin=local.time().replace(microsecond=0, tzinfo=None))
            for uid in (601, 602):
                await add_user(session, uid, now, checkin=None)
            group = await add_group(session, now, [601, 602], offsets=[2])
            occurrence = await add_one_off(
                session, group, now + timedelta(minutes=2, seconds=7), 60, now
            )
        message = await emu.wait_for_message(501, contains="How are you feeling", timeout=20)
        arrived = datetime.fromtimestamp(message["sent_at"], UTC)
        assert abs((arrived - target).total_seconds()) <= 30
        assert arrived >= target - timedelta(seconds=1)
        await emu.set_down(True)

        async def planned() -> bool:
            return len(await db.rows(SESSION_REMINDER)) == 2

        async def not_sending() -> bool:
            rows = await db.rows(SESSION_REMINDER)
            return all(
                r.status in (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)
                and r.outcome != "sending"
                for r in rows
            )

        await until(planned)
        await asyncio.sleep(1.5)  # retries back off while the API is down: 1 s, 2 s, 4 s ...
        await until(not_sending)
        await bot.kill()
        await emu.set_down(False)
        await bot.start()
        for uid in (601, 602):
            await emu.wait_for_message(uid, contains="starts in", timeout=20)
        first = (await emu.messages(601))[0]
        labels = [b["text"] for row in first["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Going", "Can't make it", "Running late"]
        await emu.press(601, first["message_id"], "Going")

        async def stored() -> Any:
            async with db.maker() as session:
                return (await session.execute(select(Rsvp))).scalar_one_or_none()

        rsvp = await until(stored)
        assert (rsvp.user_id, rsvp.occurrence_id, rsvp.answer) == (
            601, occurrence.id, RsvpAnswer.GOING
        )
        await emu.wait_for_message(601, contains="You're going", timeout=10)
        assert [len(await emu.messages(uid)) for uid in (501, 601, 602)] == [1, 1, 1]
        await db.engine.dispose()


async def test_sigkill_mid_fan_out_sends_each_once_or_reports_unknown(tmp_path: Path) -> None:
    recipients = list(range(10_000, 10_200))
    async with running_processes(tmp_path, {**FAST, "BROADCAST_RATE": "60"}) as (emu, bot):
        db = Db(bot.database_url)
        await emu.set_delay(0.1)
        now = datetime.now(UTC)
        async with db.tx() as session:
            for uid in recipients:
                await enqueue(session, kind=NOTICE, key=f"fan:{uid}", recipient_id=uid,
                              due_at=now, now=now, payload={"text": "Group news"})
        await until(lambda: _bot_messages(emu, 60), timeout=30)
        await bot.kill()
        await emu.set_delay(0)
        await bot.start()
        await until(lambda: _all_final(db), timeout=30)
        counts = Counter({uid: len(await emu.messages(uid)) for uid in recipients})
        rows = await db.rows(NOTICE)
        unknown = [r.recipient_id for r in rows if r.status == DeliveryStatus.UNKNOWN]
        assert {r.status for r in rows} <= {DeliveryStatus.SENT, DeliveryStatus.UNKNOWN}
        for row in rows:
            if row.status == DeliveryStatus.SENT:
                assert counts[row.recipient_id] == 1, row.recipient_id
            else:
                assert counts[row.recipient_id] <= 1
        assert len(unknown) <= 10  # at most what was in flight when the process died
        print(f"fan-out of {len(recipients)} killed mid-way: {len(unknown)} UNKNOWN")
        await db.engine.dispose()


async def _bot_messages(emu: EmulatorClient, at_least: int) -> bool:
    return int((await emu.stats()).get("bot_messages", 0)) >= at_least


async def _all_final(db: Db) -> bool:
    async with db.maker() as session:
        open_rows = await session.scalar(
            select(func.count()).select_from(Delivery).where(
                Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.CLAIMED])
            )
        )
    return open_rows == 0
