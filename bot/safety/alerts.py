"""Alerts about members who may be at risk: raising, escalation, acknowledgement, rendering.

Who receives an alert (level):
0. the group's active facilitators and co-facilitators, at once;
1. the same team again after `alert_escalate_minutes` if nobody acknowledged;
2. the admins after `alert_admin_minutes` (counted from the alert), and at once when the
   person has no group or the group has no active facilitator.
Every step is an `AlertEvent`. Alert messages never contain what the person wrote.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import ALERT, Button, Rendered, enqueue, on_outcome, planner, renderer
from bot.safety import texts
from bot.services import Services
from bot.timeutil import zone
from storage.models import Alert, AlertStatus, Delivery, DeliveryStatus, Group, User
from storage.repositories.safety import (
    add_event,
    alert_by_episode,
    alert_events,
    due_alerts,
    open_alert_for,
    team_ids,
)

log = logging.getLogger(__name__)

RISK = "risk"
LOW_MOOD = "low_mood"
MISSED = "missed_checkins"
WHO5 = "who5"

TEAM_LEVEL, REMIND_LEVEL, ADMIN_LEVEL = 0, 1, 2


def format_when(instant: datetime, zone_name: str | None) -> str:
    """A short local date and time such as "Mon 02 Mar, 10:05 (Europe/Berlin)"."""
    name = zone_name or "UTC"
    return f"{instant.astimezone(zone(name)).strftime('%a %d %b, %H:%M')} ({escape(name)})"


async def raise_alert(
    session: AsyncSession,
    services: Services,
    *,
    user_id: int,
    group_id: int | None,
    kind: str,
    source: str,
    now: datetime,
    episode_key: str | None = None,
) -> Alert | None:
    """Record an alert and plan it for the team (or the admins); None when nothing new.

    An episode key makes a pattern alert once-only; a second risk message while a risk alert
    about the same person and group is open is recorded on that alert instead.
    """
    if episode_key is not None and await alert_by_episode(session, episode_key) is not None:
        return None
    if episode_key is None:
        existing = await open_alert_for(session, user_id, group_id, kind)
        if existing is not None:
            await add_event(session, existing.id, "repeated", now, actor_id=user_id)
            return None
    alert = Alert(
        user_id=user_id,
        group_id=group_id,
        kind=kind,
        source=source[:32],
        episode_key=episode_key,
        status=AlertStatus.OPEN,
        escalation_level=TEAM_LEVEL,
        created_at=now,
    )
    session.add(alert)
    await session.flush()
    await add_event(session, alert.id, "raised", now)
    team = await team_ids(session, group_id) if group_id is not None else []
    team = [t for t in team if t != user_id]
    if team:
        alert.next_escalation_at = now + timedelta(minutes=services.settings.alert_escalate_minutes)
        await _send(session, alert, team, TEAM_LEVEL, now)
    else:
        alert.escalation_level = ADMIN_LEVEL
        alert.next_escalation_at = None
        await add_event(session, alert.id, "escalated", now)
        await _send(session, alert, _admins(services, user_id), ADMIN_LEVEL, now)
    log.info("alert %s raised (kind=%s, group=%s)", alert.id, kind, group_id)
    return alert


def _admins(services: Services, exclude: int | None = None) -> list[int]:
    """The clinic's admins, never the person the alert is about."""
    return sorted(a for a in services.settings.admin_user_ids if a != exclude)


async def _send(
    session: AsyncSession, alert: Alert, recipients: list[int], level: int, now: datetime
) -> int:
    """Plan one alert message per recipient for this level."""
    if not recipients:
        log.warning("alert %s has nobody to go to at level %s", alert.id, level)
    created = 0
    for recipient in recipients:
        created += await enqueue(
            session,
            kind=ALERT,
            key=f"alert:{alert.id}:{level}:{recipient}",
            recipient_id=recipient,
            due_at=now,
            now=now,
            subject_id=alert.id,
            payload={"variant": "alert", "level": level},
        )
    return created


async def alert_recipients(session: AsyncSession, alert_id: int) -> list[int]:
    """Everyone an alert was planned for so far."""
    rows = await session.execute(
        select(Delivery.recipient_id)
        .where(Delivery.kind == ALERT, Delivery.subject_id == alert_id)
        .distinct()
    )
    return sorted(int(r) for r in rows.scalars())


async def escalate(session: AsyncSession, services: Services, alert: Alert, now: datetime) -> int:
    """Move an unacknowledged alert one level up and plan its messages."""
    settings = services.settings
    level = alert.escalation_level + 1
    recipients: list[int] = []
    if level == REMIND_LEVEL and alert.group_id is not None:
        recipients = [t for t in await team_ids(session, alert.group_id) if t != alert.user_id]
    if not recipients:
        level = ADMIN_LEVEL
        recipients = _admins(services, alert.user_id)
    alert.escalation_level = level
    if level == REMIND_LEVEL:
        admin_at = alert.created_at + timedelta(minutes=settings.alert_admin_minutes)
        alert.next_escalation_at = max(admin_at, now)
    else:
        alert.next_escalation_at = None
    await add_event(session, alert.id, "escalated", now)
    log.info("alert %s escalated to level %s", alert.id, level)
    return await _send(session, alert, recipients, level, now)


@planner
async def escalate_due_alerts(session: AsyncSession, services: Services, now: datetime) -> int:
    """Escalate every open alert whose time has come."""
    planned = 0
    for alert in await due_alerts(session, now):
        planned += await escalate(session, services, alert, now)
    return planned


