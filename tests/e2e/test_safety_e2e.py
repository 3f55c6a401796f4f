"""End to end (real `python -m bot run` against `python -m emulator`): risk language gets the
crisis resources at once and alerts the facilitator; an unacknowledged alert escalates to the
admin, an acknowledged one does not; an anonymous reflection reaches another member, whose
support (tapped twice) counts once, and the author learns the count but never the name.

The process runs on the system clock, so "time passes" by moving an alert's timestamps back in
the bot's database while it runs."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from emulator.client import EmulatorClient
from storage.db import make_engine, make_sessionmaker
from storage.models import Alert, AlertEvent, AlertStatus, Support, User
from tests.delivery_fixtures import add_group, add_user
from tests.e2e.processes import running_processes

pytestmark = pytest.mark.e2e
ADMIN, FAC, ANN, BEN = 900, 10, 21, 22
WAIT = 15.0
RISKY = "I want to end my life"
ENV = {
    "PLANNER_INTERVAL_SECONDS": "0.3",
    "ALERT_ESCALATE_MINUTES": "1",
    "ALERT_ADMIN_MINUTES": "2",
    "ADMIN_USER_IDS": str(ADMIN),
}


class Db:
    """Direct access to the bot process's database (seeding, time travel, checks)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.maker = make_sessionmaker(self.engine)

    async def write(self, action: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run `action(session)` in one committed transaction."""
        async with self.maker() as session, session.begin():
            return await action(session)

    async def read(self, action: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run `action(session)` on a fresh session."""
        async with self.maker() as session:
            return await action(session)


async def seed(db: Db, *, author_zone: str = "Europe/Berlin") -> int:
    """Ann and Ben (consented, onboarded, no daily prompt) in a group led by Fay."""
    now = datetime.now(UTC)

    async def rows(session: Any) -> int:
        await add_user(session, FAC, now, checkin=None, name="Fay")
        # Ann checks in on demand, so she has a check-in time (20:00, hours away at noon).
        await add_user(session, ANN, now, checkin=time(20, 0), name="Ann", zone=author_zone)
        await add_user(session, BEN, now, checkin=None, name="Ben")
        group = await add_group(session, now, [ANN, BEN], facilitator=FAC)
        return group.id

    return int(await db.write(rows))


async def until(probe: Callable[[], Awaitable[Any]], timeout: float = WAIT) -> Any:
    """Poll `probe()` until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.1)


async def button_message(emu: EmulatorClient, uid: int, label: str, contains: str = "") -> int:
    """The newest bot message in the chat with this button (and text)."""
    for message in reversed(await emu.messages(uid)):
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        if contains in str(message.get("text")) and any(
            label in str(b.get("text")) for row in rows for b in row
        ):
            return int(message["message_id"])
    raise AssertionError(f"no button {label!r} in chat {uid}")


async def alert_of(db: Db, user_id: int) -> Alert:
    """The one alert about a person."""
    return await db.read(
        lambda s: _scalar_one(s, select(Alert).where(Alert.user_id == user_id))
    )  # type: ignore[no-any-return]


async def events_of(db: Db, alert_id: int) -> list[str]:
    """The alert's audit trail, in order."""

    async def rows(session: Any) -> list[str]:
        result = await session.execute(
            select(AlertEvent.action).where(AlertEvent.alert_id == alert_id)
            .order_by(AlertEvent.id)
        )
        return list(result.scalars())

    return await db.read(rows)  # type: ignore[no-any-return]


async def expect_events(db: Db, alert_id: int, expected: dict[str, int]) -> None:
    """The audit trail settles on these counts ("sent" is written just after the send)."""
    events: Counter[str] = Counter()
    for _ in range(50):
        events = Counter(await events_of(db, alert_id))
        if events == expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"alert {alert_id}: events {dict(events)}, expected {expected}")


async def _scalar_one(session: Any, stmt: Any) -> Any:
    return (await session.execute(stmt)).scalar_one()


