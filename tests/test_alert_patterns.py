"""Pattern alerts: low moods on consecutive check-ins and days without a check-in raise one
alert per episode, only for members who allowed it; the others are offered resources."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.delivery.outbox import ALERT, NOTICE
from bot.safety.patterns import PatternRules, matched_rule, rules_from
from storage.models import Alert
from tests.harness import BotHarness
from tests.test_safety_helpers import add_checkin, make_group, sent_text, texts_of, tick


async def checkin(h: BotHarness, user_id: int, mood: int) -> list:
    await h.send(user_id, "/checkin")
    await h.press(user_id, f"{mood} ")
    await h.press(user_id, "Done")
    return await h.press(user_id, "Skip")


async def alerts(h: BotHarness) -> list[Alert]:
    async with h.db() as session:
        return list((await session.execute(select(Alert).order_by(Alert.id))).scalars())


def test_rules() -> None:
    rules = PatternRules()
    assert matched_rule([3, 1, 1], rules) == "mood_1x2"
    assert matched_rule([2, 2, 2], rules) == "mood_2x3"
    assert matched_rule([1, 2], rules) is None and matched_rule([2, 3, 2], rules) is None
    assert rules_from({"PATTERN_MISSED_DAYS": "5", "PATTERN_LOW_RUN": "x"}).missed_days == 5


async def test_two_lowest_moods_in_a_row_alert_once(any_bot: BotHarness) -> None:
    h = any_bot
    await h.onboard(1, first_name="Ann")
    await h.onboard(10, first_name="Fay")
    await make_group(h, facilitators=(10,), participants=(1,))
    await add_checkin(h, 1, date(2026, 3, 1), 1)
    replies = await checkin(h, 1, 1)
    assert "sound really hard" in texts_of(replies)
    (alert,) = await alerts(h)
    assert alert.kind == "low_mood" and alert.episode_key == "mood:1:1:20260301"
    sent = await tick(h, ALERT)
    assert "lowest mood (1) twice in a row" in await sent_text(h, sent[0])
    h.clock.advance(timedelta(days=1))
    replies = await checkin(h, 1, 2)  # the same episode goes on: no new alert, no new offer
    assert "sound really hard" not in texts_of(replies)
    assert len(await alerts(h)) == 1
    h.clock.advance(timedelta(days=1))
    await checkin(h, 1, 4)
    for _ in range(2):
        h.clock.advance(timedelta(days=1))
        await checkin(h, 1, 1)
    assert len(await alerts(h)) == 2  # a new episode


async def test_private_member_gets_an_offer_not_an_alert(bot: BotHarness) -> None:
    await bot.onboard(2, first_name="Ben", visible=False)
    await bot.onboard(10, first_name="Fay")
    await make_group(bot, facilitators=(10,), participants=(2,))
    await add_checkin(bot, 2, date(2026, 2, 28), 2)
    await add_checkin(bot, 2, date(2026, 3, 1), 2)
    replies = await checkin(bot, 2, 2)
    assert "sound really hard" in texts_of(replies)
    assert await alerts(bot) == []


async def test_missed_checkins_alert_once_in_daytime(bot: BotHarness) -> None:
    start = bot.clock.now()
    await bot.onboard(1, first_name="Ann")
    await bot.onboard(2, first_name="Ben", visible=False)
    await bot.onboard(10, first_name="Fay")
    await make_group(bot, facilitators=(10,), participants=(1, 2), joined=start)
    bot.clock.advance(timedelta(days=3))
    await tick(bot)
    assert await alerts(bot) == []
    bot.clock.advance(timedelta(days=1))  # Friday 10:00 Berlin: Tue, Wed, Thu missed
    sent = await tick(bot, ALERT)
    (alert,) = await alerts(bot)
    assert alert.user_id == 1 and alert.kind == "missed_checkins"
    assert "has not checked in for 3 days" in await sent_text(bot, sent[0])
    notices = [d for d in await tick(bot, NOTICE)]
    async with bot.db() as session:
        from storage.models import Delivery

        offers = (
            await session.execute(select(Delivery).where(Delivery.key.like("missed-offer:%")))
        ).scalars().all()
    assert [d.recipient_id for d in offers] == [2]
    assert notices == [] or all(d.recipient_id == 2 for d in notices)
    bot.clock.advance(timedelta(hours=2))
    await tick(bot)
    assert len(await alerts(bot)) == 1