async def acknowledge(
    session: AsyncSession, alert: Alert, by: int, now: datetime
) -> bool:
    """Close an alert for escalation; False when it was already acknowledged."""
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return False
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_by = by
    alert.acknowledged_at = now
    alert.next_escalation_at = None
    await add_event(session, alert.id, "acknowledged", now, actor_id=by)
    for recipient in await alert_recipients(session, alert.id):
        if recipient != by:
            await enqueue(
                session, kind=ALERT, key=f"alert:{alert.id}:ackd:{recipient}",
                recipient_id=recipient, due_at=now, now=now, subject_id=alert.id,
                payload={"variant": "acknowledged"},
            )
    log.info("alert %s acknowledged", alert.id)
    return True


async def participant_ok(session: AsyncSession, alert: Alert, now: datetime) -> None:
    """Record the person's "I'm okay" and tell whoever got the alert; the alert stays open."""
    await add_event(session, alert.id, "participant_ok", now, actor_id=alert.user_id)
    for recipient in await alert_recipients(session, alert.id):
        await enqueue(
            session, kind=ALERT, key=f"alert:{alert.id}:ok:{recipient}",
            recipient_id=recipient, due_at=now, now=now, subject_id=alert.id,
            payload={"variant": "participant_ok"},
        )


def describe(alert: Alert) -> str:
    """What happened, without anything the person wrote."""
    if alert.kind == RISK:
        return texts.RISK_SOURCES.get(alert.source, texts.RISK_SOURCES["message"])
    key, _, arg = alert.source.partition(":")
    template = texts.PATTERN_TEXTS.get(key, "may need someone to check in with them.")
    if key == "missed":
        return template.format(days=escape(arg))
    if key in ("who5_low", "who5_drop"):
        score, _, drop = arg.partition(":")
        return template.format(score=escape(score), drop=escape(drop))
    return template


async def _names(
    session: AsyncSession, alert: Alert
) -> tuple[str, str, str | None]:
    """(member name, group label, group time zone), escaped."""
    user = await session.get(User, alert.user_id) if alert.user_id is not None else None
    name = escape(user.display_name or texts.SOMEONE) if user is not None else texts.SOMEONE
    group = await session.get(Group, alert.group_id) if alert.group_id is not None else None
    label = escape(group.name) if group is not None else texts.NO_GROUP
    tz = group.timezone if group is not None else (user.timezone if user is not None else None)
    return name, label, tz


@renderer(ALERT)
async def render_alert(session: AsyncSession, delivery: Delivery, services: Services) -> Rendered:
    """An alert, a reminder, an admin escalation, or an update about one."""
    alert = await session.get(Alert, delivery.subject_id) if delivery.subject_id else None
    if alert is None:
        return Rendered(skip="alert deleted")
    variant = str(delivery.payload.get("variant", "alert"))
    level = int(delivery.payload.get("level", 0))
    acked = alert.status == AlertStatus.ACKNOWLEDGED
    name, group, tz = await _names(session, alert)
    ack_button = [[Button(texts.ACK_BUTTON, data=f"al:ack:{alert.id}")]]
    if variant == "acknowledged":
        by = await session.get(User, alert.acknowledged_by) if alert.acknowledged_by else None
        by_name = escape(by.display_name or "a facilitator") if by else "an admin"
        return Rendered(texts.ALERT_ACKED_UPDATE.format(name=name, group=group, by=by_name))
    if variant == "participant_ok":
        if acked:
            return Rendered(skip="acknowledged")
        events = [e for e in await alert_events(session, alert.id) if e.action == "participant_ok"]
        when = format_when(events[-1].at if events else alert.created_at, tz)
        return Rendered(
            texts.ALERT_OK_UPDATE.format(name=name, group=group, when=when), buttons=ack_button
        )
    if acked and level > TEAM_LEVEL:
        return Rendered(skip="acknowledged")
    if level == REMIND_LEVEL:
        header = texts.ALERT_ESCALATION_HEADER.format(
            minutes=services.settings.alert_escalate_minutes
        )
    elif level == ADMIN_LEVEL:
        header = texts.ALERT_NO_GROUP_HEADER if alert.group_id is None else texts.ALERT_ADMIN_HEADER
    else:
        header = texts.ALERT_HEADER
    lines = [
        header,
        "",
        texts.ALERT_WHO.format(name=name, group=group),
        f"{name} {describe(alert)}",
        texts.ALERT_WHEN.format(when=format_when(alert.created_at, tz)),
    ]
    if alert.kind == RISK:
        lines.append(texts.ALERT_RESOURCES_GIVEN)
    for event in await alert_events(session, alert.id):
        if event.action == "participant_ok":
            lines.append(texts.ALERT_OK_LINE.format(when=format_when(event.at, tz)))
    lines += ["", texts.ALERT_FOOTER]
    buttons = ack_button
    if acked:
        by = await session.get(User, alert.acknowledged_by) if alert.acknowledged_by else None
        lines.append(
            texts.ALERT_ACKED_LINE.format(
                name=escape(by.display_name or "a facilitator") if by else "an admin",
                when=format_when(alert.acknowledged_at or alert.created_at, tz),
            )
        )
        buttons = []
    elif alert.kind == RISK and alert.source == "share" and alert.group_id is not None:
        buttons = [*ack_button, [Button(texts.SHOW_SHARE_BUTTON, data=f"al:show:{alert.id}")]]
    return Rendered("\n".join(lines), buttons=buttons)


@on_outcome(ALERT)
async def record_alert_outcome(services: Services, delivery: Delivery) -> None:
    """Keep "sent" (or why not) in the alert's audit trail."""
    if delivery.subject_id is None or delivery.payload.get("variant", "alert") != "alert":
        return
    action = "sent" if delivery.status == DeliveryStatus.SENT else "not_sent"
    async with services.transaction() as session:
        if await session.get(Alert, delivery.subject_id) is None:
            return
        await add_event(
            session, delivery.subject_id, action, services.clock.now(),
            actor_id=delivery.recipient_id,
        )
