"""Keyboards for onboarding and common replies (pure functions)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.timeutil import COMMON_ZONES
from handlers.callbacks import pack

CHECKIN_TIME_CHOICES = ("08:00", "12:00", "18:00", "20:00", "21:30")


def consent_keyboard() -> InlineKeyboardMarkup:
    """I agree / Not now."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes, I agree", callback_data=pack("ob", "consent", "yes"))],
            [InlineKeyboardButton("Not now", callback_data=pack("ob", "consent", "no"))],
        ]
    )


def timezone_keyboard() -> InlineKeyboardMarkup:
    """A short list of common zones, two per row."""
    buttons = [
        InlineKeyboardButton(label, callback_data=pack("ob", "tz", str(index)))
        for index, (label, _zone) in enumerate(COMMON_ZONES)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(rows)


def checkin_time_keyboard() -> InlineKeyboardMarkup:
    """A few typical check-in times."""
    buttons = [
        InlineKeyboardButton(t, callback_data=pack("ob", "time", t.replace(":", "")))
        for t in CHECKIN_TIME_CHOICES
    ]
    return InlineKeyboardMarkup([buttons[:3], buttons[3:]])


def visibility_keyboard() -> InlineKeyboardMarkup:
    """Whether facilitators may see individual check-ins."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes, that's okay", callback_data=pack("ob", "vis", "yes"))],
            [
                InlineKeyboardButton(
                    "Only group summaries", callback_data=pack("ob", "vis", "no")
                )
            ],
        ]
    )


def open_private_chat_keyboard(bot_username: str) -> InlineKeyboardMarkup:
    """A button that opens the private chat with the bot."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open private chat", url=f"https://t.me/{bot_username}")]]
    )
