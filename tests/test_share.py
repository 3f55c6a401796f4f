"""Shared reflections: offered after a check-in, delivered in one evening digest with a
one-tap Send support; the author learns how many, never who; facilitators can remove one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.outbox import NOTICE, SHARE_BATCH
from storage.models import Share, ShareStatus, Support, User
from tests.harness import BotHarness, count_rows
from tests.test_safety_helpers import deliveries, make_group, texts_of, tick

NOTE = "Hard day, but the walk helped <3"


async def setup(h: BotHarness) -> int:
    """Ann (1) and Ben (2) in a group led by Fay (10)."""
    await h.onboard(1, first_name="Ann")
    await h.onboard(2, first_name="Ben")
    await h.onboard(10, first_name="Fay")
    return await make_group(h, facilitators=(10,), participants=(1, 2))


async def checkin_with_note(h: BotHarness, user_id: int, note: str, mood: str = "3 ") -> list:
    await h.send(user_id, "/checkin")
    await h.press(user_id, mood)
    await h.press(user_id, "Done")
    return await h.send(user_id, note)


async def share_note(h: BotHarness, user_id: int, how: str = "Anonymously") -> list:
    replies = await checkin_with_note(h, user_id, NOTE)
    assert "share a reflection" in texts_of(replies)
    await h.press(user_id, "Share a reflection")
    await h.press(user_id, how)
    return await h.press(user_id, "Share my note")


async def last_digest(h: BotHarness, chat_id: int) -> str:
    """The newest digest of reflections in a chat."""
    for message in reversed(await h.emu.messages(chat_id)):
        if "Reflections from your group" in str(message.get("text")):
            return str(message["text"])
    raise AssertionError("no digest")


async def press_data(h: BotHarness, user_id: int, data: str) -> list:
    """Press a button with this data (an old message's button, replayed)."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("old", callback_data=data)]])
    message = await h.app.bot.send_message(user_id, "old message", reply_markup=keyboard)
    return await h.press(user_id, data=data, message_id=message.message_id)


async def evening(h: BotHarness) -> None:
    """Move to 19:00 in Berlin (the default digest time) on the start day."""
    h.clock.advance(timedelta(hours=9))


async def test_anonymous_share_support_once_and_author_learns_the_count(
    any_bot: BotHarness,
) -> None:
    h = any_bot
    await setup(h)
    replies = await share_note(h, 1)
    assert "Shared with" in texts_of(replies)
    assert await tick(h, SHARE_BATCH) == []  # not before the evening
    await evening(h)
    sent = await tick(h, SHARE_BATCH)
    assert sorted(d.recipient_id for d in sent) == [2, 10]  # never to the author
    digest = await last_digest(h, 2)
    assert "Hard day, but the walk helped <3" in digest
    assert "Someone in the group" in digest and "Ann" not in digest
    await h.press(2, "Send support")
    await h.press(2, "Send support")
    answers = await h.answers()
    assert answers[-2]["text"] == "Support sent 💚"
    assert "already" in answers[-1]["text"]
    async with h.db() as session:
        assert await count_rows(session, Support) == 1
    notices = await tick(h, NOTICE)
    assert [d.recipient_id for d in notices] == [1]
    told = await h.last_text(1)
    assert told.startswith("1 person sent you support 💚")
    assert "Ben" not in told
    # A second tap from someone else is batched: not within the hour, then the new count.
    await h.press(10, "Send support")
    assert await tick(h, NOTICE) == []
    h.clock.advance(timedelta(hours=1))
    await tick(h, NOTICE)
    assert (await h.last_text(1)).startswith("2 people sent you support 💚")


async def test_named_share_and_one_digest_a_day(bot: BotHarness) -> None:
    await setup(bot)
    await share_note(bot, 1, how="With my name")
    bot.clock.advance(timedelta(hours=1))
    await bot.send(1, "/checkin")
    await bot.press(1, "Yes")  # update today's check-in
    await bot.press(1, "4 ")
    await bot.press(1, "Done")
    await bot.press(1, "Skip")
    await bot.press(1, "Share a reflection")
    await bot.press(1, "Anonymously")
    await bot.send(1, "Second thought of the day")
    await evening(bot)
    await tick(bot, SHARE_BATCH)
    batches = [d for d in await deliveries(bot, SHARE_BATCH) if d.recipient_id == 2]
    assert len(batches) == 1
    digest = await last_digest(bot, 2)
    assert "Ann" in digest and "Second thought of the day" in digest
    # Nothing more the same evening, nor the next one without new reflections.
    bot.clock.advance(timedelta(days=1))
    await tick(bot, SHARE_BATCH)
    assert len([d for d in await deliveries(bot, SHARE_BATCH) if d.recipient_id == 2]) == 1


async def test_facilitator_removes_and_support_stops_working(bot: BotHarness) -> None:
    await setup(bot)
    await share_note(bot, 1)
    await evening(bot)
    await tick(bot, SHARE_BATCH)
    # Ben cannot remove: he has no button, and forged data is refused.
    async with bot.db() as session:
        share = (await session.execute(select(Share))).scalar_one()
    ben_digest = [m for m in await bot.emu.messages(2) if "Reflections" in str(m.get("text"))]
    assert "Send support" in str(ben_digest[-1]["reply_markup"])
    assert "Remove" not in str(ben_digest[-1]["reply_markup"])
    await press_data(bot, 2, f"sh:rm:{share.id}")
    assert "Only the group's facilitators" in (await bot.answers())[-1]["text"]
    await bot.press(10, "Remove")
    assert "Removed" in (await bot.answers())[-1]["text"]
    async with bot.db() as session:
        share = (await session.execute(select(Share))).scalar_one()
        assert share.status == ShareStatus.REMOVED and share.removed_by == 10
    await bot.press(2, "Send support")
    assert "no longer shared" in (await bot.answers())[-1]["text"]
    async with bot.db() as session:
        assert await count_rows(session, Support) == 0
    await tick(bot, NOTICE)
    assert "A facilitator removed a reflection" in await bot.last_text(1)


async def test_risky_reflection_is_held_for_facilitators(bot: BotHarness) -> None:
    await setup(bot)
    await checkin_with_note(bot, 1, "ok day")
    await bot.press(1, "Share a reflection")
    await bot.press(1, "Anonymously")
    await bot.press(1, "Write something new")
    replies = await bot.send(1, "I think I want to kill myself")
    text = texts_of(replies)
    assert "emergency" in text and "group won't see it" in text
    async with bot.db() as session:
        share = (await session.execute(select(Share))).scalar_one()
        assert share.status == ShareStatus.HELD
    await evening(bot)
    await tick(bot)
    assert [d for d in await deliveries(bot, SHARE_BATCH)] == []
    alert_text = await bot.last_text(10)
    assert "held back" in alert_text and "kill" not in alert_text
    replies = await bot.press(10, "Show the held reflection")
    assert "I think I want to kill myself" in texts_of(replies)


async def test_limits_length_rate_and_opt_out(bot: BotHarness) -> None:
    await setup(bot)
    async with bot.db() as session:
        ben = await session.get(User, 2)
        assert ben is not None
        ben.receive_shares = False
    await checkin_with_note(bot, 1, "fine")
    await bot.press(1, "Share a reflection")
    await bot.press(1, "With my name")
    await bot.press(1, "Write something new")
    replies = await bot.send(1, "x" * 1001)
    assert "keep it under 1000" in texts_of(replies)
    replies = await bot.send(1, "<b>bold</b> & fine")
    assert "Shared with" in texts_of(replies)
    for i in range(4):
        await press_data(bot, 1, "sh:go:0")
        await bot.press(1, "With my name")
        await bot.send(1, f"share {i}")
    await press_data(bot, 1, "sh:a:0:0:0")
    replies = await bot.send(1, "one too many")
    assert "daily limit" in texts_of(replies)
    async with bot.db() as session:
        assert await count_rows(session, Share) == 5
    await evening(bot)
    sent = await tick(bot, SHARE_BATCH)
    assert [d.recipient_id for d in sent] == [10]  # Ben opted out
    assert "&lt;b&gt;bold&lt;/b&gt;" not in await last_digest(bot, 10)  # shown as text, escaped
    assert "<b>bold</b> & fine" in await last_digest(bot, 10)


async def test_no_share_offer_at_a_hard_moment(bot: BotHarness) -> None:
    """No invitation to share after a mood of 1, a risky note, or a check-in that just set off
    a low-mood alert and resource offer; an ordinary low day still gets it."""
    from datetime import date

    from tests.test_safety_helpers import add_checkin

    await setup(bot)
    said = texts_of(await checkin_with_note(bot, 1, "rough", mood="1 "))
    assert "share a reflection" not in said
    said = texts_of(await checkin_with_note(bot, 2, "not great", mood="2 "))
    assert "share a reflection" in said  # one low day alone is not a pattern
    bot.clock.advance(timedelta(days=1))
    said = texts_of(await checkin_with_note(bot, 2, "I want to die", mood="3 "))
    assert "Thank you for telling me" in said and "share a reflection" not in said
    await add_checkin(bot, 1, date(2026, 3, 3), 2)  # Ann: 1 (Monday), 2 (Tuesday)
    bot.clock.advance(timedelta(days=1))
    said = texts_of(await checkin_with_note(bot, 1, "same again", mood="2 "))
    assert "sound really hard" in said  # the low-mood pattern fired with this check-in
    assert "share a reflection" not in said
