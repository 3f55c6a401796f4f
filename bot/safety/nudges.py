"""One gentle nudge when a prompted check-in is still missing `nudge_after_hours` later:
never more than one a day (key `nudge:<user>:<local date>`), never in away mode, never with
prompts off, never at night, and not once the person has checked in."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.delivery.outbox import (
    CHECKIN_PROMPT,
    NUDGE,
    Rendered,
    enqueue,
    mood_buttons,
    planner,
    renderer,
)
from bot.safety import texts
from bot.services import Services
from bot.timeutil import to_utc, zone
from storage.models import CheckIn, Delivery, DeliveryStatus, User

LOOKBACK = timedelta(hours=12)
AWAKE = (8, 22)  # local hours in which a nudge may go out


def parse_day(compact: str) -> date | None:
    """A YYYYMMDD date, or None."""
    try:
        return date(int(compact[:4]), int(compact[4:6]), int(compact[6:8]))
    except ValueError:
        return None


async def why_not(
    session: AsyncSession, user: User | None, day: date, now: datetime
) -> str | None:
    """Why a nudge must not go to this person for this day, or None when it may."""
    if user is None or not user.is_onboarded or user.timezone is None:
        return "not a participant"
    if not user.prompts_enabled:
        return "prompts off"
    if user.away_until is not None and user.away_until > now:
        return "away"
    if not AWAKE[0] <= now.astimezone(zone(user.timezone)).hour < AWAKE[1]:
        return "night"
    done = await session.scalar(
        select(CheckIn.id).where(CheckIn.user_id == user.id, CheckIn.local_date == day)
    )
    return "checked in" if done is not None else None


@planner
async def plan_nudges(session: AsyncSession, services: Services, now: datetime) -> int:
    """Nudge whoever got a prompt `nudge_after_hours` ago and has not checked in that day."""
    after = timedelta(hours=services.settings.nudge_after_hours)
    nudge = aliased(Delivery)
    already = (  # the nudge of a prompt "ci:<user>:<date>" has the key "nudge:<user>:<date>"
        select(nudge.id)
        .where(nudge.key == literal("nudge:") + func.substr(Delivery.key, 4))
        .exists()
    )
    rows = await session.execute(
        select(Delivery).where(  # index ix_deliveries_kind_status_sent
            Delivery.kind == CHECKIN_PROMPT,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.sent_at <= now - after,
            Delivery.sent_at > now - after - LOOKBACK,
            ~already,
        )
    )
    planned = 0
    for prompt in rows.scalars():
        compact = str(prompt.payload.get("date", ""))
        day = parse_day(compact)
        if day is None:
            continue
        user = await session.get(User, prompt.recipient_id)
        if await why_not(session, user, day, now) is not None:
            continue
        assert user is not None and user.timezone is not None
        planned += await enqueue(
            session, kind=NUDGE, key=f"nudge:{user.id}:{compact}", recipient_id=user.id,
            due_at=now, now=now, not_after=to_utc(day + timedelta(days=1), time(0), user.timezone),
            payload={"date": compact},
        )
    return planned


@renderer(NUDGE)
async def render_nudge(session: AsyncSession, delivery: Delivery, services: Services) -> Rendered:
    """The nudge with that day's mood buttons, unless it no longer applies."""
    compact = str(delivery.payload.get("date", ""))
    day = parse_day(compact)
    if day is None:
        return Rendered(skip="bad payload")
    user = await session.get(User, delivery.recipient_id)
    reason = await why_not(session, user, day, services.clock.now())
    if reason is not None:
        return Rendered(skip=reason)
    return Rendered(texts.NUDGE, buttons=mood_buttons(compact))
