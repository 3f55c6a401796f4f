"""Joining a group: deep link, /join with a code, /join then the code; every bad code answered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import Delivery, Invite, InviteKind, Membership, MemberStatus
from storage.repositories.invites import (
    create_invite,
    find_invite,
    new_token,
    revoke_group_invites,
)
from storage.repositories.joining import get_membership
from tests.harness import BotHarness, count_rows
from tests.test_participant_support import make_group, texts_of


async def _status(h: BotHarness, group_id: int, user_id: int) -> MemberStatus | None:
    async with h.db() as session:
        member = await get_membership(session, group_id, user_id)
        return member.status if member else None


def test_tokens_are_unguessable_and_fit_a_start_parameter() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert len("join_" + token) <= 64 and len(token) >= 16  # >= 96 bits of base64
        assert all(c.isalnum() or c in "-_" for c in token)


async def test_invite_repository(bot: BotHarness) -> None:
    group_id, token = await make_group(bot)
    now = bot.clock.now()
    async with bot.db() as session:
        invite = await find_invite(session, token)
        assert invite is not None and invite.kind == InviteKind.JOIN and invite.uses == 0
        fac = await create_invite(session, InviteKind.FACILITATOR, None, 900, now)
        assert fac.token != token and fac.group_id is None
        assert await revoke_group_invites(session, group_id, InviteKind.JOIN, now) == 1
        assert await revoke_group_invites(session, group_id, InviteKind.JOIN, now) == 0
        assert await find_invite(session, "x" * 65) is None


async def test_join_by_deep_link_when_already_onboarded(any_bot: BotHarness) -> None:
    group_id, token = await make_group(any_bot, "Evening group")
    await any_bot.onboard(11)
    replies = await any_bot.send(11, f"/start join_{token}")
    assert "Welcome to <b>Evening group</b>" not in texts_of(replies)  # HTML rendered
    assert "Welcome to Evening group" in texts_of(replies)
    assert await _status(any_bot, group_id, 11) == MemberStatus.ACTIVE
    replies = await any_bot.send(11, f"/start join_{token}")
    assert "already a member" in texts_of(replies)
    async with any_bot.db() as session:
        invite = await find_invite(session, token)
        assert invite is not None and invite.uses == 1


async def test_join_with_code_and_with_prompted_code(bot: BotHarness) -> None:
    g1, t1 = await make_group(bot, "One")
    g2, t2 = await make_group(bot, "Two")
    await bot.onboard(12)
    assert "Welcome to One" in texts_of(await bot.send(12, f"/join {t1}"))
    replies = await bot.send(12, "/join")
    assert "type the invite code" in texts_of(replies)
    replies = await bot.send(12, "no way!")
    assert "doesn't look like an invite code" in texts_of(replies)
    replies = await bot.send(12, "Zz" * 8)
    assert "couldn't find a group" in texts_of(replies)
    replies = await bot.send(12, f"https://t.me/circlebot?start=join_{t2}")
    assert "Welcome to Two" in texts_of(replies)
    assert await _status(bot, g1, 12) == await _status(bot, g2, 12) == MemberStatus.ACTIVE
    # The flow ended: plain text is not taken as a code any more.
    assert "not sure what to do" in texts_of(await bot.send(12, "hello"))


async def test_revoked_expired_and_unknown_codes_get_distinct_answers(bot: BotHarness) -> None:
    group_id, token = await make_group(bot, "G", expires_in=timedelta(days=1))
    await bot.onboard(13)
    async with bot.db() as session:
        fac_invite = await create_invite(
            session, InviteKind.FACILITATOR, None, 900, bot.clock.now()
        )
        fac_token = fac_invite.token
    unknown = texts_of(await bot.send(13, "/join AAAAAAAAAAAAAAAAAAAAAA"))
    assert "couldn't find a group" in unknown
    # A facilitator token is not a join code.
    assert "couldn't find a group" in texts_of(await bot.send(13, f"/join {fac_token}"))
    await bot.send(13, "/cancel")
    bot.clock.advance(timedelta(days=2))
    assert "expired" in texts_of(await bot.send(13, f"/join {token}"))
    async with bot.db() as session:
        await revoke_group_invites(session, group_id, InviteKind.JOIN, bot.clock.now())
    assert "no longer active" in texts_of(await bot.send(13, f"/join {token}"))
    assert await _status(bot, group_id, 13) is None


async def test_approval_required_puts_member_pending_and_tells_facilitators(
    any_bot: BotHarness,
) -> None:
    group_id, token = await make_group(any_bot, "Closed <group>", approval=True)
    await any_bot.onboard(14, first_name="<i>Zoe</i>")
    replies = await any_bot.send(14, f"/join {token}")
    assert "asks its facilitators to approve" in texts_of(replies)
    assert await _status(any_bot, group_id, 14) == MemberStatus.PENDING
    async with any_bot.db() as session:
        notices = (await session.execute(select(Delivery))).scalars().all()
        notices = [d for d in notices if d.recipient_id == 500]
        assert len(notices) == 1 and notices[0].kind == "notice"
        assert "&lt;i&gt;Zoe&lt;/i&gt;" in notices[0].payload["text"]
        assert "Closed &lt;group&gt;" in notices[0].payload["text"]
    replies = await any_bot.send(14, f"/join {token}")
    assert "still waiting" in texts_of(replies)


async def test_left_member_can_rejoin_but_removed_cannot(bot: BotHarness) -> None:
    group_id, token = await make_group(bot)
    await bot.onboard(15)
    await bot.send(15, f"/join {token}")
    await bot.send(15, "/leave")
    await bot.press(15, "Yes, leave")
    assert await _status(bot, group_id, 15) == MemberStatus.LEFT
    assert "Welcome to" in texts_of(await bot.send(15, f"/join {token}"))
    async with bot.db() as session:
        member = await get_membership(session, group_id, 15)
        assert member is not None
        member.status = MemberStatus.REMOVED
    assert "talk to your facilitator" in texts_of(await bot.send(15, f"/join {token}"))
    assert await _status(bot, group_id, 15) == MemberStatus.REMOVED


async def test_facilitator_payload_is_left_to_other_hooks(bot: BotHarness) -> None:
    await bot.onboard(16)
    replies = await bot.send(16, "/start fac_SOMETHING")
    assert "couldn't find a group" not in texts_of(replies)
    async with bot.db() as session:
        assert await count_rows(session, Membership) == 0


async def test_join_before_onboarding_stores_nothing(bot: BotHarness) -> None:
    _, token = await make_group(bot)
    replies = await bot.send(17, f"/join {token}")
    assert "set you up first" in texts_of(replies) and token in texts_of(replies)
    replies = await bot.send(17, "/join")
    assert "set you up first" in texts_of(replies)
    async with bot.db() as session:
        assert await count_rows(session, Membership) == 1  # the facilitator's
        invite = (await session.execute(select(Invite))).scalar_one()
        assert invite.uses == 0
