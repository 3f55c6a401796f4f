"""/mood: a text summary with fewer than two check-ins, a PNG chart (with WHO-5) otherwise."""

from __future__ import annotations

from datetime import date, timedelta

from storage.models import Who5Response
from tests.harness import BotHarness
from tests.test_participant_support import texts_of


async def _checkin(h: BotHarness, uid: int, mood: str) -> None:
    await h.send(uid, "/checkin")
    await h.press(uid, mood)
    await h.press(uid, "Done")
    await h.press(uid, "Skip")


async def test_mood_text_then_chart(bot: BotHarness) -> None:
    await bot.onboard(71)
    assert "No check-ins in the last 30 days yet" in texts_of(await bot.send(71, "/mood"))
    await _checkin(bot, 71, "2 🙁")
    replies = await bot.send(71, "/mood")
    assert replies[-1]["kind"] == "text" and "checked in 1 time" in replies[-1]["text"]
    bot.clock.advance(timedelta(days=1))
    await _checkin(bot, 71, "5 😄")
    async with bot.db() as session:
        session.add(Who5Response(user_id=71, local_date=date(2026, 3, 3), answers=[4] * 5,
                                 score=80, created_at=bot.clock.now()))
    replies = await bot.send(71, "/mood")
    assert replies[-1]["kind"] == "photo"
    assert "average 3.5" in replies[-1]["caption"] and "2-day streak" in replies[-1]["caption"]
    png = await bot.emu.file_bytes(replies[-1]["photo"]["file_id"])
    assert png[:4] == b"\x89PNG"


async def test_mood_before_onboarding(bot: BotHarness) -> None:
    assert "finish setting you up" in texts_of(await bot.send(72, "/mood"))
