"""Texts of check-in prompts, session reminders and session changes (HTML, warm and short)."""

from __future__ import annotations

from datetime import datetime

from bot.timeutil import zone

CHECKIN_PROMPT = "Hi {name} 🌿 How are you feeling today?"
CHECKIN_PROMPT_ANON = "Hi there 🌿 How are you feeling today?"

REMINDER = (
    "⏰ <b>{group}</b>{title} starts in {delta}\n"
    "🗓 {when}\n\n"
    "Will you be there?"
)
CANCELLED = (
    "Heads up: the <b>{group}</b> session on {when} is cancelled.\n"
    "Nothing you need to do — see /sessions for what's next."
)
MOVED = (
    "Heads up: the <b>{group}</b> session on {old} has moved to <b>{new}</b>.\n"
    "See /sessions for your upcoming sessions."
)
RULE_CHANGED = (
    "The weekly schedule of <b>{group}</b> has changed: {days} at {time}.\n"
    "See /sessions for your upcoming sessions."
)
RULE_ENDED = (
    "The weekly sessions of <b>{group}</b> have ended. "
    "Your facilitator will let you know about anything new."
)

RSVP_THANKS = {
    "going": "Great — see you there! 🌱",
    "not_going": "Thanks for letting us know. Take care 💚",
    "late": "Thanks — we'll expect you a little later.",
}
RSVP_NOTED = {
    "going": "✅ You're going.",
    "not_going": "🙏 You can't make it this time.",
    "late": "🕐 You'll be a little late.",
}
RSVP_CANCELLED = "This session was cancelled, so there's nothing to answer."
RSVP_PAST = "This session has already taken place."
RSVP_NOT_MEMBER = "This reminder is for members of the group only."
RSVP_UNKNOWN = "I couldn't find that session any more."

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def when(instant: datetime, zone_name: str) -> str:
    """A session time on the recipient's wall clock, e.g. "Tue 3 Mar, 18:30 (Europe/Berlin)"."""
    local = instant.astimezone(zone(zone_name))
    return f"{WEEKDAYS[local.weekday()]} {local.day} {local:%b}, {local:%H:%M} ({zone_name})"


def weekdays_label(days: list[int]) -> str:
    """"Mon, Thu" from [0, 3]."""
    return ", ".join(WEEKDAYS[d] for d in sorted(days))
