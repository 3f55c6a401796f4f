"""/settings: each change is saved and applies to the next prompt without a restart."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from storage.models import Delivery
from storage.repositories.users import get_user
from tests.harness import BotHarness
from tests.test_participant_support import APOLOGY, texts_of


async def _user(h: BotHarness, uid: int):  # type: ignore[no-untyped-def]
    async with h.db() as session:
        user = await get_user(session, uid)
        assert user is not None
        return user


async def test_time_zone_and_time_change_reschedule_the_prompt(any_bot: BotHarness) -> None:
    await any_bot.onboard(41, zone="Europe/Berlin", checkin="20:00")
    assert (await _user(any_bot, 41)).next_prompt_at == datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    replies = await any_bot.send(41, "/settings")
    assert "Europe/Berlin" in texts_of(replies) and "20:00" in texts_of(replies)
    await any_bot.press(41, "Time zone")
    replies = await any_bot.send(41, "Nowhere/Land")
    assert "Europe/Berlin" in texts_of(replies)  # the example in the re-ask
    await any_bot.press(41, "New York")
    user = await _user(any_bot, 41)
    assert user.timezone == "America/New_York"
    assert user.next_prompt_at == datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # 20:00 EST
    await any_bot.press(41, "Check-in time")
    replies = await any_bot.send(41, "quarter past")
    assert "08:30" in texts_of(replies)
    await any_bot.send(41, "7:30am")
    user = await _user(any_bot, 41)
    assert user.checkin_time == time(7, 30)
    assert user.next_prompt_at == datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


async def test_toggles_carry_their_value(bot: BotHarness) -> None:
    await bot.onboard(42)
    await bot.send(42, "/settings")
    off_message = await bot.find_button_message(42, "Turn reminders off")
    await bot.press(42, "Turn reminders off")
    assert (await _user(bot, 42)).next_prompt_at is None
    await bot.press(42, data="pset:prompts:off", message_id=off_message)  # twice: still off
    user = await _user(bot, 42)
    assert user.prompts_enabled is False and user.next_prompt_at is None
    await bot.press(42, "Turn reminders on")
    await bot.press(42, "summaries only")
    await bot.press(42, "Stop receiving")
    user = await _user(bot, 42)
    assert user.prompts_enabled and user.next_prompt_at is not None
    assert user.share_with_facilitators is False and user.receive_shares is False


async def test_away_mode_skips_prompts_and_plans_a_welcome_back(any_bot: BotHarness) -> None:
    await any_bot.onboard(43, checkin="20:00")
    await any_bot.send(43, "/settings")
    await any_bot.press(43, "Away mode")
    replies = await any_bot.send(43, "ninety")
    assert "number of days" in texts_of(replies)
    replies = await any_bot.send(43, "3 days")
    assert "No check-in reminders until" in texts_of(replies)
    user = await _user(any_bot, 43)
    # Monday 10:00 + 3 days: prompts resume Thursday 20:00 Berlin.
    assert user.next_prompt_at == datetime(2026, 3, 5, 19, 0, tzinfo=UTC)
    async with any_bot.db() as session:
        notice = (await session.execute(select(Delivery))).scalar_one()
        assert notice.recipient_id == 43 and notice.kind == "notice"
        assert notice.due_at == datetime(2026, 3, 5, 18, 59, tzinfo=UTC)
        assert "Welcome back" in notice.payload["text"]
    await any_bot.send(43, "/settings")
    replies = await any_bot.press(43, "End away mode")
    assert "welcome back" in texts_of(replies)
    assert (await _user(any_bot, 43)).next_prompt_at == datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    async with any_bot.db() as session:
        assert (await session.execute(select(Delivery))).scalars().all() == []


async def test_forged_settings_buttons_are_answered(bot: BotHarness) -> None:
    await bot.onboard(44)
    await bot.send(44, "/settings")
    message_id = await bot.find_button_message(44, "Time zone")
    before = await _user(bot, 44)
    answered = len(await bot.answers())
    forged = ["pset:tzv:99", "pset:tzv:x", "pset:timev:2599", "pset:timev:12", "pset:awayv:0",
              "pset:awayv:999", "pset:prompts:maybe", "pset:vis", "pset:nope", "pset:tz:1:2"]
    for data in forged:
        await bot.press(44, data=data, message_id=message_id)
    assert len(await bot.answers()) == answered + len(forged)
    after = await _user(bot, 44)
    assert (after.timezone, after.checkin_time, after.away_until, after.prompts_enabled) == (
        before.timezone, before.checkin_time, before.away_until, before.prompts_enabled
    )
    assert APOLOGY not in texts_of(await bot.emu.messages(44))


async def test_changes_apply_without_a_restart_and_survive_one(bot: BotHarness) -> None:
    await bot.onboard(45)
    await bot.send(45, "/settings")
    await bot.press(45, "Check-in time")
    await bot.restart()
    await bot.send(45, "21:30")  # the flow step was kept in the database
    assert (await _user(bot, 45)).checkin_time == time(21, 30)
    bot.clock.advance(timedelta(hours=1))
    assert "21:30" in texts_of(await bot.send(45, "/settings"))
