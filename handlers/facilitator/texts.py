"""Words facilitators and admins read (HTML; user text is escaped where it is put in)."""

from __future__ import annotations

NOT_FACILITATOR = (
    "That's for facilitators. If you run a group at the clinic, ask the clinic's admin "
    "for a facilitator link. Send /help to see what I can do for you."
)
ADMIN_ONLY = "That's only for the clinic's admins. Send /help to see what I can do for you."
NO_GROUPS = "You don't facilitate a group yet. /newgroup creates one."
NOT_YOURS = "You don't manage that group (any more), so nothing was changed."
STALE = "That button is from an earlier step and no longer works. Nothing was changed."
CHOOSE_GROUP = "Which group?"
FINISH_ONBOARDING_FIRST = (
    "Before we go on, let's finish setting you up — it takes a minute. Send /start."
)

# Enrolment
FACILITATOR_LINK = (
    "Here is a one-time facilitator link, valid for 7 days:\n{link}\n\n"
    "Send it privately to the therapist you want to enrol. It works once."
)
COFAC_LINK = (
    "Here is a one-time link to co-facilitate <b>{group}</b>, valid for 7 days:\n{link}\n\n"
    "Send it privately to your colleague. It works once."
)
ENROLLED = (
    "Welcome aboard 🌿 You're now a facilitator.\n"
    "/newgroup creates your first group; /help lists your commands."
)
CO_ENROLLED = "Welcome 🌿 You're now co-facilitating <b>{group}</b>.\n/help lists your commands."
INVITE_BAD = {
    "unknown": "I don't know that facilitator link. Please ask for a new one.",
    "revoked": "That facilitator link was withdrawn. Please ask for a new one.",
    "expired": "That facilitator link has expired. Please ask for a new one.",
    "used_up": "That facilitator link was already used. Please ask for a new one.",
}
COFAC_IS_PARTICIPANT = (
    "You're a member of <b>{group}</b> yourself, so I haven't made you a co-facilitator: "
    "the team would then see your own check-ins. Nothing has changed 🌿\n"
    "If you'd like to co-facilitate, leave the group first with /leave and open this link "
    "again — it still works."
)
ALREADY_FACILITATOR = "You're already a facilitator 🙂 /help lists your commands."

# Groups
ASK_NAME = "Let's create a group 🌱\nWhat is it called? (up to 80 characters — /cancel stops)"
NAME_EMPTY = "The name can't be empty. What is the group called?"
NAME_TOO_LONG = "That name is {length} characters; please keep it to 80 or fewer."
ASK_ZONE = (
    "<b>{name}</b> it is.\n\nWhich time zone do its sessions follow? "
    "Tap to use yours, or type one like <i>Europe/Berlin</i> or <i>UTC+2</i>."
)
ASK_SCHEDULE = (
    "Time zone: <b>{zone}</b>.\n\nWhen does the group meet? Add a weekly schedule, "
    "a one-off session, or decide later."
)
ASK_DAYS = "On which days? For example <i>Mon, Thu</i>, <i>weekdays</i> or <i>Tuesday</i>."
ASK_TIME = "At what local time does it start? For example <i>18:30</i> or <i>6:30 pm</i>."
ASK_DURATION = "How long is a session? For example <i>90 min</i> or <i>1h30m</i> (at most 8 hours)."
ASK_ONEOFF = (
    "When is the session? Type a date and a local time ({zone}), for example "
    "<i>2026-12-03 18:30</i>, <i>tomorrow 18:30</i> or <i>Monday 18:30</i>."
)
ADDED_SOMETHING = "Added: {what}.\n\nAnything else?"
ASK_OFFSETS = (
    "Members get reminders before each session. The default is 24 hours and 1 hour before.\n"
    "Tap to keep that, or type your own like <i>24h, 1h, 30m</i> (or <i>none</i>)."
)
OFFSETS_BAD = "{error}\nTry something like <i>24h, 1h, 30m</i>, or <i>none</i>."
OFFSETS_TOO_MANY = "Up to 5 reminders, please — for example <i>24h, 1h</i>."
ASK_APPROVAL = "Should you approve each person who uses the invite link?"
PLEASE_TAP = "Please choose one of the buttons above 🙂"
GROUP_CREATED = (
    "✅ <b>{name}</b> is ready.\n\n{summary}\n\n"
    "Invite link: {link}\nOr they send: <code>/join {token}</code>\n\n"
    "/invite shows this again or makes a new link; /schedule manages sessions."
)
INVITE_VIEW = (
    "Invite for <b>{name}</b>:\n{link}\nOr they send: <code>/join {token}</code>\n\n"
    "A new link makes the old one stop working."
)
INVITE_REGENERATED = "🔁 New invite for <b>{name}</b>. The old link no longer works.\n\n"
APPROVAL_ON = "From now on you approve each person who joins <b>{name}</b> (/members)."
APPROVAL_OFF = "From now on the invite link is enough to join <b>{name}</b>."
NOT_FACILITATOR_NEWGROUP = (
    "Creating groups is for enrolled facilitators. Ask the clinic's admin for a facilitator link."
)
MY_GROUPS_HEADER = "<b>Groups you facilitate</b>"
GROUP_LINE = "• <b>{name}</b> ({role}) — {active} members{pending}, {zone}, {approval}\n  {link}"

