"""Authorization matrix: every facilitator/admin command and button of the console, pressed by
a participant, a facilitator of another group, a co-facilitator, the facilitator and an admin.
Forged or someone else's buttons are answered and change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.roles import facilitated_groups, require_facilitator, role_in_group
from handlers.facilitator import texts as t
from storage.models import (
    Announcement,
    AnnouncementStatus,
    Attendance,
    ChatState,
    Delivery,
    Group,
    Invite,
    InviteKind,
    Membership,
    MemberStatus,
    OccurrenceStatus,
    Role,
    SessionOccurrence,
    User,
)
from tests.harness import BotHarness

ADMIN, FAC, CO, OTHER, PART, PART2, WAITING = 900, 10, 30, 40, 21, 22, 23
ROLES = {
    "participant": PART,
    "other_facilitator": OTHER,
    "co_facilitator": CO,
    "facilitator": FAC,
    "admin": ADMIN,
}
MANAGERS = {"co_facilitator", "facilitator", "admin"}
LEADS = {"facilitator", "admin"}


@dataclass
class World:
    """Ids of the rows the matrix presses buttons about."""

    group_a: int
    group_b: int
    past: int
    future: int
    announcement: int


async def build_world(h: BotHarness) -> World:
    """Two groups, people in every role, a past and a future session, a scheduled note."""
    now = h.clock.now()
    async with h.db() as session:
        for uid, name, fac in [
            (ADMIN, "Ada", False),
            (FAC, "Fay", True),
            (CO, "Cole", False),
            (OTHER, "Otto", True),
            (PART, "Pia", False),
            (PART2, "Paul", False),
            (WAITING, "Wes", False),
        ]:
            session.add(
                User(
                    id=uid,
                    display_name=name,
                    consent_at=now,
                    onboarded_at=now,
                    timezone="Europe/Berlin",
                    checkin_time=time(20, 0),
                    prompts_enabled=True,
                    share_with_facilitators=True,
                    receive_shares=True,
                    is_facilitator=fac,
                    created_at=now,
                    updated_at=now,
                )
            )
        a = Group(
            name="Circle A",
            timezone="Europe/Berlin",
            approval_required=True,
            reminder_offsets=[60],
            created_by=FAC,
            created_at=now,
        )
        b = Group(
            name="Circle B",
            timezone="Europe/Berlin",
            approval_required=False,
            reminder_offsets=[60],
            created_by=OTHER,
            created_at=now,
        )
        session.add_all([a, b])
        await session.flush()
        for group, uid, role, status in [
            (a, FAC, Role.FACILITATOR, MemberStatus.ACTIVE),
            (a, CO, Role.CO_FACILITATOR, MemberStatus.ACTIVE),
            (a, PART, Role.PARTICIPANT, MemberStatus.ACTIVE),
            (a, PART2, Role.PARTICIPANT, MemberStatus.ACTIVE),
            (a, WAITING, Role.PARTICIPANT, MemberStatus.PENDING),
            (b, OTHER, Role.FACILITATOR, MemberStatus.ACTIVE),
        ]:
            session.add(
                Membership(
                    group_id=group.id,
                    user_id=uid,
                    role=role,
                    status=status,
                    joined_at=now,
                    updated_at=now,
                )
            )
        session.add(
            Invite(
                token="tokenA" * 4,
                kind=InviteKind.JOIN,
                group_id=a.id,
                created_by=FAC,
                created_at=now,
                uses=0,
            )
        )
        past = SessionOccurrence(
            group_id=a.id,
            starts_at=now - timedelta(days=1),
            duration_minutes=60,
            status=OccurrenceStatus.SCHEDULED,
            created_at=now,
            updated_at=now,
        )
        future = SessionOccurrence(
            group_id=a.id,
            starts_at=now + timedelta(days=2),
            duration_minutes=60,
            status=OccurrenceStatus.SCHEDULED,
            created_at=now,
            updated_at=now,
        )
        note = Announcement(
            author_id=FAC,
            group_ids=[a.id],
            text="Hello",
            status=AnnouncementStatus.SCHEDULED,
            send_at=now + timedelta(days=1),
            report_chat_id=FAC,
            created_at=now,
        )
        session.add_all([past, future, note])
        await session.flush()
        world = World(a.id, b.id, past.id, future.id, note.id)
    for uid in ROLES.values():
        await h.send(uid, "/help")  # a bot message in every chat to press buttons on
    return world


async def fingerprint(h: BotHarness) -> Any:
    """Everything a console button could change."""
    async with h.db() as session:

        async def rows(stmt: Any) -> list[Any]:
            return sorted(tuple(r) for r in (await session.execute(stmt)).all())

        return (
            await rows(
                select(Membership.group_id, Membership.user_id, Membership.role, Membership.status)
            ),
            await rows(select(Invite.id, Invite.revoked_at)),
            await rows(select(Group.id, Group.approval_required)),
            await rows(
                select(SessionOccurrence.id, SessionOccurrence.status, SessionOccurrence.starts_at)
            ),
            await rows(select(Announcement.id, Announcement.status)),
            await rows(select(Attendance.occurrence_id, Attendance.user_id, Attendance.present)),
            await rows(select(Delivery.key)),
            await rows(select(ChatState.key)),
        )


# (name, callback data template, roles allowed)
CALLBACKS: list[tuple[str, str, set[str]]] = [
    ("pick invite", "fx:g:invite:{a}", MANAGERS),
    ("pick schedule", "fx:g:schedule:{a}", MANAGERS),
    ("pick attendance", "fx:g:attendance:{a}", MANAGERS),
    ("pick members", "fx:g:members:{a}", MANAGERS),
    ("pick report", "fx:g:report:{a}", MANAGERS),
    ("regenerate invite", "fg:regen:{a}", MANAGERS),
    ("co-facilitator link", "fg:cofac:{a}", LEADS),
    ("switch approval", "fg:apsw:{a}:0", MANAGERS),
    ("occurrence menu", "fs:occ:{future}", MANAGERS),
    ("ask cancel", "fs:cancel:{future}", MANAGERS),
    ("cancel occurrence", "fs:cancelok:{future}", MANAGERS),
    ("move occurrence", "fs:move:{future}", MANAGERS),
    ("add one-off", "fs:add:{a}", MANAGERS),
    ("rule menu", "fs:rule:{a}", MANAGERS),
    ("set rule", "fs:ruleset:{a}", MANAGERS),
    ("attendance open", "fa:occ:{past}", MANAGERS),
    ("attendance toggle", "fa:t:{past}:21", MANAGERS),
    ("attendance save", "fa:save:{past}", MANAGERS),
    ("approve", "fm:ok:{a}:23", MANAGERS),
    ("decline", "fm:no:{a}:23", MANAGERS),
    ("remove list", "fm:rmlist:{a}", MANAGERS),
    ("ask remove", "fm:rm:{a}:21", MANAGERS),
    ("remove", "fm:rmok:{a}:21", MANAGERS),
    ("announce to group", "fn:to:{a}", MANAGERS),
    ("cancel scheduled announcement", "fn:unsched:{ann}", MANAGERS),
    ("report 7 days", "fr:p:{a}:7", MANAGERS),
    ("report csv", "fr:csv:{a}:30", MANAGERS),
]
# Buttons of someone's own flow: pressed by anyone without that flow they are stale.
FLOW_BUTTONS = [
    "fg:zone",
    "fg:sched:weekly",
    "fg:off",
    "fg:appr:yes",
    "fn:send",
    "fn:later",
    "fn:drop",
]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(("name", "template", "allowed"), CALLBACKS, ids=[c[0] for c in CALLBACKS])
async def test_button_matrix(
    bot: BotHarness, role: str, name: str, template: str, allowed: set[str]
) -> None:
    h = bot
    world = await build_world(h)
    uid = ROLES[role]
    data = template.format(
        a=world.group_a, past=world.past, future=world.future, ann=world.announcement
    )
    before = await fingerprint(h)
    message = await h.emu.last_message(uid)
    assert message is not None
    await h.press(uid, data=data, message_id=int(message["message_id"]))
    answer = (await h.answers())[-1]
    if role in allowed:
        assert answer["text"] in (None, ""), (name, answer)
    else:
        assert answer["text"] == t.NOT_YOURS, (name, answer)
        assert answer["show_alert"]
        assert await fingerprint(h) == before, name


@pytest.mark.parametrize("role", list(ROLES))
async def test_own_flow_buttons_are_stale_for_everyone_else(bot: BotHarness, role: str) -> None:
    h = bot
    await build_world(h)
    uid = ROLES[role]
    before = await fingerprint(h)
    message = await h.emu.last_message(uid)
    assert message is not None
    for data in [*FLOW_BUTTONS, "fs:occ:99999", "fm:ok:1", "fx:g:nope:1", "fa:t:x:y", "fn:zz"]:
        await h.press(uid, data=data, message_id=int(message["message_id"]))
        assert (await h.answers())[-1]["text"] in (t.STALE, t.OCC_GONE), data
    assert await fingerprint(h) == before


# (command, roles that get the console; others get a refusal)
COMMANDS: list[tuple[str, set[str]]] = [
    ("/invite", MANAGERS),
    ("/schedule", MANAGERS),
    ("/attendance", MANAGERS),
    ("/members", MANAGERS),
    ("/report", MANAGERS),
    ("/announce", MANAGERS),
    ("/groups", MANAGERS),
]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(("command", "allowed"), COMMANDS, ids=[c[0] for c in COMMANDS])
async def test_command_matrix(bot: BotHarness, role: str, command: str, allowed: set[str]) -> None:
    h = bot
    await build_world(h)
    uid = ROLES[role]
    before = await fingerprint(h)
    replies = await h.send(uid, command)
    shown = " ".join(
        [m["text"] for m in replies]
        + [
            b["text"]
            for m in replies
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ]
    )
    # /groups shows a participant their membership too, but only managers the invite link.
    marker = "start=join_tokenA" if command == "/groups" else "Circle A"
    if role in allowed:
        assert marker in shown, shown
    else:
        assert marker not in shown, shown
    if role == "participant" and command != "/groups":
        assert replies[-1]["text"] == t.NOT_FACILITATOR
    if role == "other_facilitator" and command != "/groups":
        assert "Circle B" in shown
    after = await fingerprint(h)
    if command == "/invite":  # showing an invite creates one for a group that had none (B)
        before, after = before[2:], after[2:]
    assert after == before


@pytest.mark.parametrize("role", list(ROLES))
async def test_admin_only_commands(bot: BotHarness, role: str) -> None:
    h = bot
    await build_world(h)
    uid = ROLES[role]
    admin_view = (await h.send(uid, "/admin"))[-1]["text"]
    link = (await h.send(uid, "/addfacilitator"))[-1]["text"]
    newgroup = (await h.send(uid, "/newgroup"))[-1]["text"]
    await h.send(uid, "/cancel")
    if role == "admin":
        assert "Platform health" in admin_view and "Users: 7" in admin_view
        assert "start=fac_" in link
    else:
        assert admin_view == t.ADMIN_ONLY and link == t.ADMIN_ONLY
    if role in ("admin", "facilitator", "other_facilitator"):
        assert newgroup == t.ASK_NAME.replace("<b>", "").replace("</b>", "")
    else:
        assert newgroup == t.NOT_FACILITATOR_NEWGROUP


async def test_role_functions(any_bot: BotHarness) -> None:
    h = any_bot
    world = await build_world(h)
    async with h.db() as session:
        assert await role_in_group(session, FAC, world.group_a) == Role.FACILITATOR
        assert await role_in_group(session, CO, world.group_a) == Role.CO_FACILITATOR
        assert await role_in_group(session, WAITING, world.group_a) is None
        assert await role_in_group(session, OTHER, world.group_a) is None
        assert await require_facilitator(session, CO, world.group_a) is not None
        assert await require_facilitator(session, CO, world.group_a, lead_only=True) is None
        assert await require_facilitator(session, PART, world.group_a) is None
        assert await require_facilitator(session, PART, world.group_a, is_admin=True) is not None
        assert [g.name for g in await facilitated_groups(session, OTHER)] == ["Circle B"]
        assert len(await facilitated_groups(session, ADMIN, is_admin=True)) == 2
        assert await facilitated_groups(session, PART) == []
