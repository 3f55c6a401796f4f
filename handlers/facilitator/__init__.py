"""The facilitator and admin console: enrolment, groups, sessions, attendance, announcements,
members, reports and platform health. `COMMANDS` lists its commands (registered in
`handlers/__init__.py`); importing the modules registers their button areas, flow steps, the
`fac_` start payload and the announcement planner, renderer and outcome hook."""

from __future__ import annotations

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
