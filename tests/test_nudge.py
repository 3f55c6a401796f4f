"""Nudges: one gentle nudge when a prompted check-in is still missing hours later; never
twice a day, never in away mode, never with prompts off, never after a check-in."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.outbox import CHECKIN_PROMPT, NUDGE
from storage.models import User
from tests.harness import BotHarness
from tests.test_safety_helpers import deliveries, tick


async def prompted(h: BotHarness, user_id: int) -> None:
    """Onboard with an 08:00 Berlin check-in and move to the next morning's prompt."""
    await h.onboard(user_id, checkin="08:00")
    h.clock.advance(timedelta(hours=22))  # Tuesday 07:00 UTC = 08:00 Berlin
    sent = await tick(h, CHECKIN_PROMPT)
    assert user_id in [d.recipient_id for d in sent]


async def test_one_nudge_after_the_configured_hours(any_bot: BotHarness) -> None:
    h = any_bot
    await prompted(h, 1)
    h.clock.advance(timedelta(hours=3, minutes=59))
    assert await tick(h, NUDGE) == []
    h.clock.advance(timedelta(minutes=1))
    sent = await tick(h, NUDGE)
    assert [d.recipient_id for d in sent] == [1]
    assert sent[0].key == "nudge:1:20260303"
    assert "gentle nudge" in await h.last_text(1)
    h.clock.advance(timedelta(hours=2))
    assert await tick(h, NUDGE) == []
    assert len(await deliveries(h, NUDGE)) == 1
    # The nudge's buttons check in for that day.
    await h.press(1, "4 ")


async def test_no_nudge_after_checking_in(bot: BotHarness) -> None:
    await prompted(bot, 1)
    await bot.press(1, "3 ")
    await bot.press(1, "Done")
    await bot.press(1, "Skip")
    bot.clock.advance(timedelta(hours=5))
    assert await tick(bot, NUDGE) == []


async def test_no_nudge_when_away_or_prompts_off(bot: BotHarness) -> None:
    await bot.onboard(2, checkin="08:00")
    await prompted(bot, 1)
    bot.clock.advance(timedelta(hours=1))
    async with bot.db() as session:
        one = await session.get(User, 1)
        assert one is not None
        one.away_until = bot.clock.now() + timedelta(days=3)
        two = await session.get(User, 2)
        assert two is not None
        two.prompts_enabled = False
    bot.clock.advance(timedelta(hours=4))
    assert await tick(bot, NUDGE) == []
    assert await deliveries(bot, NUDGE) == []


async def test_nudge_planned_but_checked_in_before_sending_is_skipped(bot: BotHarness) -> None:
    await prompted(bot, 1)
    bot.clock.advance(timedelta(hours=4))
    from bot.safety.nudges import plan_nudges

    async with bot.db() as session:
        assert await plan_nudges(session, bot.services, bot.clock.now()) == 1
    async with bot.db() as session:
        user = await session.get(User, 1)
        assert user is not None
        user.prompts_enabled = False
    assert await tick(bot, NUDGE) == []
    (nudge,) = await deliveries(bot, NUDGE)
    assert nudge.outcome == "prompts off"
