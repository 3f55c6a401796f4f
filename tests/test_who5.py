"""The weekly WHO-5 check: offered after the first check-in of a week in groups that enabled
it; score x4; a low score or a drop is surfaced to the participant and, with permission, to
the facilitator; `who5_points` gives the trend."""

from __future__ import annotations

from datetime import date, timedelta

from bot.delivery.outbox import ALERT
from bot.safety.who5 import concern, score, who5_points
from storage.models import Alert
from tests.harness import BotHarness
from tests.test_safety_helpers import add_checkin, make_group, sent_text, texts_of, tick


async def checkin(h: BotHarness, user_id: int) -> list:
    await h.send(user_id, "/checkin")
    await h.press(user_id, "3 ")
    await h.press(user_id, "Done")
    return await h.press(user_id, "Skip")


async def answer_all(h: BotHarness, user_id: int, label: str) -> str:
    await h.press(user_id, "Start")
    for _ in range(5):
        await h.press(user_id, label)
    return await h.last_text(user_id)


def test_scoring_and_concerns() -> None:
    assert score([5, 5, 5, 5, 5]) == 100 and score([0, 1, 2, 3, 4]) == 40
    assert concern(48, None) == ("who5_low", 0)
    assert concern(60, 72) == ("who5_drop", 12)
    assert concern(64, 72) is None and concern(50, None) is None


async def test_weekly_check_low_score_alerts_with_permission(any_bot: BotHarness) -> None:
    h = any_bot
    await h.onboard(1, first_name="Ann")
    await h.onboard(10, first_name="Fay")
    await make_group(h, facilitators=(10,), participants=(1,), who5=True)
    replies = await checkin(h, 1)
    assert "Weekly well-being check" in texts_of(replies)
    text = await answer_all(h, 1, "3 · More than half")
    assert "60/100" in text and "hard lately" not in text
    # Next week, a drop of 20 points: surfaced to Ann and her facilitator.
    h.clock.advance(timedelta(days=7))
    await checkin(h, 1)
    text = await answer_all(h, 1, "2 · Less than half")
    assert "40/100" in text and "hard lately" in text and "facilitator know" in text
    sent = await tick(h, ALERT)
    assert [d.recipient_id for d in sent] == [10]
    alert_text = await sent_text(h, sent[0])
    assert "WHO-5" in alert_text and "40/100" in alert_text
    async with h.db() as session:
        points = await who5_points(session, 1, date(2026, 3, 1))
    assert points == [(date(2026, 3, 2), 60), (date(2026, 3, 9), 40)]


async def test_private_member_only_gets_resources_and_not_offered_twice(bot: BotHarness) -> None:
    await bot.onboard(2, first_name="Ben", visible=False)
    await bot.onboard(10, first_name="Fay")
    await make_group(bot, facilitators=(10,), participants=(2,), who5=True)
    await add_checkin(bot, 2, date(2026, 3, 1), 3)  # Sunday: last week
    await checkin(bot, 2)
    text = await answer_all(bot, 2, "1 · Some")
    assert "20/100" in text and "hard lately" in text and "facilitator know" not in text
    assert await tick(bot, ALERT) == []
    async with bot.db() as session:
        from sqlalchemy import select

        assert (await session.execute(select(Alert))).first() is None
    bot.clock.advance(timedelta(days=1))
    replies = await checkin(bot, 2)
    assert "Weekly well-being check" not in texts_of(replies)


async def test_not_offered_without_enabled_group_and_forged_data(bot: BotHarness) -> None:
    await bot.onboard(3)
    await bot.onboard(10)
    await make_group(bot, facilitators=(10,), participants=(3,))
    replies = await checkin(bot, 3)
    assert "Weekly well-being check" not in texts_of(replies)
    from tests.test_share import press_data

    for data in ("w5:a:9", "w5:a:1234567", "w5:x:1"):
        await press_data(bot, 3, data)
    assert all("no longer works" in a["text"] for a in (await bot.answers())[-3:])
