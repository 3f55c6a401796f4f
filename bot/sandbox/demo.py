"""Demo data for the sandbox: personas, a group with sessions, and three weeks of check-ins.

Written straight to the database with the models (the bot is not running yet), so the sandbox
opens on a group that already has a history: charts, reports and reminders have something to
show from the first minute.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import TextCipher
from bot.prompts import reschedule_prompt
from bot.scheduling.sessions import add_one_off, create_weekly_rule
from bot.timeutil import local_date, to_utc
from storage.models import (
    DEFAULT_REMINDER_OFFSETS,
    CheckIn,
    Group,
    Invite,
    InviteKind,
    Membership,
    MemberStatus,
    Role,
    User,
)
from storage.repositories.invites import create_invite

DEMO_ZONE = "Europe/Berlin"
HISTORY_DAYS = 21
SESSION_TIME = time(18, 30)
SESSION_MINUTES = 90


@dataclass(frozen=True)
class Persona:
    """Someone you can chat as on the sandbox page."""

    key: str
    user_id: int
    name: str
    role: str  # shown under the name
    hint: str  # what to try, shown above the chat
    shown: bool = True  # a column by default (otherwise behind a chip)


ADMIN_ID = 900
FACILITATOR_ID = 2001
PARTICIPANT_ID = 1001
NEWCOMER_ID = 3001

# Other members: check-in history only, so that group reports have enough contributors.
MEMBERS: list[tuple[int, str, time]] = [
    (PARTICIPANT_ID, "Maya", time(20, 0)),
    (1002, "Noah", time(21, 0)),
    (1003, "Lena", time(19, 30)),
    (1004, "Omar", time(8, 30)),
    (1005, "Priya", time(20, 30)),
]

NOTES = [
    "Slept badly but the walk helped.",
    "Talked to my sister, felt lighter.",
    "Work was a lot today.",
    "Tried the breathing exercise from Thursday.",
]
TAGS = ["calm", "hopeful", "grateful", "connected", "tired", "anxious", "stressed", "sad"]


@dataclass
class DemoInfo:
    """What the page needs to know about the demo world."""

    group_id: int
    group_name: str
    zone: str
    join_token: str
    personas: list[Persona] = field(default_factory=list)


def group_name(now: datetime) -> str:
    """The demo group is named after the weekday it meets on (two days from today)."""
    day = local_date(now, DEMO_ZONE) + timedelta(days=2)
    return f"{day.strftime('%A')} Evening Circle"


def personas(join_link: str, group: str) -> list[Persona]:
    """The people whose chats the page shows, with what to try as each."""
    return [
        Persona(
            "participant",
            PARTICIPANT_ID,
            "Maya",
            "Participant",
            f"Member of {group} with three weeks of check-ins. "
            "Try /checkin, /mood, /sessions or /help.",
        ),
        Persona(
            "facilitator",
            FACILITATOR_ID,
            "Dr. Sam Rivera",
            "Facilitator",
            f"Runs {group}. Try /announce, /members, /report, /schedule.",
        ),
        Persona(
            "newcomer",
            NEWCOMER_ID,
            "Alex",
            "New here",
            "Has never talked to the bot. The clinic gave Alex this join link — "
            f"tap it or paste it into the message box: {join_link}",
        ),
        Persona(
            "admin",
            ADMIN_ID,
            "Jordan",
            "Clinic admin",
            "Enrols facilitators and watches platform health. Try /addfacilitator or /admin.",
            shown=False,
        ),
    ]


def _mood_series(rng: random.Random, days: int, start: float, end: float) -> list[int | None]:
    """Mood per day drifting from `start` to `end` with some day-to-day noise, never extreme
    for long (None = no check-in that day)."""
    moods: list[int | None] = []
    for day in range(days):
        trend = start + (end - start) * day / max(1, days - 1)
        level = min(5.0, max(1.0, trend + rng.uniform(-0.9, 0.9)))
        moods.append(None if rng.random() < 0.15 else round(level))
    return moods


def _user(user_id: int, name: str, checkin: time, now: datetime, *, facilitator: bool) -> User:
    """An onboarded user who agreed, in the demo time zone."""
    joined = now - timedelta(days=HISTORY_DAYS + 3)
    user = User(
        id=user_id,
        display_name=name,
        language_code="en",
        consent_at=joined,
        onboarded_at=joined,
        timezone=DEMO_ZONE,
        checkin_time=checkin,
        prompts_enabled=not facilitator,
        share_with_facilitators=True,
        receive_shares=True,
        is_facilitator=facilitator,
        created_at=joined,
        updated_at=joined,
    )
    reschedule_prompt(user, now)
    return user


def _checkins(
    user: User, today: date, now: datetime, cipher: TextCipher, rng: random.Random
) -> list[CheckIn]:
    """Check-ins for the days before today (today is left for you to do)."""
    assert user.checkin_time is not None
    rows: list[CheckIn] = []
    if user.id == PARTICIPANT_ID:  # Maya's story: a hard start, slowly getting better
        series = _mood_series(rng, HISTORY_DAYS, 2.3, 3.8)
    else:
        series = _mood_series(rng, HISTORY_DAYS, rng.uniform(2.8, 3.6), rng.uniform(2.8, 4.2))
    for index, mood in enumerate(series):
        if mood is None:
            continue
        day = today - timedelta(days=HISTORY_DAYS - index)
        at = min(to_utc(day, user.checkin_time, DEMO_ZONE), now)
        note = rng.choice(NOTES) if rng.random() < 0.2 else None
        rows.append(
            CheckIn(
                user_id=user.id,
                local_date=day,
                mood=mood,
                tags=rng.sample(TAGS, k=rng.randint(0, 2)),
                note_enc=cipher.encrypt(note) if note else None,
                created_at=at,
                updated_at=at,
            )
        )
    return rows


async def _sessions(session: AsyncSession, group: Group, now: datetime) -> None:
    """A weekly session two days from today and a one-off workshop later, through the session
    domain (so occurrences and their reminder times are planned as a facilitator's would be)."""
    today = local_date(now, DEMO_ZONE)
    weekday = (today + timedelta(days=2)).weekday()
    await create_weekly_rule(session, group, [weekday], SESSION_TIME, SESSION_MINUTES, now)
    starts = to_utc(today + timedelta(days=5), time(11, 0), DEMO_ZONE)
    await add_one_off(session, group, starts, 120, now, title="Workshop: sleep and stress")


async def has_demo_data(session: AsyncSession) -> bool:
    """True when the database already holds a group (a kept sandbox is reused as is)."""
    return bool(await session.scalar(select(func.count()).select_from(Group)))


async def load_demo_info(session: AsyncSession, bot_username: str) -> DemoInfo:
    """Describe an existing demo world (for `--keep` folders used again)."""
    group = (await session.execute(select(Group).order_by(Group.id))).scalars().first()
    assert group is not None
    invite = (
        (
            await session.execute(
                select(Invite)
                .where(Invite.kind == InviteKind.JOIN, Invite.group_id == group.id)
                .where(Invite.revoked_at.is_(None))
                .order_by(Invite.id.desc())
            )
        )
        .scalars()
        .first()
    )
    token = invite.token if invite else ""
    return _info(group, token, bot_username)


def join_link(bot_username: str, token: str) -> str:
    """The deep link a clinic hands out for the demo group."""
    return f"https://t.me/{bot_username}?start=join_{token}"


def _info(group: Group, token: str, bot_username: str) -> DemoInfo:
    link = join_link(bot_username, token) if token else "(no open invite: ask the facilitator)"
    return DemoInfo(group.id, group.name, group.timezone, token, personas(link, group.name))


async def seed_demo(
    session: AsyncSession, now: datetime, cipher: TextCipher, bot_username: str, seed: int = 7
) -> DemoInfo:
    """Write the demo world into an empty database (caller commits)."""
    rng = random.Random(seed)
    now = now.astimezone(UTC)
    created = now - timedelta(days=HISTORY_DAYS + 7)
    facilitator = _user(FACILITATOR_ID, "Dr. Sam Rivera", time(9, 0), now, facilitator=True)
    session.add(facilitator)
    group = Group(
        name=group_name(now),
        timezone=DEMO_ZONE,
        approval_required=False,
        reminder_offsets=list(DEFAULT_REMINDER_OFFSETS),
        digest_offset_minutes=120,
        who5_enabled=False,
        created_by=FACILITATOR_ID,
        created_at=created,
        archived_at=None,
    )
    session.add(group)
    await session.flush()
    session.add(_membership(group.id, FACILITATOR_ID, Role.FACILITATOR, created))
    today = local_date(now, DEMO_ZONE)
    for user_id, name, checkin in MEMBERS:
        user = _user(user_id, name, checkin, now, facilitator=False)
        session.add(user)
        await session.flush()
        session.add(_membership(group.id, user_id, Role.PARTICIPANT, user.created_at))
        session.add_all(_checkins(user, today, now, cipher, rng))
    await _sessions(session, group, now)
    invite = await create_invite(session, InviteKind.JOIN, group.id, FACILITATOR_ID, now)
    await session.flush()
    return _info(group, invite.token, bot_username)


def _membership(group_id: int, user_id: int, role: Role, at: datetime) -> Membership:
    return Membership(
        group_id=group_id,
        user_id=user_id,
        role=role,
        status=MemberStatus.ACTIVE,
        joined_at=at,
        updated_at=at,
    )
