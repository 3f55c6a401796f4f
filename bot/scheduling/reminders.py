"""Session reminders and change notices: the reminders planner and their renderers."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import (
    SESSION_CHANGED,
    SESSION_REMINDER,
    Planned,
    Rendered,
    enqueue_many,
    planner,
    renderer,
    rsvp_buttons,
)
from bot.scheduling import texts
from bot.scheduling.sessions import (
    REMINDED_ROLES,
    next_reminder_after,
    plan_rules,
    reminder_offsets,
)
from bot.timeutil import humanize_delta
from storage.models import (
    Delivery,
    Group,
    OccurrenceStatus,
    SessionOccurrence,
    SessionRule,
    User,
)
from storage.repositories.sessions import (
    active_member_ids_by_group,
    get_rsvp,
    is_active_member,
)

if TYPE_CHECKING:
    from bot.services import Services

BATCH = 200
TINY = timedelta(microseconds=1)


def reminder_key(occurrence: SessionOccurrence, offset: int, user_id: int) -> str:
    """Idempotency key of one reminder: occurrence, its start (a move makes new keys),
    offset, recipient."""
    return f"sr:{occurrence.id}:{int(occurrence.starts_at.timestamp())}:{offset}:{user_id}"


async def plan_reminders(session: AsyncSession, services: Services, now: datetime) -> int:
    """Planner: occurrences whose `next_reminder_at` has come get one reminder per member.

    When several offsets became due at once (the bot was down), only the latest is sent.
    Returns how many occurrences were handled (the engine calls again while > 0).
    """
    rows = await session.execute(
        select(SessionOccurrence, Group)
        .join(Group, Group.id == SessionOccurrence.group_id)
        .where(SessionOccurrence.next_reminder_at <= now)
        .order_by(SessionOccurrence.next_reminder_at, SessionOccurrence.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True, of=SessionOccurrence)
    )
    found = rows.all()
    members = await active_member_ids_by_group(
        session, sorted({group.id for _, group in found}), REMINDED_ROLES
    )
    planned: list[Planned] = []
    moves: list[dict[str, Any]] = []
    for occurrence, group in found:
        offsets = reminder_offsets(group)
        planned_from = occurrence.next_reminder_at or now
        due = [
            (occurrence.starts_at - timedelta(minutes=m), m)
            for m in offsets
            if planned_from <= occurrence.starts_at - timedelta(minutes=m) <= now
        ]
        if occurrence.status == OccurrenceStatus.SCHEDULED and due:
            due_at, offset = max(due)
            planned += [
                Planned(
                    kind=SESSION_REMINDER,
                    key=reminder_key(occurrence, offset, user_id),
                    recipient_id=user_id,
                    subject_id=occurrence.id,
                    due_at=due_at,
                    not_after=occurrence.starts_at,
                    payload={"offset": offset, "starts_at": occurrence.starts_at.isoformat()},
                )
                for user_id in members.get(group.id, [])
            ]
        following = (
            next_reminder_after(occurrence.starts_at, offsets, now + TINY)
            if occurrence.status == OccurrenceStatus.SCHEDULED
            else None
        )
        moves.append({"id": occurrence.id, "next_reminder_at": following})
    await enqueue_many(session, planned, now=now)
    if moves:
        await session.execute(
            update(SessionOccurrence).execution_options(synchronize_session=False), moves
        )
    return len(found)


plan_reminders.batched = True  # type: ignore[attr-defined]
planner(plan_rules)
planner(plan_reminders)


async def _zone_for(session: AsyncSession, user_id: int, group: Group) -> str:
    user = await session.get(User, user_id)
    return (user.timezone if user is not None and user.timezone else None) or group.timezone


@renderer(SESSION_REMINDER)
async def render_reminder(
    session: AsyncSession, delivery: Delivery, services: Services
) -> Rendered:
    """A reminder with Going / Can't make it / Running late; skipped if the session changed."""
    now = services.clock.now()
    occurrence = await session.get(SessionOccurrence, delivery.subject_id or 0)
    if occurrence is None:
        return Rendered(skip="session removed")
    if occurrence.status == OccurrenceStatus.CANCELLED:
        return Rendered(skip="session cancelled")
    if occurrence.starts_at.isoformat() != delivery.payload.get("starts_at"):
        return Rendered(skip="session moved")
    if now >= occurrence.starts_at:
        return Rendered(skip="session already started")
    if not await is_active_member(session, occurrence.group_id, delivery.recipient_id):
        return Rendered(skip="no longer a member")
    group = await session.get(Group, occurrence.group_id)
    assert group is not None
    zone_name = await _zone_for(session, delivery.recipient_id, group)
    rsvp = await get_rsvp(session, occurrence.id, delivery.recipient_id)
    title = f" — {escape(occurrence.title)}" if occurrence.title else ""
    delta = occurrence.starts_at - now
    text = texts.REMINDER.format(
        group=escape(group.name),
        title=title,
        delta=humanize_delta(timedelta(minutes=max(1, round(delta.total_seconds() / 60)))),
        when=escape(texts.when(occurrence.starts_at, zone_name)),
    )
    current = rsvp.answer.value if rsvp is not None else None
    if current is not None:
        text += "\n" + texts.RSVP_NOTED[current]
    return Rendered(text=text, buttons=rsvp_buttons(occurrence.id, current))


@renderer(SESSION_CHANGED)
async def render_changed(session: AsyncSession, delivery: Delivery, services: Services) -> Rendered:
    """A cancellation, a move or a new weekly schedule, in the recipient's time zone."""
    action = delivery.payload.get("action")
    if action == "rule":
        rule = await session.get(SessionRule, int(delivery.payload.get("rule_id") or 0))
        group = await session.get(Group, int(delivery.payload.get("group_id") or 0))
        if rule is None or group is None:
            return Rendered(skip="schedule removed")
        if not rule.active:
            return Rendered(text=texts.RULE_ENDED.format(group=escape(group.name)))
        return Rendered(
            text=texts.RULE_CHANGED.format(
                group=escape(group.name),
                days=texts.weekdays_label(list(rule.weekdays)),
                time=f"{rule.start_time:%H:%M} ({escape(group.timezone)})",
            )
        )
    occurrence = await session.get(SessionOccurrence, delivery.subject_id or 0)
    if occurrence is None:
        return Rendered(skip="session removed")
    group = await session.get(Group, occurrence.group_id)
    assert group is not None
    zone_name = await _zone_for(session, delivery.recipient_id, group)
    if action == "cancelled":
        starts = datetime.fromisoformat(str(delivery.payload["starts_at"]))
        return Rendered(
            text=texts.CANCELLED.format(
                group=escape(group.name), when=escape(texts.when(starts, zone_name))
            )
        )
    if action == "moved":
        if occurrence.status == OccurrenceStatus.CANCELLED:
            return Rendered(skip="session cancelled since")
        if occurrence.starts_at.isoformat() != delivery.payload.get("starts_at"):
            return Rendered(skip="moved again since")
        old = datetime.fromisoformat(str(delivery.payload["old_start"]))
        return Rendered(
            text=texts.MOVED.format(
                group=escape(group.name),
                old=escape(texts.when(old, zone_name)),
                new=escape(texts.when(occurrence.starts_at, zone_name)),
            )
        )
    return Rendered(skip="unknown change")
