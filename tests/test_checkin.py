"""Daily check-in: mood, feelings, note; one per local day; old, repeated and forged buttons."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from storage.models import ChatState, CheckIn
from storage.repositories.checkins import get_checkin
from tests.harness import BotHarness, count_rows
from tests.test_participant_support import APOLOGY, texts_of

MONDAY = date(2026, 3, 2)  # the harness starts Monday 09:00 UTC = 10:00 in Berlin


async def _checkin(h: BotHarness, uid: int, mood: str, *, tags: tuple[str, ...] = (),
                   note: str | None = None) -> list[dict[str, object]]:
    await h.send(uid, "/checkin")
    await h.press(uid, mood)
    for tag in tags:
        await h.press(uid, tag)
    await h.press(uid, "Done")
    if note is None:
        return await h.press(uid, "Skip")
    return await h.send(uid, note)


async def test_checkin_on_sqlite_and_postgres(any_bot: BotHarness) -> None:
    await any_bot.onboard(21)
    replies = await _checkin(any_bot, 21, "5 😄", tags=("grateful", "tired"), note="Good day")
    assert "Thank you for checking in" in texts_of(replies)
    async with any_bot.db() as session:
        checkin = await get_checkin(session, 21, MONDAY)
        assert checkin is not None and checkin.mood == 5
        assert checkin.tags == ["grateful", "tired"]
        assert any_bot.services.cipher.decrypt(checkin.note_enc) == "Good day"
        assert await count_rows(session, ChatState) == 0


async def test_second_checkin_same_day_asks_then_replaces(any_bot: BotHarness) -> None:
    await any_bot.onboard(22)
    await _checkin(any_bot, 22, "2 🙁", tags=("sad",), note="meh")
    replies = await any_bot.send(22, "/checkin")
    assert "already checked in today" in texts_of(replies)
    replies = await any_bot.press(22, "No, keep it")
    assert "kept" in texts_of(replies)
    await any_bot.send(22, "/checkin")
    await any_bot.press(22, "Yes, check in again")
    await any_bot.press(22, "4 🙂")
    await any_bot.press(22, "Done")
    replies = await any_bot.press(22, "Skip")
    assert "replaces your earlier check-in" in texts_of(replies)
    async with any_bot.db() as session:
        rows = (await session.execute(select(CheckIn))).scalars().all()
        assert len(rows) == 1 and rows[0].mood == 4 and rows[0].tags == []
        assert rows[0].note_enc is None


async def test_prompt_button_of_the_same_day_records_that_day(bot: BotHarness) -> None:
    await bot.onboard(23)
    replies = await bot.press(23, data="ci:m:20260302:3", message_id=await _any_message(bot, 23))
    assert "Which feelings fit today" in texts_of(replies)
    async with bot.db() as session:
        assert (await get_checkin(session, 23, MONDAY)) is not None


async def test_old_prompt_button_explains_kindly_and_offers_today(bot: BotHarness) -> None:
    await bot.onboard(24)
    message_id = await _any_message(bot, 24)
    bot.clock.advance(timedelta(days=1))
    replies = await bot.press(24, data="ci:m:20260302:3", message_id=message_id)
    assert "that day is over" in texts_of(replies)
    async with bot.db() as session:
        assert await count_rows(session, CheckIn) == 0
    # The offered buttons are for today (Tuesday).
    await bot.press(24, "3 😐")
    async with bot.db() as session:
        assert (await get_checkin(session, 24, MONDAY + timedelta(days=1))) is not None


async def test_local_day_follows_the_participants_zone(bot: BotHarness) -> None:
    # 09:00 UTC on Monday is already 18:00 Monday in Tokyo; 01:00 UTC Tuesday is Tuesday there.
    await bot.onboard(25, zone="Asia/Tokyo")
    bot.clock.advance(timedelta(hours=16))  # Tuesday 01:00 UTC = Tuesday 10:00 Tokyo
    await _checkin(bot, 25, "4 🙂")
    async with bot.db() as session:
        assert (await get_checkin(session, 25, MONDAY + timedelta(days=1))) is not None


async def test_repeated_and_forged_buttons_change_nothing(bot: BotHarness) -> None:
    await bot.onboard(26)
    await bot.send(26, "/checkin")
    mood_message = await bot.find_button_message(26, "4 🙂")
    await bot.press(26, "4 🙂")
    answers_before = len(await bot.answers())
    await bot.press(26, data="ci:m:20260302:4", message_id=mood_message)  # same mood again
    tags_message = await bot.find_button_message(26, "Done")
    for data in ["ci:m:20260302:9", "ci:m:2026030:4", "ci:m:20261302:4", "ci:m:20260303:4",
                 "ci:t:99", "ci:t:-1", "ci:t", "ci:zz", "ci:m", "ci:upd:20260302",
                 "ci:skip", "ci:keep:x"]:
        await bot.press(26, data=data, message_id=tags_message)
    assert len(await bot.answers()) == answers_before + 13
    await bot.press(26, "Done")
    await bot.press(26, data="ci:done", message_id=tags_message)  # Done again
    replies = await bot.press(26, "Skip")
    await bot.press(26, data="ci:skip", message_id=tags_message)  # Skip again
    assert texts_of(replies).count("Thank you for checking in") == 1
    async with bot.db() as session:
        checkin = await get_checkin(session, 26, MONDAY)
        assert checkin is not None and checkin.mood == 4 and checkin.tags == []
    assert APOLOGY not in texts_of(await bot.emu.messages(26))


async def test_mood_can_be_changed_while_the_checkin_is_open(bot: BotHarness) -> None:
    await bot.onboard(27)
    await bot.send(27, "/checkin")
    mood_message = await bot.find_button_message(27, "4 🙂")
    await bot.press(27, "4 🙂")
    await bot.press(27, data="ci:m:20260302:2", message_id=mood_message)
    assert "Changed your mood" in (await bot.answers())[-1]["text"]
    async with bot.db() as session:
        checkin = await get_checkin(session, 27, MONDAY)
        assert checkin is not None and checkin.mood == 2


async def test_note_validation_and_typing_at_button_steps(bot: BotHarness) -> None:
    await bot.onboard(28)
    await bot.send(28, "/checkin")
    await bot.press(28, "3 😐")
    replies = await bot.send(28, "I feel calm")  # typed while feelings are expected
    assert "tap the feelings" in texts_of(replies)
    await bot.press(28, "Done")
    replies = await bot.send(28, "x" * 1001)
    assert "a bit long" in texts_of(replies) and "1000" in texts_of(replies)
    replies = await bot.send(28, "x" * 1000)
    assert "Thank you for checking in" in texts_of(replies)


async def test_checkin_survives_a_restart(bot: BotHarness) -> None:
    await bot.onboard(29)
    await bot.send(29, "/checkin")
    await bot.press(29, "4 🙂")
    await bot.press(29, "calm")
    await bot.restart()
    await bot.press(29, "anxious")
    await bot.press(29, "Done")
    await bot.send(29, "after restart")
    async with bot.db() as session:
        checkin = await get_checkin(session, 29, MONDAY)
        assert checkin is not None and checkin.tags == ["calm", "anxious"]


async def test_cancel_leaves_the_checkin_flow(bot: BotHarness) -> None:
    await bot.onboard(30)
    await bot.send(30, "/checkin")
    await bot.press(30, "4 🙂")
    await bot.press(30, "Done")
    assert "stopped" in texts_of(await bot.send(30, "/cancel"))
    assert "not sure what to do" in texts_of(await bot.send(30, "just chatting"))
    async with bot.db() as session:
        checkin = await get_checkin(session, 30, MONDAY)
        assert checkin is not None and checkin.note_enc is None  # the mood was kept


async def test_not_onboarded_person_is_asked_to_finish_first(bot: BotHarness) -> None:
    replies = await bot.send(31, "/checkin")
    assert "finish setting you up" in texts_of(replies)
    await bot.send(31, "/start")
    await bot.press(31, data="ci:m:20260302:4", message_id=await _any_message(bot, 31))
    assert "finish setting you up" in (await bot.answers())[-1]["text"]
    async with bot.db() as session:
        assert await count_rows(session, CheckIn) == 0


async def test_streak_counts_days_forgivingly(bot: BotHarness) -> None:
    await bot.onboard(32)
    for day in range(4):
        if day != 2:  # one missed day is forgiven
            replies = await _checkin(bot, 32, "4 🙂")
        bot.clock.advance(timedelta(days=1))
    assert "3 days" in texts_of(replies)


async def _any_message(h: BotHarness, uid: int) -> int:
    messages = await h.emu.messages(uid)
    return int(messages[-1]["message_id"])


async def test_risk_language_typed_at_a_button_step_gets_crisis_resources(bot: BotHarness) -> None:
    await bot.onboard(33)
    await bot.send(33, "/checkin")
    await bot.press(33, "2 🙁")
    replies = await bot.send(33, "i want to die")
    sos = await bot.send(33, "/sos")
    assert sos[0]["text"].split("\n")[0] in texts_of(replies)
    assert "tap the feelings" not in texts_of(replies)


async def test_confirmation_is_calm_after_a_low_mood_or_a_risky_note(bot: BotHarness) -> None:
    """After a hard day or words of danger, no streak and no cheerful "see you tomorrow"."""
    await bot.onboard(34)
    replies = await _checkin(bot, 34, "2 🙁")
    said = texts_of(replies)
    assert "Your check-in is saved" in said
    assert "see you tomorrow" not in said and "Thank you for checking in" not in said
    bot.clock.advance(timedelta(days=1))
    replies = await _checkin(bot, 34, "4 🙂", note="honestly i want to die")
    said = texts_of(replies)
    assert "Thank you for telling me" in said  # the crisis reply
    assert "Your check-in is saved" in said
    assert "see you tomorrow" not in said and "days</b>" not in said and "2 days" not in said
    async with bot.db() as session:
        checkin = await get_checkin(session, 34, MONDAY + timedelta(days=1))
        assert checkin is not None and checkin.mood == 4 and checkin.note_enc is not None
    bot.clock.advance(timedelta(days=1))
    said = texts_of(await _checkin(bot, 34, "3 😐", note="An ordinary day"))
    assert "Thank you for checking in" in said and "3 days" in said  # the usual warmth
