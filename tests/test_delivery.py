"""The delivery engine through the harness: prompts, reminders, RSVP, restarts, 429, 403,
lateness, outages. Time only moves with the ManualClock."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from bot.delivery.outbox import NOTICE, SESSION_REMINDER, enqueue
from bot.delivery.testing import deliver_due, engine_of
from bot.scheduling import add_one_off, cancel_occurrence, move_occurrence
from storage.models import (
    Delivery,
    DeliveryStatus,
    Membership,
    MemberStatus,
    Rsvp,
    RsvpAnswer,
    User,
)
from storage.repositories.deliveries import SENDING
from tests.delivery_fixtures import add_group, add_user
from tests.harness import BotHarness


async def statuses(h: BotHarness, kind: str | None = None) -> list[tuple[int, str, str | None]]:
    async with h.db() as session:
        stmt = select(Delivery).order_by(Delivery.id)
        if kind is not None:
            stmt = stmt.where(Delivery.kind == kind)
        rows = (await session.execute(stmt)).scalars()
        return [(d.recipient_id, d.status.value, d.outcome) for d in rows]


async def bot_texts(h: BotHarness, chat_id: int) -> list[str]:
    return [str(m["text"]) for m in await h.emu.messages(chat_id)]


async def test_checkin_prompt_arrives_once_at_local_time(any_bot: BotHarness) -> None:
    h = any_bot
    now = h.clock.now()  # 09:00 UTC = 10:00 Berlin
    async with h.db() as session:
        await add_user(session, 11, now, checkin=time(10, 30), name="Ann <b>")
    h.clock.advance(timedelta(minutes=29))
    assert await deliver_due(h.app) == 0
    h.clock.advance(timedelta(minutes=1))
    assert await deliver_due(h.app) == 1
    assert await deliver_due(h.app) == 0
    messages = await h.emu.messages(11)
    assert len(messages) == 1
    assert messages[0]["text"] == "Hi Ann <b> 🌿 How are you feeling today?"
    data = [b["callback_data"] for row in messages[0]["reply_markup"]["inline_keyboard"]
            for b in row]
    assert data[0] == "ci:m:20260302:5" and len(data) == 5
    async with h.db() as session:
        user = await session.get(User, 11)
        assert user is not None and user.next_prompt_at is not None
        assert user.next_prompt_at - now == timedelta(days=1, minutes=30)


async def test_reminder_per_member_with_rsvp_that_is_stored(any_bot: BotHarness) -> None:
    h = any_bot
    now = h.clock.now()
    async with h.db() as session:
        for uid in (21, 22, 23):
            await add_user(session, uid, now, checkin=None)
        await add_user(session, 29, now, checkin=None)
        group = await add_group(session, now, [21, 22, 23], offsets=[60], facilitator=29)
        occurrence = await add_one_off(session, group, now + timedelta(hours=2), 60, now)
    h.clock.advance(timedelta(minutes=59))
    await deliver_due(h.app)
    assert await statuses(h, SESSION_REMINDER) == []
    h.clock.advance(timedelta(minutes=1))
    await deliver_due(h.app)
    await deliver_due(h.app)
    reminders = await statuses(h, SESSION_REMINDER)
    assert sorted(reminders) == [(uid, "sent", None) for uid in (21, 22, 23)]
    for uid in (21, 22, 23):
        texts = await bot_texts(h, uid)
        assert len(texts) == 1 and "starts in 1 hour" in texts[0]
        assert "Tuesday <Circle>" in texts[0]
    assert not any("starts in" in t for t in await bot_texts(h, 29))  # facilitators: digest
    await h.press(21, "Going")
    message = (await h.emu.messages(21))[0]
    assert message["edited"]
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert "✓ Going" in labels
    assert "You're going" in message["text"]
    await h.press(21, "Running late")
    async with h.db() as session:
        rsvp = (await session.execute(select(Rsvp))).scalar_one()
        assert (rsvp.user_id, rsvp.answer, rsvp.occurrence_id) == (21, RsvpAnswer.LATE,
                                                                   occurrence.id)


async def test_rsvp_from_a_former_member_or_after_cancel_changes_nothing(bot: BotHarness) -> None:
    h = bot
    now = h.clock.now()
    async with h.db() as session:
        await add_user(session, 31, now, checkin=None)
        await add_user(session, 32, now, checkin=None)
        group = await add_group(session, now, [31, 32], offsets=[60])
        occurrence = await add_one_off(session, group, now + timedelta(minutes=90), 60, now)
    h.clock.advance(timedelta(minutes=30))
    await deliver_due(h.app)
    async with h.db() as session:
        membership = (await session.execute(
            select(Membership).where(Membership.user_id == 32))).scalar_one()
        membership.status = MemberStatus.LEFT
    await h.press(32, "Going")
    message_id = await h.find_button_message(31, "Going")
    await h.press(31, data="rsvp:maybe:1", message_id=message_id)
    await h.press(31, data=f"rsvp:going:{occurrence.id}:x", message_id=message_id)
    await h.press(31, data="rsvp:going:999999", message_id=message_id)
    async with h.db() as session:
        await cancel_occurrence(session, occurrence.id, h.clock.now(), by_user_id=None)
    await h.press(31, "Going")
    answers = [a["text"] for a in await h.answers()]
    assert answers == [
        "This reminder is for members of the group only.",
        "I couldn't find that session any more.",
        "I couldn't find that session any more.",
        "I couldn't find that session any more.",
        "This session was cancelled, so there's nothing to answer.",
    ]
    async with h.db() as session:
        assert (await session.execute(select(Rsvp))).first() is None
    h.clock.advance(timedelta(hours=3))
    async with h.db() as session:
        group2 = await add_group(session, h.clock.now(), [31], offsets=[60])
        past = await add_one_off(session, group2, h.clock.now() + timedelta(minutes=61), 5,
                                 h.clock.now())
    h.clock.advance(timedelta(minutes=2))
    await deliver_due(h.app)
    h.clock.advance(timedelta(minutes=70))
    await h.press(31, data=f"rsvp:going:{past.id}")
    assert (await h.answers())[-1]["text"] == "This session has already taken place."


async def test_restart_between_planning_and_sending(any_bot: BotHarness) -> None:
    h = any_bot
    now = h.clock.now()
    async with h.db() as session:
        for uid in (41, 42):
            await add_user(session, uid, now, checkin=None)
        group = await add_group(session, now, [41, 42], offsets=[2])
        await add_one_off(session, group, now + timedelta(minutes=5), 60, now)
    h.clock.advance(timedelta(minutes=3))
    assert await engine_of(h.app).plan() > 0
    await h.restart()
    assert await deliver_due(h.app) == 2
    await h.restart()
    assert await deliver_due(h.app) == 0
    assert [len(await h.emu.messages(uid)) for uid in (41, 42)] == [1, 1]
    await h.press(42, "Can't make it")
    async with h.db() as session:
        rsvp = (await session.execute(select(Rsvp))).scalar_one()
        assert rsvp.answer == RsvpAnswer.NOT_GOING


async def test_interrupted_send_becomes_unknown_and_is_not_resent(bot: BotHarness) -> None:
    h = bot
    now = h.clock.now()
    async with h.db() as session:
        for uid in (51, 52):
            await enqueue(session, kind=NOTICE, key=f"n:{uid}", recipient_id=uid, due_at=now,
                          now=now, payload={"text": "Hello"})
        # A previous process had claimed 51 and was sending when it died.
        row = (await session.execute(select(Delivery).where(Delivery.recipient_id == 51))
               ).scalar_one()
        row.status, row.claimed_by, row.outcome = DeliveryStatus.CLAIMED, "dead", SENDING
        row.claimed_until = now + timedelta(minutes=5)
    await h.restart()  # one process: every old claim is expired at start-up
    assert await deliver_due(h.app) == 1
    assert await statuses(h) == [(51, "unknown", "interrupted while sending"),
                                 (52, "sent", None)]
    assert await h.emu.messages(51) == []


async def test_429_pauses_and_retries_without_doubles(bot: BotHarness) -> None:
    h = bot
    now = h.clock.now()
    async with h.db() as session:
        for uid in range(60, 66):
            await enqueue(session, kind=NOTICE, key=f"a:{uid}", recipient_id=uid,
                          due_at=now, now=now, payload={"text": "x"})
    await h.emu.fail_next(n=2, status=429, retry_after=3)
    await deliver_due(h.app)
    assert engine_of(h.app).limiter.stats.pauses >= 1
    h.clock.advance(4)
    await deliver_due(h.app)
    for uid in range(60, 66):
        assert len(await h.emu.messages(uid)) == 1
    assert {s for _, s, _ in await statuses(h)} == {"sent"}


async def test_403_marks_unreachable_until_the_person_writes(bot: BotHarness) -> None:
    h = bot
    now = h.clock.now()
    async with h.db() as session:
        await add_user(session, 71, now, checkin=None)
        await enqueue(session, kind=NOTICE, key="n71", recipient_id=71, due_at=now, now=now,
                      payload={"text": "Hello"})
    await h.emu.send_message(71, "hi")
    await h.emu.block_user(71, notify=False)
    await deliver_due(h.app)
    assert await statuses(h) == [(71, "unreachable", "blocked the bot")]
    async with h.db() as session:
        user = await session.get(User, 71)
        assert user is not None and user.unreachable_since == h.clock.now()
    await h.emu.unblock_user(71, notify=False)
    await h.send(71, "/help")
    async with h.db() as session:
        user = await session.get(User, 71)
        assert user is not None and user.unreachable_since is None


async def test_lateness_policy_per_kind(bot: BotHarness) -> None:
    h = bot
    now = h.clock.now()
    async with h.db() as session:
        await add_user(session, 81, now, checkin=time(10, 30), zone="Europe/Berlin")
        await add_user(session, 82, now, checkin=None)
        group = await add_group(session, now, [82], offsets=[30])
        await add_one_off(session, group, now + timedelta(hours=1), 60, now)
        await enqueue(session, kind=NOTICE, key="a82", recipient_id=82, due_at=now,
                      now=now, payload={"text": "news"})
    # Down for 4 hours: the prompt (window 180 min) and the reminder are too late.
    h.clock.advance(timedelta(hours=4))
    await deliver_due(h.app)
    rows = await statuses(h)
    assert (81, "skipped", "late: check-in window passed") in rows
    assert (82, "skipped", "late: session already started") in rows
    assert (82, "sent", None) in rows  # a notice without not_after is always sent
    assert len(await h.emu.messages(82)) == 1


async def test_outage_then_back_sends_within_policy(bot: BotHarness) -> None:
    h = bot
    now = h.clock.now()
    async with h.db() as session:
        for uid in (91, 92):
            await add_user(session, uid, now, checkin=time(10, 0, 30) if uid == 91 else None)
        group = await add_group(session, now, [92], offsets=[10])
        await add_one_off(session, group, now + timedelta(minutes=30), 60, now)
    await h.emu.set_down(True)
    h.clock.advance(timedelta(minutes=21))
    await deliver_due(h.app)
    assert await h.emu.messages(91) == [] and await h.emu.messages(92) == []
    await h.emu.set_down(False)
    h.clock.advance(timedelta(seconds=40))
    await deliver_due(h.app)
    assert len(await h.emu.messages(91)) == 1  # prompt: late but inside its window
    assert len(await h.emu.messages(92)) == 1  # reminder: session not started yet
    h.clock.advance(timedelta(minutes=10))
    await deliver_due(h.app)
    assert {s for _, s, _ in await statuses(h)} == {"sent"}


async def test_server_errors_retry_with_backoff_then_fail_visibly(bot: BotHarness) -> None:
    h = bot
    now = h.clock.now()
    async with h.db() as session:
        await enqueue(session, kind=NOTICE, key="n100", recipient_id=100, due_at=now, now=now,
                      payload={"text": "Hello"})
    await h.emu.fail_next(n=100, status=500)
    for _ in range(8):
        await deliver_due(h.app)
        h.clock.advance(timedelta(minutes=6))
    rows = await statuses(h)
    assert rows[0][1] == "failed" and rows[0][2].startswith("gave up")
    async with h.db() as session:
        row = (await session.execute(select(Delivery))).scalar_one()
        assert row.attempts == 5


async def test_cancel_and_move_notify_members_and_replan_reminders(any_bot: BotHarness) -> None:
    h = any_bot
    now = h.clock.now()
    async with h.db() as session:
        await add_user(session, 121, now, checkin=None, zone="America/New_York")
        await add_user(session, 129, now, checkin=None)
        group = await add_group(session, now, [121], offsets=[60], facilitator=129)
        first = await add_one_off(session, group, now + timedelta(hours=3), 60, now)
        second = await add_one_off(session, group, now + timedelta(hours=4), 60, now)
    h.clock.advance(timedelta(hours=2, minutes=1))  # first's reminder is planned ...
    await engine_of(h.app).plan()
    async with h.db() as session:  # ... then the session is cancelled before it is sent
        await cancel_occurrence(session, first.id, h.clock.now(), by_user_id=129)
        await move_occurrence(session, second.id, now + timedelta(hours=6), h.clock.now(), 129)
    await deliver_due(h.app)
    texts = await bot_texts(h, 121)
    assert len(texts) == 2
    assert "is cancelled" in texts[0] and "Mon 2 Mar, 07:00 (America/New_York)" in texts[0]
    assert "has moved to" in texts[1] and "Mon 2 Mar, 10:00" in texts[1]
    facilitator = await bot_texts(h, 129)  # who made the change is not told
    assert not any("cancelled" in t or "has moved" in t for t in facilitator)
    reminders = await statuses(h, SESSION_REMINDER)
    assert reminders == [(121, "cancelled", "session cancelled")]
    h.clock.set(now + timedelta(hours=5))
    await deliver_due(h.app)
    texts = await bot_texts(h, 121)
    assert len(texts) == 3 and "starts in 1 hour" in texts[2]


async def test_a_failing_renderer_retries_that_row_and_the_batch_still_goes(
    any_bot: BotHarness,
) -> None:
    """Rows are rendered together before their rate slots; one renderer error rolls back only
    its own try: that row waits for a retry (attempt counted), the others are sent once."""
    from bot.delivery import outbox

    h = any_bot
    now = h.clock.now()

    async def boom(session: object, delivery: Delivery, services: object) -> outbox.Rendered:
        raise RuntimeError("renderer bug")

    outbox.renderer("test_boom")(boom)  # type: ignore[arg-type]
    try:
        async with h.db() as session:
            for uid in (301, 302, 303, 304):
                kind = "test_boom" if uid == 302 else NOTICE
                await enqueue(session, kind=kind, key=f"rb:{uid}", recipient_id=uid,
                              due_at=now, now=now, payload={"text": f"Hello {uid}"})
        assert await deliver_due(h.app) == 3
        rows = {uid: (status, outcome) for uid, status, outcome in await statuses(h)}
        assert rows[302] == ("pending", "render error: RuntimeError")
        assert all(rows[uid] == ("sent", None) for uid in (301, 303, 304))
        for uid in (301, 303, 304):
            assert await bot_texts(h, uid) == [f"Hello {uid}"]
        async with h.db() as session:
            failed = await session.scalar(select(Delivery).where(Delivery.key == "rb:302"))
            assert failed is not None and failed.attempts == 1
        h.clock.advance(timedelta(minutes=1))
        assert await deliver_due(h.app) == 0
        assert await bot_texts(h, 302) == []
    finally:
        outbox.RENDERERS.pop("test_boom", None)
