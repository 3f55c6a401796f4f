"""Keyboards of sharing reflections (pure functions). Callback data: `sh:<action>:<args>`;
args carry the choices so far: check-in id (0 = none), group id (0 = all), anonymous 1/0."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import share_texts as t
from handlers.callbacks import pack

AREA = "sh"


def offer_keyboard(checkin_id: int) -> InlineKeyboardMarkup:
    """Share a reflection / Not now."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.OFFER_SHARE, callback_data=pack(AREA, "go", checkin_id))],
            [InlineKeyboardButton(t.OFFER_NOT_NOW, callback_data=pack(AREA, "no"))],
        ]
    )


def group_keyboard(checkin_id: int, groups: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per group, and all of them."""
    rows = [
        [InlineKeyboardButton(name[:60], callback_data=pack(AREA, "g", checkin_id, group_id))]
        for group_id, name in groups
    ]
    all_data = pack(AREA, "g", checkin_id, 0)
    rows.append([InlineKeyboardButton(t.ALL_GROUPS, callback_data=all_data)])
    return InlineKeyboardMarkup(rows)


def name_keyboard(checkin_id: int, group_id: int) -> InlineKeyboardMarkup:
    """Anonymously / with my name."""
    ids = (checkin_id, group_id)
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.ANONYMOUSLY, callback_data=pack(AREA, "a", *ids, 1))],
            [InlineKeyboardButton(t.WITH_NAME, callback_data=pack(AREA, "a", *ids, 0))],
        ]
    )


def source_keyboard(checkin_id: int, group_id: int, anonymous: int) -> InlineKeyboardMarkup:
    """Share my note / write something new."""
    def data(kind: str) -> str:
        return pack(AREA, "s", checkin_id, group_id, anonymous, kind)

    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.USE_NOTE, callback_data=data("n"))],
            [InlineKeyboardButton(t.WRITE_NEW, callback_data=data("w"))],
        ]
    )
