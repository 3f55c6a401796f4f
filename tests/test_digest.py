"""The facilitators' digest before a session: RSVPs, mood changes and missed check-ins (only
of members who allowed it), open alerts; once per session per facilitator, on time."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.outbox import DIGEST
from storage.models import OccurrenceStatus, Rsvp, RsvpAnswer, SessionOccurrence
from tests.harness import BotHarness
from tests.test_safety_helpers import add_checkin, deliveries, make_group, tick


async def test_digest_before_session(any_bot: BotHarness) -> None:
    h = any_bot
    now = h.clock.now()  # Monday 2026-03-02 09:00 UTC
    await h.onboard(1, first_name="Ann")
    await h.onboard(2, first_name="Ben", visible=False)
    await h.onboard(3, first_name="Cara")
    await h.onboard(10, first_name="Fay")
    group_id = await make_group(
        h, facilitators=(10,), participants=(1, 2, 3), joined=now - timedelta(days=20)
    )
    async with h.db() as session:
        for starts in (now - timedelta(days=6), now + timedelta(hours=5)):
            session.add(
                SessionOccurrence(
                    group_id=group_id, starts_at=starts, duration_minutes=90,
                    status=OccurrenceStatus.SCHEDULED, created_at=now, updated_at=now,
                )
            )
        await session.flush()
    async with h.db() as session:
        from sqlalchemy import select

        upcoming = (
            await session.execute(
                select(SessionOccurrence).where(SessionOccurrence.starts_at > now)
            )
        ).scalar_one()
        session.add(Rsvp(occurrence_id=upcoming.id, user_id=1, answer=RsvpAnswer.GOING,
                         updated_at=now))
    today = now.date()
    for offset in (9, 8):  # before the last session
        await add_checkin(h, 1, today - timedelta(days=offset), 5)
        await add_checkin(h, 2, today - timedelta(days=offset), 5)
    for offset in (5, 4, 3, 2, 1):  # since the last session
        await add_checkin(h, 1, today - timedelta(days=offset), 2)
        await add_checkin(h, 2, today - timedelta(days=offset), 1)
    await h.send(1, "I want to kill myself")  # an open alert
    assert await tick(h, DIGEST) == []  # 5 hours before: not yet (offset 120 minutes)
    h.clock.advance(timedelta(hours=3))
    sent = await tick(h, DIGEST)
    assert [d.recipient_id for d in sent] == [10]
    digest = await h.last_text(10)
    assert "Going: 1 (Ann)" in digest
    assert "Ann: 5.0 → 2.0 (↓)" in digest
    assert "Ben" not in digest  # did not allow facilitators to see check-ins
    assert "Cara: 6 of the last 6 days" in digest
    # Ann's risk message, and Cara's missed check-ins (she joined 20 days ago).
    assert "Open alerts: 2" in digest and "• Cara (since" in digest
    h.clock.advance(timedelta(minutes=30))
    assert await tick(h, DIGEST) == []
    assert len(await deliveries(h, DIGEST)) == 1


async def test_cancelled_session_digest_is_skipped(bot: BotHarness) -> None:
    now = bot.clock.now()
    await bot.onboard(10, first_name="Fay")
    group_id = await make_group(bot, facilitators=(10,))
    async with bot.db() as session:
        occurrence = SessionOccurrence(
            group_id=group_id, starts_at=now + timedelta(hours=1), duration_minutes=60,
            status=OccurrenceStatus.SCHEDULED, created_at=now, updated_at=now,
        )
        session.add(occurrence)
    from bot.safety.digest import plan_session_digests

    async with bot.db() as session:
        assert await plan_session_digests(session, bot.services, now) == 1
        occ = await session.get(SessionOccurrence, occurrence.id)
        assert occ is not None
        occ.status = OccurrenceStatus.CANCELLED
    assert await tick(bot, DIGEST) == []
    (row,) = await deliveries(bot, DIGEST)
    assert row.outcome == "session cancelled"
