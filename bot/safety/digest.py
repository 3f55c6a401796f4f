"""The facilitators' digest before each session (`Group.digest_offset_minutes` ahead): RSVPs,
members whose mood changed most since the last session and missed check-ins (only members
who allowed facilitators to see their check-ins), and open alerts. Built at send time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import DIGEST, Rendered, enqueue, planner, renderer
from bot.safety.alerts import format_when
from bot.services import Services
from bot.timeutil import local_date
from storage.models import (
    CheckIn,
    Delivery,
    Group,
    Membership,
    MemberStatus,
    OccurrenceStatus,
    Role,
    Rsvp,
    RsvpAnswer,
    SessionOccurrence,
    User,
)
from storage.repositories.safety import TEAM_ROLES, is_team_member, open_alerts_of_group

HORIZON = timedelta(days=3)
BASELINE = timedelta(days=7)
TOP_CHANGES = 3
MIN_CHANGE = 0.5
MIN_MISSED = 2

RSVP_LABELS = {
    RsvpAnswer.GOING: "Going",
    RsvpAnswer.LATE: "Running late",
    RsvpAnswer.NOT_GOING: "Can't make it",
}


@planner
async def plan_session_digests(session: AsyncSession, services: Services, now: datetime) -> int:
    """One digest per facilitator per upcoming session, once its digest time has come.

    Only sessions starting within the largest digest offset are read, and only the
    (session, facilitator) pairs without a digest yet are planned, so an idle tick is cheap.
    """
    widest = await session.scalar(
        select(func.max(Group.digest_offset_minutes)).where(Group.archived_at.is_(None))
    )
    if widest is None:
        return 0
    window = min(HORIZON, timedelta(minutes=max(0, int(widest))))
    rows = await session.execute(
        select(SessionOccurrence, Group)
        .join(Group, Group.id == SessionOccurrence.group_id)
        .where(
            SessionOccurrence.status == OccurrenceStatus.SCHEDULED,
            SessionOccurrence.starts_at > now,
            SessionOccurrence.starts_at <= now + window,
            Group.archived_at.is_(None),
        )
    )
    due = [
        (occurrence, group)
        for occurrence, group in rows.all()
        if occurrence.starts_at - timedelta(minutes=group.digest_offset_minutes) <= now
    ]
    if not due:
        return 0
    existing = await session.execute(
        select(Delivery.subject_id, Delivery.recipient_id).where(
            Delivery.kind == DIGEST, Delivery.subject_id.in_([o.id for o, _ in due])
        )
    )
    planned_pairs = {(subject, int(recipient)) for subject, recipient in existing.all()}
    team_rows = await session.execute(  # team_ids() of every group at once
        select(Membership.group_id, Membership.user_id)
        .where(
            Membership.group_id.in_({group.id for _, group in due}),
            Membership.role.in_(TEAM_ROLES),
            Membership.status == MemberStatus.ACTIVE,
        )
        .order_by(Membership.role, Membership.user_id)
    )
    teams: dict[int, list[int]] = {}
    for group_id, user_id in team_rows.all():
        teams.setdefault(group_id, []).append(int(user_id))
    planned = 0
    for occurrence, group in due:
        for facilitator in teams.get(group.id, []):
            if (occurrence.id, facilitator) in planned_pairs:
                continue
            planned += await enqueue(
                session, kind=DIGEST, key=f"digest:{occurrence.id}:{facilitator}",
                recipient_id=facilitator, due_at=now, now=now, subject_id=occurrence.id,
                not_after=occurrence.starts_at, payload={"group_id": group.id},
            )
    return planned


async def _previous_start(session: AsyncSession, occurrence: SessionOccurrence) -> datetime | None:
    """When the group's previous session started."""
    stmt = (
        select(SessionOccurrence.starts_at)
        .where(
            SessionOccurrence.group_id == occurrence.group_id,
            SessionOccurrence.status == OccurrenceStatus.SCHEDULED,
            SessionOccurrence.starts_at < occurrence.starts_at,
        )
        .order_by(SessionOccurrence.starts_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _mean(values: list[int]) -> float | None:
    """Average, or None for no values."""
    return sum(values) / len(values) if values else None


async def _participants(session: AsyncSession, group_id: int) -> list[User]:
    """Active participants of the group."""
    rows = await session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.group_id == group_id,
            Membership.role == Role.PARTICIPANT,
            Membership.status == MemberStatus.ACTIVE,
        )
        .order_by(User.display_name, User.id)
    )
    return list(rows.scalars())


