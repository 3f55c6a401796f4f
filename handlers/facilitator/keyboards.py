"""Keyboards of the facilitator console (pure functions; labels are plain text)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callbacks import pack


def _button(label: str, *data: object) -> InlineKeyboardButton:
    area, action, *args = data
    return InlineKeyboardButton(label[:64], callback_data=pack(str(area), str(action), *args))


def markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of buttons."""
    return InlineKeyboardMarkup(rows)


def group_picker(
    view: str, groups: list[tuple[str, int]], extra: list[tuple[str, str]] | None = None
) -> InlineKeyboardMarkup:
    """One button per group (`fx:g:<view>:<id>`), then any extra (label, data) buttons."""
    rows = [[_button(name, "fx", "g", view, group_id)] for name, group_id in groups]
    for label, data in extra or []:
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    return markup(rows)


def zone_choice(zone: str) -> InlineKeyboardMarkup:
    """Use the facilitator's own time zone."""
    return markup([[_button(f"Use {zone}", "fg", "zone")]])


def schedule_choice(first: bool) -> InlineKeyboardMarkup:
    """Weekly schedule / one-off session / none yet (or done)."""
    return markup(
        [
            [_button("Weekly schedule", "fg", "sched", "weekly")],
            [_button("One-off session", "fg", "sched", "oneoff")],
            [_button("None yet" if first else "That's all", "fg", "sched", "done")],
        ]
    )


def offsets_choice() -> InlineKeyboardMarkup:
    """Keep the default reminder offsets."""
    return markup([[_button("24 h and 1 h before", "fg", "off")]])


def approval_choice() -> InlineKeyboardMarkup:
    """Approval required or not."""
    return markup(
        [
            [_button("Yes, I approve each person", "fg", "appr", "yes")],
            [_button("No, the link is enough", "fg", "appr", "no")],
        ]
    )


def invite_actions(group_id: int, lead: bool, approval: bool) -> InlineKeyboardMarkup:
    """Regenerate the join link; switch approval; invite a co-facilitator (lead facilitators
    and admins)."""
    rows = [[_button("New link (old one stops working)", "fg", "regen", group_id)]]
    switch = "Approval is on — turn off" if approval else "Approval is off — turn on"
    rows.append([_button(switch, "fg", "apsw", group_id, 0 if approval else 1)])
    if lead:
        rows.append([_button("Invite a co-facilitator", "fg", "cofac", group_id)])
    return markup(rows)


def schedule_actions(group_id: int, occurrences: list[tuple[str, int]]) -> InlineKeyboardMarkup:
    """One button per upcoming occurrence, then add one-off / edit weekly rule."""
    rows = [[_button(when, "fs", "occ", occ_id)] for when, occ_id in occurrences]
    rows.append([_button("➕ Add a one-off session", "fs", "add", group_id)])
    rows.append([_button("✏️ Change the weekly schedule", "fs", "rule", group_id)])
    return markup(rows)


def occurrence_actions(occ_id: int) -> InlineKeyboardMarkup:
    """Cancel or move one occurrence."""
    return markup(
        [
            [_button("Move this session", "fs", "move", occ_id)],
            [_button("Cancel this session", "fs", "cancel", occ_id)],
        ]
    )


def confirm_cancel(occ_id: int) -> InlineKeyboardMarkup:
    """Confirm cancelling an occurrence."""
    return markup(
        [
            [_button("Yes, cancel it and tell members", "fs", "cancelok", occ_id)],
            [_button("No, keep it", "fs", "keep", occ_id)],
        ]
    )


def rule_actions(group_id: int, has_rule: bool) -> InlineKeyboardMarkup:
    """Set a new weekly rule or remove the current one."""
    rows = [[_button("Set new days, time and duration", "fs", "ruleset", group_id)]]
    if has_rule:
        rows.append([_button("Remove the weekly schedule", "fs", "ruleoff", group_id)])
    return markup(rows)


def past_sessions(items: list[tuple[str, int]]) -> InlineKeyboardMarkup:
    """One button per past occurrence for attendance."""
    return markup([[_button(when, "fa", "occ", occ_id)] for when, occ_id in items])


def attendance_toggles(occ_id: int, rows: list[tuple[str, int, bool]]) -> InlineKeyboardMarkup:
    """A toggle per member (✅ present / ▫️ absent) and a save button."""
    buttons = [
        [_button(("✅ " if present else "▫️ ") + name, "fa", "t", occ_id, user_id)]
        for name, user_id, present in rows
    ]
    buttons.append([_button("Save", "fa", "save", occ_id)])
    return markup(buttons)


def pending_actions(group_id: int, pending: list[tuple[str, int]]) -> InlineKeyboardMarkup:
    """Approve / decline per pending request, then remove a member."""
    rows = [
        [
            _button(f"✅ {name}", "fm", "ok", group_id, user_id),
            _button(f"✖️ {name}", "fm", "no", group_id, user_id),
        ]
        for name, user_id in pending
    ]
    rows.append([_button("Remove a member…", "fm", "rmlist", group_id)])
    return markup(rows)


def remove_list(group_id: int, members: list[tuple[str, int]]) -> InlineKeyboardMarkup:
    """One button per active member to remove."""
    return markup([[_button(name, "fm", "rm", group_id, user_id)] for name, user_id in members])


def confirm_remove(group_id: int, user_id: int) -> InlineKeyboardMarkup:
    """Confirm removing a member."""
    return markup(
        [
            [_button("Yes, remove", "fm", "rmok", group_id, user_id)],
            [_button("No, keep them", "fm", "keep", group_id, user_id)],
        ]
    )


def announce_targets(groups: list[tuple[str, int]]) -> InlineKeyboardMarkup:
    """One button per group, then all of them."""
    rows = [[_button(name, "fn", "to", group_id)] for name, group_id in groups]
    if len(groups) > 1:
        rows.append([_button("All my groups", "fn", "to", "all")])
    rows.append([_button("🕒 Scheduled announcements", "fn", "list")])
    return markup(rows)


def announce_preview() -> InlineKeyboardMarkup:
    """Send now / schedule / cancel the draft."""
    return markup(
        [
            [_button("Send now", "fn", "send")],
            [_button("Schedule", "fn", "later")],
            [_button("Cancel", "fn", "drop")],
        ]
    )


def cancel_scheduled(announcement_id: int) -> InlineKeyboardMarkup:
    """Cancel one scheduled announcement."""
    return markup([[_button("Cancel this announcement", "fn", "unsched", announcement_id)]])


def scheduled_list(items: list[tuple[str, int]]) -> InlineKeyboardMarkup:
    """A cancel button per scheduled announcement."""
    return markup([[_button(f"Cancel {when}", "fn", "unsched", ann_id)] for when, ann_id in items])


def report_periods(group_id: int) -> InlineKeyboardMarkup:
    """7 or 30 days."""
    return markup(
        [
            [
                _button("Last 7 days", "fr", "p", group_id, 7),
                _button("Last 30 days", "fr", "p", group_id, 30),
            ]
        ]
    )


def report_csv(group_id: int, days: int) -> InlineKeyboardMarkup:
    """Export the same report as CSV."""
    return markup([[_button("Export as CSV", "fr", "csv", group_id, days)]])