async def test_risk_alert_escalates_to_admin_unless_acknowledged(tmp_path: Path) -> None:
    async with running_processes(tmp_path, ENV) as (emu, bot):
        db = Db(bot.database_url)
        await seed(db)

        # Ann writes risk language: resources at once, in her chat, with "I'm okay for now".
        await emu.send_message(ANN, RISKY, first_name="Ann")
        reply = await emu.wait_for_message(ANN, contains="Thank you for telling me", timeout=WAIT)
        assert "facilitator know" in reply["text"]
        assert "I'm okay for now" in str(reply["reply_markup"])
        alert = await emu.wait_for_message(FAC, contains="Please check in", timeout=WAIT)
        assert "Ann" in alert["text"] and "end my life" not in alert["text"]
        assert "Acknowledge" in str(alert["reply_markup"])

        # Ben too; Fay acknowledges Ben's alert straight away.
        await emu.send_message(BEN, RISKY, first_name="Ben")
        await emu.wait_for_message(BEN, contains="Thank you for telling me", timeout=WAIT)
        await emu.wait_for_message(FAC, contains="Ben", timeout=WAIT)
        ben_alert = await button_message(emu, FAC, "Acknowledge", contains="Ben")
        await emu.press(FAC, ben_alert, "Acknowledge")
        await emu.wait_for_message(FAC, contains="Acknowledged by you", timeout=WAIT)
        assert (await alert_of(db, BEN)).status == AlertStatus.ACKNOWLEDGED

        # Two minutes "pass" for both alerts: Ann's is reminded to the team, then goes to the
        # admin; Ben's, acknowledged, goes nowhere.
        async def two_minutes_ago(session: Any) -> None:
            for row in (await session.execute(select(Alert))).scalars():
                row.created_at -= timedelta(minutes=2)
                if row.next_escalation_at is not None:
                    row.next_escalation_at -= timedelta(minutes=2)

        await db.write(two_minutes_ago)
        await emu.wait_for_message(FAC, contains="Still not acknowledged", timeout=WAIT)
        admin = await emu.wait_for_message(ADMIN, contains="without acknowledgement",
                                           timeout=WAIT)
        assert "Ann" in admin["text"] and "end my life" not in admin["text"]
        ann = await alert_of(db, ANN)
        assert ann.escalation_level == 2 and ann.next_escalation_at is None
        await expect_events(db, ann.id, {"raised": 1, "escalated": 2, "sent": 3})
        ben = await alert_of(db, BEN)
        await expect_events(db, ben.id, {"raised": 1, "sent": 1, "acknowledged": 1})
        assert all("Ben" not in str(m.get("text")) for m in await emu.messages(ADMIN))

        # The admin acknowledges Ann's alert; Fay is told someone is on it.
        await emu.press(ADMIN, await button_message(emu, ADMIN, "Acknowledge"), "Acknowledge")
        await emu.wait_for_message(ADMIN, contains="Acknowledged by you", timeout=WAIT)
        await emu.wait_for_message(FAC, contains="was acknowledged by", timeout=WAIT)
        ann = await alert_of(db, ANN)
        assert ann.status == AlertStatus.ACKNOWLEDGED and ann.acknowledged_by == ADMIN
        assert (await events_of(db, ann.id))[-1] == "acknowledged"
        assert "Traceback" not in bot.log_text() and "end my life" not in bot.log_text()
        await db.engine.dispose()


def daytime_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now (support notices wait for daytime)."""
    hours = (12 - now.hour) % 24
    hours = hours - 24 if hours > 14 else hours
    return f"UTC{'+' if hours >= 0 else '-'}{abs(hours):02d}:00"


async def test_anonymous_share_support_counted_once_author_learns_count(
    tmp_path: Path,
) -> None:
    async with running_processes(tmp_path, ENV) as (emu, bot):
        db = Db(bot.database_url)
        await seed(db, author_zone=daytime_zone(datetime.now(UTC)))

        async def say(text: str, expect: str) -> dict[str, Any]:
            await emu.send_message(ANN, text, first_name="Ann")
            return await emu.wait_for_message(ANN, contains=expect, timeout=WAIT)

        async def tap(label: str, expect: str) -> dict[str, Any]:
            await emu.press(ANN, await button_message(emu, ANN, label), label)
            return await emu.wait_for_message(ANN, contains=expect, timeout=WAIT)

        await say("/checkin", "How are you feeling")
        await tap("3 ", "Which feelings")
        await tap("Done", "short note")
        await say("Hard day, but the walk helped <3", "share a reflection")
        await tap("Share a reflection", "How should it appear")
        await tap("Anonymously", "Share your check-in note")
        await tap("Share my note", "Shared with")

        # Ben's evening digest is due now (time travel in the database).
        async def digest_due(session: Any) -> None:
            await session.execute(
                update(User).where(User.id == BEN)
                .values(next_share_digest_at=datetime.now(UTC) - timedelta(seconds=1))
            )

        await db.write(digest_due)
        digest = await emu.wait_for_message(BEN, contains="Reflections from your group",
                                            timeout=WAIT)
        assert "Hard day, but the walk helped <3" in digest["text"]
        assert "Someone in the group" in digest["text"] and "Ann" not in digest["text"]
        assert "Send support" in str(digest["reply_markup"])

        for _ in range(2):
            await emu.press(BEN, digest["message_id"], "Send support")
        answers = await until(lambda: _answers(emu, BEN, 2))
        assert [a["text"] for a in answers] == [
            "Support sent 💚", "You've already sent support to this one 💚",
        ]
        assert await db.read(lambda s: s.scalar(select(func.count()).select_from(Support))) == 1

        told = await emu.wait_for_message(ANN, contains="sent you support", timeout=WAIT)
        assert told["text"].startswith("1 person sent you support 💚")
        assert "Ben" not in told["text"]
        assert "Traceback" not in bot.log_text() and "walk helped" not in bot.log_text()
        await db.engine.dispose()


async def _answers(emu: EmulatorClient, chat_id: int, at_least: int) -> list[dict[str, Any]]:
    """The callback answers given in a chat, once there are enough of them."""
    found = [a for a in await emu.callback_answers() if a.get("chat_id") == chat_id]
    return found if len(found) >= at_least else []
