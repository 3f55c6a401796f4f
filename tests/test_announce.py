"""Announcements: too long, scheduled and cancelled, scheduled and sent by the planner, all of
my groups, formatting escaped, drafts dropped."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram import Update

from bot.delivery.outbox import ANNOUNCEMENT
from bot.delivery.testing import deliver_due
from storage.models import Announcement, AnnouncementStatus, Delivery
from tests.harness import BotHarness
from tests.test_facilitator_flow import message_by_id
from tests.test_facilitator_steps import FAC, create_group, enrol_facilitator, join

ANN, BOB = 21, 22


async def _setup(h: BotHarness) -> None:
    await enrol_facilitator(h)
    token = await create_group(h, weekly=False, one_off=None)
    await join(h, ANN, token, "Ann")
    await join(h, BOB, token, "Bob")


async def test_too_long_is_refused_and_nothing_stored(bot: BotHarness) -> None:
    h = bot
    await _setup(h)
    await h.send(FAC, "/announce")
    await h.press(FAC, "Tuesday circle")
    replies = await h.send(FAC, "x" * 4090)
    assert "Telegram allows 4096" in replies[-1]["text"]
    assert "shorten it by" in replies[-1]["text"]
    # Still at the same step: a shorter text is accepted.
    replies = await h.send(FAC, "x" * 4000)
    assert replies[-1]["text"].startswith("📣 Tuesday circle")
    replies = await h.press(FAC, "Cancel")
    assert "not sent" in replies[-1]["text"]
    with pytest.raises(AssertionError):  # the preview's buttons are gone
        await h.find_button_message(FAC, "Send now")
    async with h.db() as session:
        assert (await session.execute(select(Announcement))).first() is None


async def test_scheduled_then_cancelled_is_never_sent(bot: BotHarness) -> None:
    h = bot
    await _setup(h)
    await h.send(FAC, "/announce")
    await h.press(FAC, "Tuesday circle")
    await h.send(FAC, "Later news")
    await h.press(FAC, "Schedule")
    assert "already passed" in (await h.send(FAC, "2026-03-01 08:00"))[-1]["text"]
    replies = await h.send(FAC, "tomorrow 09:00")
    assert "Scheduled for" in replies[-1]["text"]
    await h.send(FAC, "/announce")
    replies = await h.press(FAC, "Scheduled announcements")
    assert "Later news" in replies[-1]["text"]
    await h.press(FAC, "Cancel Tue 03 Mar 09:00")
    h.clock.advance(timedelta(days=2))
    await deliver_due(h.app)
    async with h.db() as session:
        ann = (await session.execute(select(Announcement))).scalar_one()
        assert ann.status == AnnouncementStatus.CANCELLED
        assert (
            await session.execute(select(Delivery).where(Delivery.kind == ANNOUNCEMENT))
        ).first() is None
    assert "Later news" not in await h.last_text(ANN)


async def test_scheduled_goes_out_at_its_time_with_a_report(any_bot: BotHarness) -> None:
    h = any_bot
    await _setup(h)
    await h.send(FAC, "/announce")
    await h.press(FAC, "Tuesday circle")
    await h.send(FAC, "Tomorrow's session is in room 4")
    await h.press(FAC, "Schedule")
    replies = await h.send(FAC, "tomorrow 09:00")
    report_id = replies[-1]["message_id"]
    await deliver_due(h.app)
    assert "room 4" not in await h.last_text(ANN)
    h.clock.advance(timedelta(days=1))
    await deliver_due(h.app)
    assert "room 4" in await h.last_text(ANN) and "room 4" in await h.last_text(BOB)
    report = await message_by_id(h, FAC, report_id)
    assert "2 delivered" in report["text"] and "done" in report["text"]
    assert not (report.get("reply_markup") or {}).get("inline_keyboard")
    # A cancel button pressed after it went out changes nothing.
    await h.press(FAC, data=f"fn:unsched:{1}", message_id=report_id)
    assert "can't be cancelled" in (await h.answers())[-1]["text"]


async def test_all_my_groups_reaches_each_member_once(bot: BotHarness) -> None:
    h = bot
    await enrol_facilitator(h)
    first = await create_group(h, weekly=False, one_off=None)
    second = await create_group(h, name="Thursday circle", weekly=False, one_off=None)
    await join(h, ANN, first, "Ann")
    await h.send(ANN, f"/join {second}")
    await join(h, BOB, second, "Bob")
    await h.send(FAC, "/announce")
    await h.press(FAC, "All my groups")
    await h.send(FAC, "Holiday break next week")
    replies = await h.press(FAC, "Send now")
    report_id = [m for m in replies if "Announcement to" in m["text"]][-1]["message_id"]
    await deliver_due(h.app)
    report = await message_by_id(h, FAC, report_id)
    assert "2 delivered" in report["text"], report["text"]
    assert "Tuesday circle, Thursday circle" in report["text"]
    async with h.db() as session:
        keys = (
            (await session.execute(select(Delivery.key).where(Delivery.kind == ANNOUNCEMENT)))
            .scalars()
            .all()
        )
        assert sorted(keys) == [f"announcement:1:{ANN}", f"announcement:1:{BOB}"]


async def test_report_edits_are_throttled_and_end_correct(bot: BotHarness) -> None:
    h = bot
    await enrol_facilitator(h)
    token = await create_group(h, weekly=False, one_off=None)
    members = list(range(41, 47))
    for user_id in members:
        await join(h, user_id, token, f"M{user_id}")
    await h.emu.block_user(members[-1])
    await h.send(FAC, "/announce")
    await h.press(FAC, "Tuesday circle")
    await h.send(FAC, "Hello all")
    replies = await h.press(FAC, "Send now")
    report_id = [m for m in replies if "Announcement to" in m["text"]][-1]["message_id"]
    await deliver_due(h.app)
    report = await message_by_id(h, FAC, report_id)
    assert "5 delivered" in report["text"] and "1 blocked the bot" in report["text"]
    assert "0 pending" in report["text"] and "done" in report["text"]
    # One edit when the fan-out starts, then at most one every 2 s, plus the final one.
    assert 2 <= len(report["edit_history"]) <= 3, report["edit_history"]


async def test_send_now_pressed_twice_at_once_sends_once(any_bot: BotHarness) -> None:
    """A double tap (or two replicas) on the same preview: one announcement, one delivery per
    member; the second press is told it has already gone."""
    h = any_bot
    await _setup(h)
    await h.send(FAC, "/announce")
    await h.press(FAC, "Tuesday circle")
    await h.send(FAC, "Room change")
    preview_id = await h.find_button_message(FAC, "Send now")
    updates = []
    for _ in range(2):
        await h.emu.press(FAC, preview_id, "Send now")
        updates.append(Update.de_json(h.emu.state.updates[-1], h.app.bot))
    await asyncio.gather(*(h.app.process_update(u) for u in updates))
    await deliver_due(h.app)
    async with h.db() as session:
        assert len((await session.execute(select(Announcement))).scalars().all()) == 1
        keys = (
            (await session.execute(select(Delivery.key).where(Delivery.kind == ANNOUNCEMENT)))
            .scalars()
            .all()
        )
        assert sorted(keys) == [f"announcement:1:{ANN}", f"announcement:1:{BOB}"]
    texts = [m["text"] for m in await h.emu.messages(FAC)]
    assert sum("Announcement to" in text for text in texts) == 1
    assert any("already" in a["text"] for a in await h.answers() if a.get("text"))
