"""/schedule (cancel, move, add one-off, change the weekly rule), /attendance and /members
(decline, remove) with members told through the delivery engine."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.delivery.testing import deliver_due
from storage.models import (
    Attendance,
    Membership,
    MemberStatus,
    OccurrenceStatus,
    Rsvp,
    RsvpAnswer,
    SessionOccurrence,
    SessionRule,
)
from tests.harness import BotHarness
from tests.test_facilitator_steps import FAC, create_group, enrol_facilitator, join

ANN, BOB = 21, 22


async def test_cancel_move_add_and_change_rule(any_bot: BotHarness) -> None:
    h = any_bot
    await enrol_facilitator(h)
    token = await create_group(h)
    await join(h, ANN, token, "Ann")

    replies = await h.send(FAC, "/schedule")
    assert "Weekly: Mon, Thu at 18:30" in replies[-1]["text"]
    assert "Mon 02 Mar 18:30" in replies[-1]["text"]
    await h.press(FAC, "Mon 02 Mar 18:30")
    await h.press(FAC, "Cancel this session")
    replies = await h.press(FAC, "Yes, cancel it")
    assert "Cancelled the session of Mon 02 Mar 18:30" in replies[-1]["text"]
    await deliver_due(h.app)
    assert "cancel" in (await h.last_text(ANN)).lower()

    await h.send(FAC, "/schedule")
    await h.press(FAC, "Thu 05 Mar 18:30")
    await h.press(FAC, "Move this session")
    assert "doesn't exist" in (await h.send(FAC, "2026-02-30 19:00"))[-1]["text"]
    assert "already passed" in (await h.send(FAC, "2026-03-01 19:00"))[-1]["text"]
    replies = await h.send(FAC, "2026-03-06 19:00")
    assert "Moved the session of Thu 05 Mar 18:30 to Fri 06 Mar 19:00" in replies[-1]["text"]
    await deliver_due(h.app)
    assert "19:00" in await h.last_text(ANN)

    await h.send(FAC, "/schedule")
    await h.press(FAC, "Add a one-off session")
    await h.send(FAC, "2026-03-25 10:00")
    replies = await h.send(FAC, "90 min")
    assert "Added a session on Wed 25 Mar 10:00" in replies[-1]["text"]

    await h.send(FAC, "/schedule")
    await h.press(FAC, "Change the weekly schedule")
    await h.press(FAC, "Set new days")
    await h.send(FAC, "Wed")
    await h.send(FAC, "17:00")
    replies = await h.send(FAC, "1h")
    assert "Wed at 17:00 for 1 hour" in replies[-1]["text"]
    async with h.db() as session:
        rule = (await session.execute(select(SessionRule))).scalar_one()
        assert rule.weekdays == [2]
        moved = (
            (
                await session.execute(
                    select(SessionOccurrence).where(
                        SessionOccurrence.status == OccurrenceStatus.SCHEDULED,
                        SessionOccurrence.rule_id.is_not(None),
                    )
                )
            )
            .scalars()
            .all()
        )
        assert moved and all(o.starts_at.weekday() == 2 for o in moved if o.starts_at.day != 6)


async def test_attendance_prefilled_from_rsvps(bot: BotHarness) -> None:
    h = bot
    await enrol_facilitator(h)
    token = await create_group(h, one_off=None)
    await join(h, ANN, token, "Ann")
    await join(h, BOB, token, "Bob")
    async with h.db() as session:
        first = (
            (await session.execute(select(SessionOccurrence).order_by(SessionOccurrence.starts_at)))
            .scalars()
            .first()
        )
        assert first is not None
        session.add(
            Rsvp(
                occurrence_id=first.id,
                user_id=ANN,
                answer=RsvpAnswer.GOING,
                updated_at=h.clock.now(),
            )
        )
    assert "No past sessions" in (await h.send(FAC, "/attendance"))[-1]["text"]
    h.clock.advance(timedelta(hours=12))
    await h.send(FAC, "/attendance")
    replies = await h.press(FAC, "Mon 02 Mar 18:30")
    labels = [b["text"] for row in replies[-1]["reply_markup"]["inline_keyboard"] for b in row]
    assert "✅ Ann" in labels and "▫️ Bob" in labels
    await h.press(FAC, "Bob")
    replies = await h.press(FAC, "Save")
    assert "2 of 2 present" in replies[-1]["text"]
    await h.press(FAC, "✅ Ann")
    async with h.db() as session:
        marks = dict((await session.execute(select(Attendance.user_id, Attendance.present))).all())
        assert marks == {ANN: False, BOB: True}


async def test_decline_and_remove_tell_the_person(any_bot: BotHarness) -> None:
    h = any_bot
    await enrol_facilitator(h)
    token = await create_group(h, weekly=False, one_off=None, approval=True)
    await join(h, ANN, token, "Ann")
    await join(h, BOB, token, "Bob")
    await h.send(FAC, "/members")
    await h.press(FAC, "✅ Ann")
    replies = await h.press(FAC, "✖️ Bob")
    assert "Declined Bob" in replies[-1]["text"]
    await h.press(FAC, "✖️ Bob")
    assert (await h.answers())[-1]["text"] == "That request was already handled."
    await deliver_due(h.app)
    assert "wasn't accepted" in await h.last_text(BOB)

    await h.send(FAC, "/members")
    await h.press(FAC, "Remove a member")
    await h.press(FAC, "Ann")
    replies = await h.press(FAC, "Yes, remove")
    assert "Removed Ann" in replies[-1]["text"]
    await deliver_due(h.app)
    assert "removed you from" in await h.last_text(ANN)
    async with h.db() as session:
        statuses = dict(
            (await session.execute(select(Membership.user_id, Membership.status))).all()
        )
        assert statuses[ANN] == MemberStatus.REMOVED and statuses[BOB] == MemberStatus.DECLINED
    replies = await h.send(FAC, "/members")
    assert "No members yet" in replies[-1]["text"]
