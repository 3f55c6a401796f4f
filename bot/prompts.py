"""When a participant's next daily check-in prompt is due (domain rule, no Telegram)."""

from __future__ import annotations

from datetime import datetime

from bot.timeutil import next_daily
from storage.models import User


def next_prompt_at(user: User, now: datetime) -> datetime | None:
    """The next instant to prompt this user, or None when prompts are off or not set up."""
    if not user.is_onboarded or not user.prompts_enabled:
        return None
    if user.checkin_time is None or user.timezone is None:
        return None
    after = now
    if user.away_until is not None and user.away_until > now:
        after = user.away_until
    return next_daily(after, user.checkin_time, user.timezone)


def reschedule_prompt(user: User, now: datetime) -> None:
    """Recompute `next_prompt_at` after any change to the user's schedule settings."""
    user.next_prompt_at = next_prompt_at(user, now)
