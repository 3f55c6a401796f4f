"""Shared reflections: the evening digest to members (at most one a day, at their local
`share_digest_time`), and the throttled "N people sent you support" notice to the author.

Digests carry only share ids; the text is decrypted at send time, so a reflection removed in
between is not sent. The author is never told who sent support, only how many.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import (
    NOTICE,
    SHARE_BATCH,
    Button,
    Rendered,
    enqueue,
    planner,
    renderer,
)
from bot.services import Services
from bot.timeutil import local_date, next_daily, zone
from storage.models import Delivery, Group, Share, ShareStatus, User
from storage.repositories.safety import is_team_member
from storage.repositories.shares import (
    digest_recipients,
    is_active_member,
    shares_for_digest,
    shares_with_new_support,
    users_due_share_digest,
)

log = logging.getLogger(__name__)

MAX_SHARE_CHARS = 1000
SHARES_PER_DAY = 5
SUPPORT_NOTICE_GAP = timedelta(hours=1)
DIGEST_LOOKBACK = timedelta(days=7)
DIGEST_MAX_CHARS = 3300  # room for headers and escaping within Telegram's 4096
DIGEST_MAX_SHARES = 8
QUIET_UNTIL, QUIET_FROM = 9, 22  # support notices wait for the author's daytime

DIGEST_HEADER = "🌙 <b>Reflections from your group</b>\n"
DIGEST_FOOTER = "\nTap 💚 to send support. They'll learn how many people did, never who."
SUPPORT_ONE = "1 person sent you support 💚"
SUPPORT_MANY = "{n} people sent you support 💚"
SUPPORT_FOR = " (for the reflection you shared on {day})."
SUPPORT_LABEL = "💚 Send support · {n}"
REMOVE_LABEL = "🗑 Remove {n}"
ANONYMOUS = "Someone in the group"


async def arm_digests(
    session: AsyncSession, services: Services, share: Share, now: datetime
) -> int:
    """Make sure every member who receives shares has their evening digest planned."""
    armed = 0
    for user in await digest_recipients(session, share.group_id):
        if user.id == share.user_id or user.next_share_digest_at is not None:
            continue
        user.next_share_digest_at = next_daily(
            now, services.settings.share_digest_time, user.timezone or "UTC"
        )
        armed += 1
    return armed


async def _last_digest_at(session: AsyncSession, user_id: int) -> datetime | None:
    """When the person's previous digest was planned for."""
    stmt = (
        select(Delivery.due_at)
        .where(Delivery.kind == SHARE_BATCH, Delivery.recipient_id == user_id)
        .order_by(Delivery.due_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def pack_digest(shares: list[tuple[int, int]]) -> list[list[int]]:
    """Split (share id, text length) into messages that fit Telegram's limits."""
    parts: list[list[int]] = []
    current: list[int] = []
    size = 0
    for share_id, length in shares:
        cost = length + 80
        if current and (size + cost > DIGEST_MAX_CHARS or len(current) >= DIGEST_MAX_SHARES):
            parts.append(current)
            current, size = [], 0
        current.append(share_id)
        size += cost
    if current:
        parts.append(current)
    return parts


@planner
async def plan_share_digests(session: AsyncSession, services: Services, now: datetime) -> int:
    """Everyone whose digest time has come gets the day's reflections in one message."""
    planned = 0
    for user in await users_due_share_digest(session, now):
        due = user.next_share_digest_at
        user.next_share_digest_at = None
        if not user.receive_shares or due is None:
            continue
        since = await _last_digest_at(session, user.id) or now - DIGEST_LOOKBACK
        since = max(since, now - DIGEST_LOOKBACK)
        shares = await shares_for_digest(session, user.id, since, now)
        if not shares:
            continue
        sized = [
            (s.id, len(escape(services.cipher.decrypt(s.text_enc) or ""))) for s in shares
        ]
        day = local_date(due, user.timezone or "UTC")
        for index, part in enumerate(pack_digest(sized)):
            planned += await enqueue(
                session, kind=SHARE_BATCH, key=f"shares:{user.id}:{day:%Y%m%d}:{index}",
                recipient_id=user.id, due_at=now, now=now,
                not_after=now + timedelta(hours=12), payload={"share_ids": part},
            )
    return planned


@renderer(SHARE_BATCH)
async def render_share_digest(
    session: AsyncSession, delivery: Delivery, services: Services
) -> Rendered:
    """The reflections still visible, each with Send support (and Remove for facilitators)."""
    user = await session.get(User, delivery.recipient_id)
    if user is None or not user.receive_shares:
        return Rendered(skip="does not receive shares")
    ids = [int(i) for i in delivery.payload.get("share_ids", []) if str(i).isdigit()]
    rows = await session.execute(select(Share).where(Share.id.in_(ids)).order_by(Share.created_at))
    lines = [DIGEST_HEADER]
    buttons: list[list[Button]] = []
    number = 0
    for share in rows.scalars():
        if share.status != ShareStatus.VISIBLE:
            continue
        if not await is_active_member(session, user.id, share.group_id):
            continue
        number += 1
        group = await session.get(Group, share.group_id)
        author = await session.get(User, share.user_id)
        who = ANONYMOUS if share.anonymous or author is None else (author.display_name or "")
        text = services.cipher.decrypt(share.text_enc) or ""
        lines.append(
            f"<b>{number}.</b> {escape(who or ANONYMOUS)} · {escape(group.name if group else '')}"
            f"\n<i>{escape(text)}</i>\n"
        )
        row = [Button(SUPPORT_LABEL.format(n=number), data=f"sp:give:{share.id}")]
        if await is_team_member(session, user.id, share.group_id):
            row.append(Button(REMOVE_LABEL.format(n=number), data=f"sh:rm:{share.id}"))
        buttons.append(row)
    if number == 0:
        return Rendered(skip="nothing left to show")
    lines.append(DIGEST_FOOTER)
    return Rendered("\n".join(lines), buttons=buttons)


def support_text(count: int, day: str) -> str:
    """"N people sent you support 💚" — a count, never names."""
    head = SUPPORT_ONE if count == 1 else SUPPORT_MANY.format(n=count)
    return head + SUPPORT_FOR.format(day=day)


def daytime_at(now: datetime, zone_name: str) -> datetime:
    """`now`, or the next morning when it is night where the person lives."""
    hour = now.astimezone(zone(zone_name)).hour
    if QUIET_UNTIL <= hour < QUIET_FROM:
        return now
    return next_daily(now, time(QUIET_UNTIL, 0), zone_name)


@planner
async def plan_support_notices(session: AsyncSession, services: Services, now: datetime) -> int:
    """Tell authors how many sent support: at most one notice per reflection per hour."""
    planned = 0
    for share, count in await shares_with_new_support(session):
        last = (
            await session.execute(
                select(Delivery.due_at)
                .where(Delivery.kind == NOTICE, Delivery.key.like(f"support:{share.id}:%"))
                .order_by(Delivery.due_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if last is not None and now - last < SUPPORT_NOTICE_GAP:
            continue
        author = await session.get(User, share.user_id)
        if author is None:
            continue
        tz = author.timezone or "UTC"
        day = share.created_at.astimezone(zone(tz)).strftime("%a %d %b")
        planned += await enqueue(
            session, kind=NOTICE, key=f"support:{share.id}:{count}", recipient_id=author.id,
            due_at=daytime_at(now, tz), now=now, subject_id=share.id,
            payload={"text": support_text(count, day)},
        )
        share.support_notified_count = count
    return planned
