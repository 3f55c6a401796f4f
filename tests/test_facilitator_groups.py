"""Enrolment, /newgroup, /invite, /groups and bad input, through process_update."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from storage.models import Group, InviteKind, Membership, Role, SessionOccurrence, SessionRule
from storage.repositories.invites import active_invite
from storage.repositories.users import get_user
from tests.harness import BotHarness
from tests.test_facilitator_steps import (
    ADMIN,
    FAC,
    create_group,
    enrol_facilitator,
    join,
    link_payload,
)


async def test_admin_link_enrols_once_and_sets_the_menu(any_bot: BotHarness) -> None:
    h = any_bot
    replies = await h.send(ADMIN, "/addfacilitator")
    token = link_payload(replies[-1]["text"], "fac_")
    assert "t.me/" in replies[-1]["text"]
    await h.onboard(11)
    replies = await h.send(11, f"/start fac_{token}")
    assert "You're now a facilitator" in replies[-1]["text"]
    async with h.db() as session:
        user = await get_user(session, 11)
        assert user is not None and user.is_facilitator
    commands = [c["command"] for c in await h.emu.commands(scope={"type": "chat", "chat_id": 11})]
    assert "newgroup" in commands and "announce" in commands and "admin" not in commands
    # One use only.
    await h.onboard(12)
    replies = await h.send(12, f"/start fac_{token}")
    assert "already used" in replies[-1]["text"]
    replies = await h.send(12, "/start fac_nonsense")
    assert "don't know that facilitator link" in replies[-1]["text"]
    async with h.db() as session:
        user = await get_user(session, 12)
        assert user is not None and not user.is_facilitator


async def test_link_expires_after_seven_days(bot: BotHarness) -> None:
    replies = await bot.send(ADMIN, "/addfacilitator")
    token = link_payload(replies[-1]["text"], "fac_")
    bot.clock.advance(timedelta(days=8))
    await bot.onboard(13)
    replies = await bot.send(13, f"/start fac_{token}")
    assert "expired" in replies[-1]["text"]


async def test_new_group_with_weekly_rule_and_one_off(any_bot: BotHarness) -> None:
    h = any_bot
    await enrol_facilitator(h)
    token = await create_group(h)
    async with h.db() as session:
        group = (await session.execute(select(Group))).scalar_one()
        assert group.name == "Tuesday circle" and group.timezone == "Europe/Berlin"
        assert group.reminder_offsets == [1440, 60] and not group.approval_required
        rule = (await session.execute(select(SessionRule))).scalar_one()
        assert rule.weekdays == [0, 3] and rule.start_time == time(18, 30)
        assert rule.duration_minutes == 90
        occurrences = (await session.execute(select(SessionOccurrence))).scalars().all()
        assert any(o.rule_id is None and o.duration_minutes == 60 for o in occurrences)
        assert len(occurrences) > 2
        member = (await session.execute(select(Membership))).scalar_one()
        assert member.user_id == FAC and member.role == Role.FACILITATOR
        invite = await active_invite(session, group.id, InviteKind.JOIN)
        assert invite is not None and invite.token == token


async def test_bad_input_in_new_group_gets_clear_answers(bot: BotHarness) -> None:
    h = bot
    await enrol_facilitator(h)
    await h.send(FAC, "/newgroup")
    assert "didn't get any text" in (await h.send(FAC, "   "))[-1]["text"]
    assert "80 or fewer" in (await h.send(FAC, "x" * 81))[-1]["text"]
    await h.send(FAC, "<b>Circle</b> & friends")
    assert "time zone" in (await h.send(FAC, "Mars/Olympus"))[-1]["text"]
    await h.send(FAC, "UTC+2")
    await h.press(FAC, "Weekly schedule")
    assert "days" in (await h.send(FAC, "Caturday"))[-1]["text"]
    await h.send(FAC, "Tue")
    assert "isn't on the clock" in (await h.send(FAC, "25:61"))[-1]["text"]
    await h.send(FAC, "19:00")
    assert "longer than I can handle" in (await h.send(FAC, "999 days"))[-1]["text"]
    await h.send(FAC, "1h")
    await h.press(FAC, "One-off session")
    assert "already passed" in (await h.send(FAC, "2026-03-01 10:00"))[-1]["text"]
    assert "doesn't exist" in (await h.send(FAC, "2026-02-30 10:00"))[-1]["text"]
    await h.send(FAC, "2026-04-01 10:00")
    assert "at least 5 minutes" in (await h.send(FAC, "2"))[-1]["text"]
    await h.send(FAC, "45m")
    assert "choose one of the buttons" in (await h.send(FAC, "hello"))[-1]["text"]
    await h.press(FAC, "That's all")
    assert "negative" in (await h.send(FAC, "-5"))[-1]["text"]
    assert "longer than I can handle" in (await h.send(FAC, "999 days"))[-1]["text"]
    await h.send(FAC, "24h, 1h, 30m")
    replies = await h.press(FAC, "Yes, I approve each person")
    assert "&lt;b&gt;Circle" not in replies[-1]["text"]  # plain text shows the escaped name
    assert "<b>Circle</b> & friends" in replies[-1]["text"]
    async with h.db() as session:
        group = (await session.execute(select(Group))).scalar_one()
        assert group.name == "<b>Circle</b> & friends" and group.timezone == "UTC+02:00"
        assert group.reminder_offsets == [1440, 60, 30] and group.approval_required


async def test_regenerated_invite_stops_the_old_one(bot: BotHarness) -> None:
    h = bot
    await enrol_facilitator(h)
    old = await create_group(h, weekly=False, one_off=None)
    replies = await h.send(FAC, "/invite")
    assert old in replies[-1]["text"]
    replies = await h.press(FAC, "New link")
    new = link_payload(replies[-1]["text"], "join_")
    assert new != old and "no longer works" in replies[-1]["text"]
    assert "no longer active" in await join(h, 21, old, "Ann")
    assert "Tuesday circle" in await join(h, 22, new, "Bob")


async def test_co_facilitator_link_and_groups_view(bot: BotHarness) -> None:
    h = bot
    await enrol_facilitator(h)
    token = await create_group(h, weekly=False, one_off=None)
    await h.send(FAC, "/invite")
    replies = await h.press(FAC, "Invite a co-facilitator")
    co_token = link_payload(replies[-1]["text"], "fac_")
    await h.onboard(30)
    replies = await h.send(30, f"/start fac_{co_token}")
    assert "co-facilitating" in replies[-1]["text"]
    async with h.db() as session:
        member = (
            await session.execute(select(Membership).where(Membership.user_id == 30))
        ).scalar_one()
        assert member.role == Role.CO_FACILITATOR
        user = await get_user(session, 30)
        assert user is not None and not user.is_facilitator
    replies = await h.send(30, "/groups")
    assert "Tuesday circle" in replies[-1]["text"] and "co-facilitator" in replies[-1]["text"]
    # A co-facilitator cannot create co-facilitator links, nor groups.
    await h.send(30, "/invite")
    message = await h.find_button_message(30, "New link")
    msg = next(m for m in await h.emu.messages(30) if m["message_id"] == message)
    labels = [b["text"] for row in msg["reply_markup"]["inline_keyboard"] for b in row]
    assert not any("co-facilitator" in label for label in labels)
    assert "enrolled facilitators" in (await h.send(30, "/newgroup"))[-1]["text"]
    # A participant's /groups still shows the participant view.
    await join(h, 31, token, "Cy")
    assert "Tuesday circle" in (await h.send(31, "/groups"))[-1]["text"]


async def test_co_facilitator_link_refuses_a_participant_of_that_group(bot: BotHarness) -> None:
    """A member of the group is not silently moved into the team (their own check-ins would be
    inside it): a clear answer, membership unchanged, and the link still works after /leave."""
    h = bot
    await enrol_facilitator(h)
    token = await create_group(h, weekly=False, one_off=None)
    await join(h, 32, token, "Dee")
    await h.send(FAC, "/invite")
    replies = await h.press(FAC, "Invite a co-facilitator")
    co_token = link_payload(replies[-1]["text"], "fac_")
    replies = await h.send(32, f"/start fac_{co_token}")
    assert "haven't made you a co-facilitator" in replies[-1]["text"]
    assert "co-facilitating" not in replies[-1]["text"]
    async with h.db() as session:
        member = (
            await session.execute(select(Membership).where(Membership.user_id == 32))
        ).scalar_one()
        assert member.role == Role.PARTICIPANT
    await h.send(32, "/leave")
    await h.press(32, "Yes, leave")
    replies = await h.send(32, f"/start fac_{co_token}")
    assert "co-facilitating" in replies[-1]["text"]