# Schedule
SCHEDULE_HEADER = "<b>Upcoming sessions — {name}</b> ({zone})"
SCHEDULE_EMPTY = "No upcoming sessions yet."
SCHEDULE_LINE = "• {when} · {duration}{title} — {going} going, {late} late, {no} can't"
RULE_LINE = "Weekly: {days} at {time} for {duration}."
NO_RULE = "No weekly schedule."
ASK_MOVE = (
    "Move the session of {when} to when? Type a date and a local time ({zone}), for example "
    "<i>2026-12-03 18:30</i>."
)
CONFIRM_CANCEL = "Cancel the session of {when}? Members will be told."
OCC_CANCELLED = "Cancelled the session of {when}. Members are being told."
OCC_MOVED = "Moved the session of {when} to {new}. Members are being told."
OCC_GONE = "That session can't be changed any more (it's past or already cancelled)."
ONEOFF_ADDED = "Added a session on {when}. Reminders will follow."
RULE_UPDATED = "Weekly schedule is now: {rule} Future sessions and reminders follow."
RULE_REMOVED = "Weekly schedule removed; future weekly sessions were cancelled."
OCC_MENU = "Session of {when}: {going} going, {late} late, {no} can't make it."

# Attendance
ATTENDANCE_CHOOSE = "Which session of <b>{name}</b>?"
ATTENDANCE_NONE = "No past sessions of <b>{name}</b> yet."
ATTENDANCE_VIEW = (
    "<b>Attendance — {when}</b>\nTap a name to switch between present ✅ and absent ▫️. "
    "Prefilled from RSVPs until you change it."
)
ATTENDANCE_SAVED = "Saved: {present} of {total} present on {when}."
ATTENDANCE_NO_MEMBERS = "No members to mark for that session."

# Members
MEMBERS_VIEW = "<b>Members — {name}</b>"
MEMBERS_ACTIVE = "\n\n<b>Active ({n})</b>\n{lines}"
MEMBERS_PENDING = "\n\n<b>Waiting for approval ({n})</b>\n{lines}"
MEMBERS_UNREACHABLE = "\n\n<b>Unreachable ({n})</b> — blocked the bot or can't be reached\n{lines}"
MEMBERS_NONE = "\n\nNo members yet. /invite shows the invite link."
APPROVED = "✅ {who} is now a member of <b>{group}</b>."
DECLINED = "Declined {who}'s request for <b>{group}</b>."
REMOVE_CONFIRM = "Remove {who} from <b>{group}</b>? They'll get a kind message."
REMOVED = "Removed {who} from <b>{group}</b>."
REMOVE_CHOOSE = "Who should be removed from <b>{group}</b>?"
NOT_PENDING = "That request was already handled."
NOT_MEMBER = "That person isn't an active member any more."
NOTICE_APPROVED = (
    "Good news 🌿 You're now a member of <b>{group}</b>. /sessions shows upcoming sessions."
)
NOTICE_DECLINED = (
    "Your request to join <b>{group}</b> wasn't accepted this time. If you think this is a "
    "mistake, please talk to your facilitator. You're always welcome to use /checkin."
)
NOTICE_REMOVED = (
    "Your facilitator has removed you from <b>{group}</b>. Thank you for being part of it 💚 "
    "If you have questions, please talk to them. Your own check-ins stay with you, and /sos "
    "always works."
)

# Announcements
ASK_ANNOUNCE_GROUP = "Who should get the announcement?"
ALL_GROUPS = "All my groups"
ASK_ANNOUNCE_TEXT = (
    "Write the announcement for {to}. Bold, italics and links are kept. /cancel stops."
)
ANNOUNCE_TOO_LONG = (
    "That's {length} characters with the group header; Telegram allows 4096. "
    "Please shorten it by {over} characters and send it again."
)
ANNOUNCE_PREVIEW = "<b>Preview</b> — this is what members will see:"
ASK_ANNOUNCE_TIME = (
    "When should it go out? Type a date and time in your time zone ({zone}), for example "
    "<i>tomorrow 09:00</i> or <i>2026-12-03 18:30</i>."
)
ANNOUNCE_ALREADY_SENT = (
    "This preview was already sent (or closed), so nothing more went out. "
    "Each announcement goes out only once."
)
ANNOUNCE_CANCELLED_DRAFT = "Okay, not sent. Nothing was stored."
ANNOUNCE_SCHEDULED = "🕒 Scheduled for {when} to {to}. You can cancel it until then."
ANNOUNCE_NOT_CANCELLABLE = "It's already going out, so it can't be cancelled any more."
ANNOUNCE_CANCELLED = "Cancelled the announcement scheduled for {when}."
SCHEDULED_LIST = "<b>Scheduled announcements</b>"
SCHEDULED_NONE = "No scheduled announcements."
SCHEDULED_LINE = "• {when} to {to}: {preview}"

# Report
REPORT_CHOOSE_PERIOD = "Report for <b>{name}</b> — which period?"
REPORT_NOT_ENOUGH = (
    "Only {n} member(s) checked in over the last {days} days. To protect privacy, group "
    "summaries need at least {min} contributors, so I can't show averages or a trend yet."
)
REPORT_CAPTION = "Mood trend — {name}, last {days} days"

# Admin
ADMIN_VIEW = (
    "<b>Platform health</b>\n"
    "Users: {users} ({unreachable_users} unreachable)\n"
    "Facilitators: {facilitators}\n"
    "Groups: {groups}\n"
    "Deliveries pending: {pending}\n"
    "Deliveries failed: {failed}\n"
    "Deliveries unknown (sent, no answer): {unknown}\n"
    "Deliveries unreachable (blocked): {unreachable}"
)
