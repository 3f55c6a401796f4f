"""The facilitator and admin console: enrolment, groups, sessions, attendance, announcements,
members, reports and platform health. `register(app)` adds its commands; importing the
modules registers their button areas, flow steps, the `fac_` start payload and the
announcement planner, renderer and outcome hook."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CommandHandler, filters

from handlers.facilitator import (
    admin,
    announce,
    attendance,
    enrol,
    groups,
    members,
    report,
    schedule,
)

PRIVATE = filters.ChatType.PRIVATE

COMMANDS = {
    "addfacilitator": enrol.add_facilitator,
    "admin": admin.admin_command,
    "newgroup": groups.new_group,
    "groups": groups.groups_command,
    "invite": groups.invite_command,
    "schedule": schedule.schedule_command,
    "attendance": attendance.attendance_command,
    "announce": announce.announce_command,
    "members": members.members_command,
    "report": report.report_command,
}


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the console's commands (private chats only)."""
    for name, callback in COMMANDS.items():
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE))
