"""Scheduling: sessions (weekly rules, one-offs, cancel / move), reminders and check-in prompts.

Importing this package registers the planners and renderers with the delivery outbox.
"""

from bot.scheduling import prompts, reminders
from bot.scheduling.sessions import (
    HORIZON,
    SchedulingError,
    add_one_off,
    cancel_occurrence,
    create_weekly_rule,
    expand_rules,
    move_occurrence,
    next_reminder_after,
    reminder_offsets,
    upcoming_occurrences,
    update_weekly_rule,
)

__all__ = [
    "HORIZON",
    "SchedulingError",
    "add_one_off",
    "cancel_occurrence",
    "create_weekly_rule",
    "expand_rules",
    "move_occurrence",
    "next_reminder_after",
    "prompts",
    "reminder_offsets",
    "reminders",
    "upcoming_occurrences",
    "update_weekly_rule",
]
