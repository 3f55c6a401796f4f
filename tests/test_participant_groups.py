"""/sessions, /groups and /leave for participants."""

from __future__ import annotations

from datetime import timedelta

from storage.models import MemberStatus, Rsvp, RsvpAnswer
from storage.repositories.joining import get_membership
from tests.harness import BotHarness
from tests.test_participant_support import add_session, make_group, texts_of


async def test_sessions_lists_upcoming_in_my_zone_with_rsvp_buttons(any_bot: BotHarness) -> None:
    h = any_bot
    await h.onboard(51, zone="Asia/Tokyo")
    assert "not in a group yet" in texts_of(await h.send(51, "/sessions"))
    group_id, token = await make_group(h, "Sunday <Circle>")
    other_id, _ = await make_group(h, "Not mine")
    await h.send(51, f"/join {token}")
    assert "No upcoming sessions" in texts_of(await h.send(51, "/sessions"))
    now = h.clock.now()
    first = await add_session(h, group_id, now + timedelta(days=1))  # Tue 09:00 UTC
    await add_session(h, group_id, now - timedelta(hours=1))  # past
    await add_session(h, other_id, now + timedelta(days=1))  # another group
    async with h.db() as session:
        session.add(Rsvp(occurrence_id=first, user_id=51, answer=RsvpAnswer.LATE, updated_at=now))
    replies = await h.send(51, "/sessions")
    assert len(replies) == 2
    assert "Asia/Tokyo" in replies[0]["text"]
    text = replies[1]["text"]
    assert "Sunday <Circle>" in text and "Tue 3 Mar, 18:00" in text and "Running late" in text
    buttons = [b["callback_data"] for row in replies[1]["reply_markup"]["inline_keyboard"]
               for b in row]
    assert buttons == [f"rsvp:going:{first}", f"rsvp:not_going:{first}", f"rsvp:late:{first}"]


async def test_groups_and_leave_with_confirmation(bot: BotHarness) -> None:
    g1, t1 = await make_group(bot, "Alpha")
    g2, t2 = await make_group(bot, "Beta", approval=True)
    await bot.onboard(52)
    await bot.send(52, f"/join {t1}")
    await bot.send(52, f"/join {t2}")
    text = texts_of(await bot.send(52, "/groups"))
    assert "Alpha — member" in text and "Beta — waiting" in text
    replies = await bot.send(52, "/leave")
    assert "Which group" in texts_of(replies)
    await bot.press(52, "Alpha")
    replies = await bot.press(52, "No, stay")
    assert "staying" in texts_of(replies)
    await bot.send(52, "/leave")
    await bot.press(52, "Alpha")
    confirm = await bot.find_button_message(52, "Yes, leave")
    replies = await bot.press(52, "Yes, leave")
    assert "You've left Alpha" in texts_of(replies)
    now = int(bot.clock.now().timestamp())
    await bot.press(52, data=f"pleave:yes:{g1}:{now}", message_id=confirm)  # pressed twice
    assert "not a member" in (await bot.answers())[-1]["text"]
    await bot.press(52, data="pleave:yes:500", message_id=confirm)  # forged group
    await bot.press(52, data="pleave:yes:abc", message_id=confirm)
    async with bot.db() as session:
        m1 = await get_membership(session, g1, 52)
        m2 = await get_membership(session, g2, 52)
        assert m1 is not None and m1.status == MemberStatus.LEFT
        assert m2 is not None and m2.status == MemberStatus.PENDING
    assert "Alpha" not in texts_of(await bot.send(52, "/groups"))


async def test_facilitator_cannot_leave_as_participant(bot: BotHarness) -> None:
    await make_group(bot, "Mine", facilitator_id=53)
    assert "not a member of any group" in texts_of(await bot.send(53, "/leave"))


async def test_old_leave_confirmation_expires(bot: BotHarness) -> None:
    """A "Yes, leave" from more than ten minutes ago (or without a stamp) changes nothing."""
    g1, t1 = await make_group(bot, "Alpha")
    await bot.onboard(54)
    await bot.send(54, f"/join {t1}")
    await bot.send(54, "/leave")
    confirm = await bot.find_button_message(54, "Yes, leave")
    bot.clock.advance(timedelta(minutes=11))
    await bot.press(54, "Yes, leave")
    assert "expired" in (await bot.answers())[-1]["text"]
    await bot.press(54, data=f"pleave:yes:{g1}", message_id=confirm)  # an unstamped old one
    assert "expired" in (await bot.answers())[-1]["text"]
    async with bot.db() as session:
        member = await get_membership(session, g1, 54)
        assert member is not None and member.status == MemberStatus.ACTIVE
    await bot.send(54, "/leave")
    replies = await bot.press(54, "Yes, leave")
    assert "You've left Alpha" in texts_of(replies)