async def _moods(
    session: AsyncSession, user_id: int, first: date, last: date
) -> list[tuple[date, int]]:
    """A person's check-ins between two local dates (inclusive)."""
    rows = await session.execute(
        select(CheckIn.local_date, CheckIn.mood).where(
            CheckIn.user_id == user_id, CheckIn.local_date >= first, CheckIn.local_date <= last
        )
    )
    return [(d, int(m)) for d, m in rows.all()]


@renderer(DIGEST)
async def render_session_digest(
    session: AsyncSession, delivery: Delivery, services: Services
) -> Rendered:
    """The digest for one facilitator, with what is true now."""
    occurrence = (
        await session.get(SessionOccurrence, delivery.subject_id) if delivery.subject_id else None
    )
    if occurrence is None or occurrence.status != OccurrenceStatus.SCHEDULED:
        return Rendered(skip="session cancelled")
    if not await is_team_member(session, delivery.recipient_id, occurrence.group_id):
        return Rendered(skip="no longer facilitates the group")
    group = await session.get(Group, occurrence.group_id)
    assert group is not None
    now = services.clock.now()
    since = await _previous_start(session, occurrence) or occurrence.starts_at - BASELINE
    tz = group.timezone
    lines = [
        f"📋 <b>Before your session</b> · {escape(group.name)}",
        f"Starts {format_when(occurrence.starts_at, tz)}",
        "",
    ]
    lines += await _rsvp_lines(session, occurrence)
    members = await _participants(session, group.id)
    allowed = [m for m in members if m.share_with_facilitators]
    changes: list[tuple[float, str]] = []
    missed: list[tuple[int, str]] = []
    today = local_date(now, tz)
    first = local_date(since, tz)
    for member in allowed:
        name = escape(member.display_name or "A member")
        after = await _moods(session, member.id, first, today)
        before = await _moods(session, member.id, first - timedelta(days=7), first - timedelta(1))
        mean_after, mean_before = _mean([m for _, m in after]), _mean([m for _, m in before])
        if mean_after is not None and mean_before is not None:
            delta = mean_after - mean_before
            if abs(delta) >= MIN_CHANGE:
                arrow = "↑" if delta > 0 else "↓"
                changes.append(
                    (abs(delta), f"• {name}: {mean_before:.1f} → {mean_after:.1f} ({arrow})")
                )
        days = max((today - first).days, 0)
        gaps = days - len({d for d, _ in after if d < today})
        if gaps >= MIN_MISSED:
            missed.append((gaps, f"• {name}: {gaps} of the last {days} days"))
    lines.append("")
    lines.append("<b>Mood changes since the last session</b>")
    changes.sort(key=lambda c: -c[0])
    lines += [c[1] for c in changes[:TOP_CHANGES]] or ["• No big changes."]
    lines.append("")
    lines.append("<b>Missed check-ins</b>")
    missed.sort(key=lambda m: -m[0])
    lines += [m[1] for m in missed] or ["• None worth mentioning."]
    private = len(members) - len(allowed)
    if private:
        lines.append(f"({private} member(s) keep their check-ins private and are not listed.)")
    alerts = await open_alerts_of_group(session, group.id)
    lines.append("")
    lines.append(f"<b>Open alerts:</b> {len(alerts)}")
    for alert in alerts:
        user = await session.get(User, alert.user_id) if alert.user_id is not None else None
        who = escape(user.display_name or "A member") if user else "A member"
        lines.append(f"• {who} (since {format_when(alert.created_at, tz)})")
    return Rendered("\n".join(lines))


async def _rsvp_lines(session: AsyncSession, occurrence: SessionOccurrence) -> list[str]:
    """RSVP counts and names."""
    rows = await session.execute(
        select(Rsvp.answer, User.display_name)
        .join(User, User.id == Rsvp.user_id)
        .where(Rsvp.occurrence_id == occurrence.id)
        .order_by(User.display_name)
    )
    by_answer: dict[RsvpAnswer, list[str]] = {}
    for answer, name in rows.all():
        by_answer.setdefault(answer, []).append(escape(name or "A member"))
    lines = ["<b>RSVPs</b>"]
    for answer, label in RSVP_LABELS.items():
        names = by_answer.get(answer, [])
        lines.append(f"• {label}: {len(names)}" + (f" ({', '.join(names)})" if names else ""))
    return lines
