"""Daily check-in prompts: the planner (indexed on `User.next_prompt_at`) and the renderer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import (
    CHECKIN_PROMPT,
    Planned,
    Rendered,
    enqueue_many,
    mood_buttons,
    planner,
    renderer,
)
from bot.prompts import next_prompt_at
from bot.scheduling import texts
from bot.timeutil import local_date, to_utc
from storage.models import CheckIn, Delivery, User

if TYPE_CHECKING:
    from bot.services import Services

BATCH = 500


def prompt_deadline(due_at: datetime, zone_name: str, late_window_minutes: int) -> datetime:
    """The last instant a prompt due at `due_at` may go out: within the late window and on
    the same local day."""
    day = local_date(due_at, zone_name)
    end_of_day = to_utc(day + timedelta(days=1), time(0, 0), zone_name)
    return min(due_at + timedelta(minutes=late_window_minutes), end_of_day)


async def plan_checkin_prompts(session: AsyncSession, services: Services, now: datetime) -> int:
    """Planner: every user whose `next_prompt_at` has come gets one prompt for that local day,
    then `next_prompt_at` moves to the next day. Returns how many users were handled.

    One batch is one multi-row INSERT of prompts and one bulk UPDATE of `next_prompt_at`; the
    engine calls again (a new short transaction) while users were handled."""
    rows = await session.execute(
        select(User)
        .where(User.next_prompt_at <= now)
        .order_by(User.next_prompt_at, User.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    users = list(rows.scalars())
    window = services.settings.checkin_late_window_minutes
    planned: list[Planned] = []
    moves: list[dict[str, Any]] = []
    for user in users:
        due = user.next_prompt_at
        assert due is not None
        if user.timezone and user.is_onboarded and user.prompts_enabled:
            day = local_date(due, user.timezone)
            planned.append(Planned(
                kind=CHECKIN_PROMPT,
                key=f"ci:{user.id}:{day:%Y%m%d}",
                recipient_id=user.id,
                due_at=due,
                not_after=prompt_deadline(due, user.timezone, window),
                payload={"date": f"{day:%Y%m%d}", "tz": user.timezone},
            ))
        following = next_prompt_at(user, max(now, due) + timedelta(seconds=1))
        moves.append({"id": user.id, "next_prompt_at": following, "updated_at": now})
    await enqueue_many(session, planned, now=now)
    if moves:
        await session.execute(
            update(User).execution_options(synchronize_session=False), moves
        )
    return len(users)


plan_checkin_prompts.batched = True  # type: ignore[attr-defined]
planner(plan_checkin_prompts)


@renderer(CHECKIN_PROMPT)
async def render_checkin_prompt(
    session: AsyncSession, delivery: Delivery, services: Services
) -> Rendered:
    """"Hi {name} 🌿 How are you feeling today?" with mood buttons for that local day."""
    user = await session.get(User, delivery.recipient_id)
    if user is None or not user.is_onboarded:
        return Rendered(skip="no longer a participant")
    if not user.prompts_enabled:
        return Rendered(skip="prompts turned off")
    now = services.clock.now()
    if user.away_until is not None and user.away_until > now:
        return Rendered(skip="away")
    compact = str(delivery.payload.get("date", ""))
    try:
        day = date(int(compact[:4]), int(compact[4:6]), int(compact[6:8]))
    except ValueError:
        return Rendered(skip="bad payload")
    done = await session.scalar(
        select(CheckIn.id).where(CheckIn.user_id == user.id, CheckIn.local_date == day)
    )
    if done is not None:
        return Rendered(skip="already checked in")
    name = (user.display_name or "").strip()
    text = (
        texts.CHECKIN_PROMPT.format(name=escape(name)) if name else texts.CHECKIN_PROMPT_ANON
    )
    return Rendered(text=text, buttons=mood_buttons(compact))
