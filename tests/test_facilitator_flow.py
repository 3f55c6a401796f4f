"""The whole facilitator story through process_update and the delivery engine:
admin link -> facilitator -> group with weekly rule and one-off -> two participants join (one
needs approval) -> announcement report "2 delivered" -> one blocks the bot -> next report says
1 delivered, 1 blocked, /members lists them as unreachable -> /report answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.delivery.testing import deliver_due
from storage.models import (
    Announcement,
    AnnouncementStatus,
    Membership,
    MemberStatus,
    SessionOccurrence,
    SessionRule,
    User,
)
from tests.harness import BotHarness
from tests.test_facilitator_steps import FAC, create_group, enrol_facilitator, join

ANN, BOB = 21, 22


async def message_by_id(h: BotHarness, chat_id: int, message_id: int) -> dict[str, Any]:
    """A bot message's current state (after edits)."""
    for message in await h.emu.messages(chat_id):
        if message["message_id"] == message_id:
            return message
    raise AssertionError(f"no message {message_id} in chat {chat_id}")


async def announce(h: BotHarness, text: str, target: str = "Tuesday circle") -> int:
    """Write and send an announcement; returns the report message id."""
    await h.send(FAC, "/announce")
    await h.press(FAC, target)
    replies = await h.send(FAC, text)
    assert replies[-1]["text"].startswith("📣 Tuesday circle"), replies
    replies = await h.press(FAC, "Send now")
    report = [m for m in replies if "Announcement to" in m["text"]][-1]
    return int(report["message_id"])


async def test_full_facilitator_story(any_bot: BotHarness) -> None:
    h = any_bot
    await enrol_facilitator(h)
    token = await create_group(h)
    async with h.db() as session:
        assert (await session.execute(select(SessionRule))).scalar_one().weekdays == [0, 3]
        one_offs = (
            (
                await session.execute(
                    select(SessionOccurrence).where(SessionOccurrence.rule_id.is_(None))
                )
            )
            .scalars()
            .all()
        )
        assert len(one_offs) == 1

    assert "Tuesday circle" in await join(h, ANN, token, "Ann")
    await h.send(FAC, "/invite")
    replies = await h.press(FAC, "Approval is off — turn on")
    assert "you approve each person" in replies[-1]["text"]
    await join(h, BOB, token, "Bob")

    replies = await h.send(FAC, "/members")
    assert "Waiting for approval (1)" in replies[-1]["text"] and "Bob" in replies[-1]["text"]
    replies = await h.press(FAC, "✅ Bob")
    assert "Bob is now a member" in replies[-1]["text"]
    await deliver_due(h.app)
    assert "You're now a member" in await h.last_text(BOB)

    report_id = await announce(h, "Session <b>moves</b> & starts at 6 — see you!")
    await deliver_due(h.app)
    for user_id in (ANN, BOB):
        message = await h.emu.last_message(user_id)
        assert message is not None
        assert (
            message["text"] == "📣 Tuesday circle\n\nSession <b>moves</b> & starts at 6 — see you!"
        )
    report = await message_by_id(h, FAC, report_id)
    assert "2 delivered" in report["text"] and "0 pending" in report["text"], report["text"]
    assert "done" in report["text"]

    await h.emu.block_user(BOB)
    report_id = await announce(h, "Second note")
    await deliver_due(h.app)
    report = await message_by_id(h, FAC, report_id)
    assert "1 delivered" in report["text"] and "1 blocked the bot" in report["text"], report["text"]
    assert "0 pending" in report["text"]
    async with h.db() as session:
        statuses = (await session.execute(select(Announcement.status))).scalars().all()
        assert statuses == [AnnouncementStatus.SENT, AnnouncementStatus.SENT]
        bob = await session.get(User, BOB)
        assert bob is not None and bob.unreachable_since is not None

    replies = await h.send(FAC, "/members")
    text = replies[-1]["text"]
    assert "Unreachable (1)" in text and text.index("Bob") > text.index("Unreachable")
    assert "Active (1)" in text

    await h.send(FAC, "/report")
    replies = await h.press(FAC, "Last 7 days")
    assert "group summaries need at least 5 contributors" in replies[-1]["text"]


async def test_announcement_to_a_group_without_members(bot: BotHarness) -> None:
    h = bot
    await enrol_facilitator(h)
    await create_group(h, weekly=False, one_off=None)
    report_id = await announce(h, "Anyone there?")
    await deliver_due(h.app)
    report = await message_by_id(h, FAC, report_id)
    assert "no active members" in report["text"]
    async with h.db() as session:
        assert (await session.execute(select(Membership.status))).scalars().all() == [
            MemberStatus.ACTIVE
        ]
