"""Announcements: planning the fan-out through the delivery engine, rendering each member's
copy, and the facilitator's self-updating delivery report (no Telegram objects here except
the bot handed over in `services.extras["bot"]` to edit the report)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import ANNOUNCEMENT, Rendered, enqueue, on_outcome, planner, renderer
from bot.services import Services
from storage.models import (
    Announcement,
    AnnouncementStatus,
    Delivery,
    DeliveryStatus,
    Group,
    Membership,
    MemberStatus,
    Role,
)

log = logging.getLogger(__name__)

MAX_MESSAGE = 4096
EDIT_INTERVAL_SECONDS = 2.0
_LAST_EDIT_KEY = "announcement_report_edits"


def header(group_name: str) -> str:
    """The HTML header every member's copy starts with."""
    return f"📣 <b>{escape(group_name)}</b>\n\n"


def rendered_length(group_name: str, plain_text: str) -> int:
    """Characters Telegram counts for the member's copy (after entity parsing)."""
    return len(f"📣 {group_name}\n\n") + len(plain_text)


def render_text(group_name: str, html_text: str) -> str:
    """A member's copy: header plus the facilitator's HTML (already escaped by PTB)."""
    return header(group_name) + html_text


async def create_announcement(
    session: AsyncSession,
    *,
    author_id: int,
    group_ids: list[int],
    html_text: str,
    send_at: datetime,
    now: datetime,
    report_chat_id: int,
) -> Announcement:
    """Store a scheduled announcement (the planner sends it once `send_at` has come)."""
    announcement = Announcement(
        author_id=author_id,
        group_ids=sorted(set(group_ids)),
        text=html_text,
        status=AnnouncementStatus.SCHEDULED,
        send_at=send_at,
        report_chat_id=report_chat_id,
        created_at=now,
    )
    session.add(announcement)
    await session.flush()
    return announcement


async def plan_announcement(
    session: AsyncSession, announcement: Announcement, now: datetime
) -> int:
    """Enqueue one delivery per active participant of the groups; mark it SENDING (or SENT
    when nobody is there). Idempotent by delivery key."""
    rows = await session.execute(
        select(Membership.user_id, Membership.group_id)
        .where(
            Membership.group_id.in_(announcement.group_ids),
            Membership.status == MemberStatus.ACTIVE,
            Membership.role == Role.PARTICIPANT,
        )
        .order_by(Membership.group_id, Membership.id)
    )
    recipients: dict[int, int] = {}
    for user_id, group_id in rows.all():
        recipients.setdefault(int(user_id), int(group_id))
    created = 0
    for user_id, group_id in recipients.items():
        created += await enqueue(
            session,
            kind=ANNOUNCEMENT,
            key=f"announcement:{announcement.id}:{user_id}",
            recipient_id=user_id,
            subject_id=announcement.id,
            due_at=now,
            now=now,
            payload={"group_id": group_id},
        )
    announcement.planned_at = now
    announcement.status = AnnouncementStatus.SENDING if recipients else AnnouncementStatus.SENT
    log.info("announcement %s planned: %s recipients", announcement.id, len(recipients))
    return created


@planner
async def plan_due_announcements(session: AsyncSession, services: Services, now: datetime) -> int:
    """Planner tick: fan out every scheduled announcement whose time has come."""
    stmt = (
        select(Announcement)
        .where(Announcement.status == AnnouncementStatus.SCHEDULED, Announcement.send_at <= now)
        .order_by(Announcement.send_at, Announcement.id)
        .limit(20)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    total = 0
    for announcement in (await session.execute(stmt)).scalars().all():
        total += await plan_announcement(session, announcement, now)
    return total


@renderer(ANNOUNCEMENT)
async def render_announcement(
    session: AsyncSession, delivery: Delivery, services: Services
) -> Rendered:
    """A member's copy, unless the announcement was cancelled or they left the group."""
    announcement = await session.get(Announcement, delivery.subject_id)
    if announcement is None or announcement.status == AnnouncementStatus.CANCELLED:
        return Rendered(skip="announcement cancelled")
    group_id = int(delivery.payload.get("group_id", 0))
    group = await session.get(Group, group_id)
    member = await session.scalar(
        select(Membership.id).where(
            Membership.group_id == group_id,
            Membership.user_id == delivery.recipient_id,
            Membership.status == MemberStatus.ACTIVE,
        )
    )
    if group is None or member is None:
        return Rendered(skip="no longer a member")
    return Rendered(text=render_text(group.name, announcement.text))


@dataclass(frozen=True)
class ReportCounts:
    """Where the fan-out of one announcement stands."""

    delivered: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        """All recipients."""
        return (
            self.delivered + self.blocked + self.failed + self.unknown + self.skipped + self.pending
        )


async def report_counts(session: AsyncSession, announcement_id: int) -> ReportCounts:
    """Count the announcement's deliveries by outcome."""
    rows = await session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.kind == ANNOUNCEMENT, Delivery.subject_id == announcement_id)
        .group_by(Delivery.status)
    )
    by: dict[DeliveryStatus, int] = {DeliveryStatus(s): int(n) for s, n in rows.all()}
    return ReportCounts(
        delivered=by.get(DeliveryStatus.SENT, 0),
        blocked=by.get(DeliveryStatus.UNREACHABLE, 0),
        failed=by.get(DeliveryStatus.FAILED, 0),
        unknown=by.get(DeliveryStatus.UNKNOWN, 0),
        skipped=by.get(DeliveryStatus.SKIPPED, 0) + by.get(DeliveryStatus.CANCELLED, 0),
        pending=by.get(DeliveryStatus.PENDING, 0) + by.get(DeliveryStatus.CLAIMED, 0),
    )


