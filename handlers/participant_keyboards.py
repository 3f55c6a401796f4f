"""Keyboards of the participant flows (pure functions).

Callback areas owned here: `ci` (check-in), `pset` (settings), `pleave` (leaving a group),
`pdata` (forget my data).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.checkins import FEELINGS, feeling_label
from bot.delivery.outbox import Button, mood_buttons
from bot.timeutil import COMMON_ZONES
from handlers.callbacks import pack
from handlers.keyboards import CHECKIN_TIME_CHOICES

AWAY_CHOICES = (3, 7, 14)


def markup(rows: list[list[Button]]) -> InlineKeyboardMarkup:
    """Delivery-contract buttons as a Telegram inline keyboard."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in rows
        ]
    )


def mood_keyboard(day_compact: str) -> InlineKeyboardMarkup:
    """Mood 1-5 for one local day (same buttons as the daily prompt)."""
    return markup(mood_buttons(day_compact))


def replace_keyboard(day_compact: str) -> InlineKeyboardMarkup:
    """Replace today's check-in, or keep it."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "Yes, check in again", callback_data=pack("ci", "upd", day_compact)
                )
            ],
            [InlineKeyboardButton("No, keep it", callback_data=pack("ci", "keep", day_compact))],
        ]
    )


def tags_keyboard(selected: list[str]) -> InlineKeyboardMarkup:
    """The feelings, two per row, ticked when selected; Done at the bottom."""
    buttons = [
        InlineKeyboardButton(
            ("✓ " if name in selected else "") + feeling_label(name),
            callback_data=pack("ci", "t", index),
        )
        for index, name in enumerate(FEELINGS)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton("Done", callback_data=pack("ci", "done"))])
    return InlineKeyboardMarkup(rows)


def note_keyboard() -> InlineKeyboardMarkup:
    """Skip the note."""
    return InlineKeyboardMarkup([[InlineKeyboardButton("Skip", callback_data=pack("ci", "skip"))]])


def settings_keyboard(
    *, prompts: bool, away: bool, visible: bool, shares: bool
) -> InlineKeyboardMarkup:
    """One button per setting; toggles carry the value they set, so a double tap is harmless."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("🌍 Time zone", callback_data=pack("pset", "tz")),
                InlineKeyboardButton("⏰ Check-in time", callback_data=pack("pset", "time")),
            ],
            [
                InlineKeyboardButton(
                    "🔕 Turn reminders off" if prompts else "🔔 Turn reminders on",
                    callback_data=pack("pset", "prompts", "off" if prompts else "on"),
                )
            ],
            [
                InlineKeyboardButton("🏝 End away mode", callback_data=pack("pset", "awayend"))
                if away
                else InlineKeyboardButton("🏝 Away mode", callback_data=pack("pset", "away"))
            ],
            [
                InlineKeyboardButton(
                    "👀 Show facilitators summaries only" if visible
                    else "👀 Let facilitators see my check-ins",
                    callback_data=pack("pset", "vis", "off" if visible else "on"),
                )
            ],
            [
                InlineKeyboardButton(
                    "💬 Stop receiving shared reflections" if shares
                    else "💬 Receive shared reflections",
                    callback_data=pack("pset", "shares", "off" if shares else "on"),
                )
            ],
        ]
    )


def settings_zone_keyboard() -> InlineKeyboardMarkup:
    """Common zones, two per row."""
    buttons = [
        InlineKeyboardButton(label, callback_data=pack("pset", "tzv", index))
        for index, (label, _zone) in enumerate(COMMON_ZONES)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def settings_time_keyboard() -> InlineKeyboardMarkup:
    """A few typical check-in times."""
    buttons = [
        InlineKeyboardButton(t, callback_data=pack("pset", "timev", t.replace(":", "")))
        for t in CHECKIN_TIME_CHOICES
    ]
    return InlineKeyboardMarkup([buttons[:3], buttons[3:]])


def away_keyboard() -> InlineKeyboardMarkup:
    """A few away durations in days."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(f"{days} days", callback_data=pack("pset", "awayv", days))
                for days in AWAY_CHOICES
            ]
        ]
    )


def leave_choice_keyboard(groups: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per group the person may leave."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(name[:60], callback_data=pack("pleave", "ask", group_id))]
            for group_id, name in groups
        ]
    )


def leave_confirm_keyboard(group_id: int, stamp: int) -> InlineKeyboardMarkup:
    """Leave or stay; `stamp` (Unix seconds) lets an old confirmation expire."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "Yes, leave", callback_data=pack("pleave", "yes", group_id, stamp)
                )
            ],
            [InlineKeyboardButton("No, stay", callback_data=pack("pleave", "no", group_id, stamp))],
        ]
    )


def forget_keyboard(stamp: int) -> InlineKeyboardMarkup:
    """Delete everything, or keep it; `stamp` (Unix seconds) lets an old confirmation expire."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "Yes, delete everything", callback_data=pack("pdata", "forget", "yes", stamp)
                )
            ],
            [
                InlineKeyboardButton(
                    "No, keep my data", callback_data=pack("pdata", "forget", "no", stamp)
                )
            ],
        ]
    )