async def group_names(session: AsyncSession, group_ids: list[int]) -> str:
    """'Tuesday circle, Thursday circle' (escaped)."""
    rows = await session.execute(
        select(Group.name).where(Group.id.in_(group_ids)).order_by(Group.id)
    )
    return ", ".join(escape(n) for n in rows.scalars().all()) or "your groups"


def report_text(to: str, counts: ReportCounts, status: AnnouncementStatus) -> str:
    """The facilitator's delivery report (HTML; `to` is already escaped)."""
    if status == AnnouncementStatus.CANCELLED:
        return f"📣 Announcement to <b>{to}</b> — cancelled, nothing was sent."
    if counts.total == 0 and status != AnnouncementStatus.SCHEDULED:
        return (
            f"📣 Announcement to <b>{to}</b> — no one to send it to yet: the group has no "
            "active members. /invite shows the invite link."
        )
    done = counts.pending == 0 and status != AnnouncementStatus.SCHEDULED
    lines = [
        f"📣 Announcement to <b>{to}</b> — " + ("done ✅" if done else "sending…"),
        f"✅ {counts.delivered} delivered",
        f"🚫 {counts.blocked} blocked the bot",
        f"⚠️ {counts.failed} failed",
    ]
    if counts.unknown:
        lines.append(f"❔ {counts.unknown} unknown (sent, but Telegram didn't confirm)")
    if counts.skipped:
        lines.append(f"⏭ {counts.skipped} not sent (left the group)")
    lines.append(f"⏳ {counts.pending} pending")
    return "\n".join(lines)


async def report_state(
    services: Services, announcement_id: int
) -> tuple[Announcement | None, str, bool]:
    """Read the report text in its own transaction; mark the announcement SENT when done.
    Returns (announcement, text, finished)."""
    async with services.transaction() as session:
        announcement = await session.get(Announcement, announcement_id)
        if announcement is None:
            return None, "", False
        counts = await report_counts(session, announcement_id)
        finished = counts.pending == 0 and announcement.status in (
            AnnouncementStatus.SENDING,
            AnnouncementStatus.SENT,
        )
        if finished and announcement.status == AnnouncementStatus.SENDING:
            announcement.status = AnnouncementStatus.SENT
        to = await group_names(session, announcement.group_ids)
        return announcement, report_text(to, counts, announcement.status), finished


def _bot(services: Services) -> Any:
    """The PTB bot: the delivery engine's, or one a handler left in `services.extras`."""
    from bot.delivery.engine import ENGINE_KEY

    engine = services.extras.get(ENGINE_KEY)
    return getattr(engine, "bot", None) or services.extras.get("bot")


async def edit_report(services: Services, announcement_id: int, *, force: bool = False) -> bool:
    """Edit the facilitator's report message, at most every 2 s unless final or forced.
    Returns True when an edit was sent."""
    bot = _bot(services)
    last: dict[int, float] = services.extras.setdefault(_LAST_EDIT_KEY, {})
    now_mono = services.clock.monotonic()
    announcement, text, finished = await report_state(services, announcement_id)
    if announcement is None or bot is None or announcement.report_message_id is None:
        return False
    if (
        not (force or finished)
        and now_mono - last.get(announcement_id, -1e9) < EDIT_INTERVAL_SECONDS
    ):
        return False
    last[announcement_id] = now_mono
    from telegram.error import BadRequest, TelegramError

    try:
        await bot.edit_message_text(
            text,
            chat_id=announcement.report_chat_id,
            message_id=announcement.report_message_id,
            parse_mode="HTML",
        )
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            log.warning(
                "report edit for announcement %s failed: %s", announcement_id, type(error).__name__
            )
        return False
    except TelegramError as error:
        log.warning(
            "report edit for announcement %s failed: %s", announcement_id, type(error).__name__
        )
        return False
    return True


@on_outcome(ANNOUNCEMENT)
async def announcement_outcome(services: Services, delivery: Delivery) -> None:
    """After each member's delivery: refresh the report (throttled; always the final one)."""
    if delivery.subject_id is not None:
        await edit_report(services, delivery.subject_id)


async def refresh_open_reports(services: Services) -> int:
    """Final edit for reports whose fan-out finished without a last hook (safety net)."""
    async with services.transaction() as session:
        ids = (
            (
                await session.execute(
                    select(Announcement.id).where(Announcement.status == AnnouncementStatus.SENDING)
                )
            )
            .scalars()
            .all()
        )
    return sum([await edit_report(services, int(i)) for i in ids])
