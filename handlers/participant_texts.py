"""Words a participant reads in join, check-in, mood, sessions, settings, groups and my-data.

HTML; anything a person (or a facilitator) typed must be escaped before it is put in.
"""

from __future__ import annotations

# --- join ---------------------------------------------------------------------------------
JOIN_ASK_CODE = (
    "Please type the invite code your facilitator gave you, "
    "for example <code>Ab3dE-fG7hIj</code>.\n"
    "Or open the invite link directly. /cancel stops."
)
JOIN_BAD_CODE = (
    "That doesn't look like an invite code. Codes are letters, digits, - and _, for example "
    "<code>Ab3dE-fG7hIj</code>. Please type it again, or /cancel."
)
JOIN_UNKNOWN = (
    "I couldn't find a group with that code. Please check it for typos and send it again, "
    "or ask your facilitator for the link. /cancel stops."
)
JOIN_REVOKED = (
    "That invite is no longer active — your facilitator has replaced it with a new one. "
    "Please ask them for the current link or code."
)
JOIN_EXPIRED = "That invite has expired. Please ask your facilitator for a new link or code."
JOIN_USED_UP = (
    "That invite has already been used as many times as it allows. "
    "Please ask your facilitator for a new one."
)
JOIN_CLOSED = "The group <b>{group}</b> has closed, so it can't be joined any more."
JOIN_DONE = (
    "Welcome to <b>{group}</b> 🌱\n\n"
    "You'll get reminders of the group's sessions (see /sessions). "
    "Your daily check-in stays just as it is: /checkin any time."
)
JOIN_PENDING = (
    "Thank you! <b>{group}</b> asks its facilitators to approve new members. "
    "I've let them know, and I'll tell you as soon as they've said yes."
)
JOIN_ALREADY_MEMBER = "You're already a member of <b>{group}</b> 💚 /sessions shows what's next."
JOIN_ALREADY_PENDING = (
    "Your request to join <b>{group}</b> is still waiting for a facilitator. "
    "I'll tell you as soon as they've answered."
)
JOIN_FACILITATES = "You already facilitate <b>{group}</b>, so there's nothing to join."
JOIN_NOT_ALLOWED = (
    "I can't add you to <b>{group}</b> with this code. "
    "If you'd like to come back, please talk to your facilitator."
)
JOIN_FINISH_ONBOARDING_FIRST = (
    "Let's set you up first — it takes a minute. Send /start, and then send "
    "<code>/join {code}</code> again."
)
JOIN_REQUEST_NOTICE = (
    "🙋 <b>{name}</b> asked to join <b>{group}</b>. Please approve or decline in /members."
)

# --- check-in -----------------------------------------------------------------------------
CHECKIN_ASK_MOOD = "How are you feeling today? 1 is very low, 5 is great."
CHECKIN_ALREADY = (
    "You've already checked in today: <b>{mood}</b>.\n"
    "Would you like to replace it with a new check-in?"
)
CHECKIN_KEPT = "Okay, I've kept today's check-in as it is 💚"
CHECKIN_ASK_TAGS = (
    "Mood <b>{mood}</b> — thank you.\n\n"
    "Which feelings fit today? Tap as many as you like, then <b>Done</b>. (Optional.)"
)
CHECKIN_TAGS_TYPED = "Please tap the feelings that fit below, then <b>Done</b> 🙂"
CHECKIN_ASK_NOTE = (
    "Would you like to add a short note about your day? Just type it (up to {limit} "
    "characters), for example <i>Slept badly but the walk helped.</i> Or tap <b>Skip</b>.\n"
    "Notes are encrypted."
)
CHECKIN_NOTE_TOO_LONG = (
    "That note is a bit long for me ({length} characters): please keep it under {limit}, "
    "for example by sending just the most important part. Or tap <b>Skip</b>."
)
CHECKIN_NOTE_EMPTY = "I didn't get any text there. Type a short note, or tap <b>Skip</b>."
CHECKIN_DONE = "Thank you for checking in 💚\n\n{summary}\n\n{streak}"
CHECKIN_STREAK_ONE = "Every check-in counts — see you tomorrow."
CHECKIN_STREAK_MANY = (
    "You've been checking in for <b>{streak} days</b> — keep it gentle, keep it going 🌱"
)
CHECKIN_DONE_GENTLE = "Thank you for telling me how you are. Your check-in is saved."
CHECKIN_UPDATED_NOTE = "(This replaces your earlier check-in of today.)"
CHECKIN_PAST_DAY = (
    "That check-in was for {day}, and that day is over now — no worries at all. "
    "How are you feeling today?"
)
CHECKIN_NOT_NOW = "That button is no longer part of a check-in. Send /checkin to start one."
CHECKIN_MOOD_CHANGED = "Changed your mood to {mood}."
CHECKIN_ALREADY_DONE = "That check-in is already saved."

# --- mood history ---------------------------------------------------------------------------
MOOD_CAPTION = "Your mood, last {days} days · average {average} · {streak}"
MOOD_STREAK = "{streak}-day streak"
MOOD_NO_STREAK = "every check-in counts"

# --- sessions -----------------------------------------------------------------------------
SESSIONS_NONE_GROUPS = (
    "You're not in a group yet. Open the invite link from your facilitator, or send /join "
    "with the code."
)
SESSIONS_NONE = "No upcoming sessions are planned for your groups right now."
SESSIONS_HEADER = "<b>Your upcoming sessions</b> (times in {zone}):"
SESSION_LINE = "<b>{group}</b>{title}\n🗓 {when} · {duration} min\nYour answer: {rsvp}"
SESSIONS_MORE = "…and {count} more later."
RSVP_LABELS = {"going": "Going ✅", "not_going": "Can't make it", "late": "Running late"}
RSVP_NONE = "not answered yet"

# --- settings -----------------------------------------------------------------------------
SETTINGS = (
    "<b>Your settings</b>\n\n"
    "🌍 Time zone: <b>{zone}</b>\n"
    "⏰ Daily check-in: <b>{time}</b>\n"
    "🔔 Check-in reminders: <b>{prompts}</b>\n"
    "🏝 Away mode: <b>{away}</b>\n"
    "👀 Facilitators {visibility} your individual check-ins\n"
    "💬 Reflections shared by your group: <b>{shares}</b>\n\n"
    "Tap what you'd like to change."
)
SETTINGS_ON = "on"
SETTINGS_OFF = "off"
SETTINGS_AWAY_UNTIL = "until {when}"
SETTINGS_AWAY_NONE = "off"
SETTINGS_VIS_YES = "can see"
SETTINGS_VIS_NO = "see only group summaries, not"
SETTINGS_ASK_ZONE = (
    "Which time zone are you in? Pick one, or type a city like <i>Europe/Berlin</i> or an "
    "offset like <i>UTC+2</i>."
)
SETTINGS_ASK_TIME = (
    "When would you like your daily check-in? Pick a time, or type one like <i>08:30</i> "
    "or <i>9pm</i>."
)
SETTINGS_ASK_AWAY = (
    "How many days would you like a break from check-in reminders? "
    "Pick below, or type a number of days from 1 to {max}, for example <i>5</i>."
)
SETTINGS_AWAY_BAD = "Please type a number of days from 1 to {max}, for example <i>5</i>."
SETTINGS_SAVED = "Saved ✓ {what}"
SETTINGS_ZONE_SAVED = "Your time zone is now {zone}."
SETTINGS_TIME_SAVED = "Your daily check-in is now at {time}."
SETTINGS_NEXT_PROMPT = "Next check-in reminder: {when}."
SETTINGS_PROMPTS_ON = "Check-in reminders are on."
SETTINGS_PROMPTS_OFF = "Check-in reminders are off. /checkin still works whenever you like."
SETTINGS_AWAY_SET = (
    "Take good care of yourself 🌴 No check-in reminders until {when}. "
    "/checkin still works if you'd like it."
)
SETTINGS_AWAY_ENDED = "Away mode is off — welcome back 💚"
SETTINGS_VIS_ON = "Facilitators can see your individual check-ins."
SETTINGS_VIS_OFF = "Facilitators now see only group summaries, not your individual check-ins."
SETTINGS_SHARES_ON = "You'll receive reflections your group members share."
SETTINGS_SHARES_OFF = "You won't receive reflections shared by group members."
WELCOME_BACK_NOTICE = (
    "Welcome back 💚 Your break is over and your daily check-in reminders start again. "
    "No pressure — /checkin whenever you're ready."
)
AWAY_MAX_DAYS = 60

# --- groups and leaving -------------------------------------------------------------------
GROUPS_NONE = SESSIONS_NONE_GROUPS
GROUPS_HEADER = "<b>Your groups</b>"
GROUP_LINE = "• <b>{group}</b> — {status}"
GROUP_STATUS = {
    "active": "member",
    "pending": "waiting for a facilitator's approval",
    "facilitator": "you facilitate",
    "co_facilitator": "you co-facilitate",
}
GROUPS_FOOTER = "To leave a group, send /leave."
LEAVE_NONE = "You're not a member of any group you could leave."
LEAVE_CHOOSE = "Which group would you like to leave?"
LEAVE_CONFIRM = (
    "Leave <b>{group}</b>? You won't get its session reminders or shared reflections any more. "
    "Your own check-ins stay yours (delete them with /forget)."
)
LEAVE_DONE = "You've left <b>{group}</b>. Take care 💚 You can rejoin with a new invite anytime."
LEAVE_EXPIRED = "That button has expired — send /leave again if you still want to leave."
LEAVE_KEPT = "Okay, you're staying in the group 💚"
LEAVE_NOT_MEMBER = "You're not a member of that group any more."

# --- my data ------------------------------------------------------------------------------
EXPORT_NOTHING = "I don't store anything about you yet — there's nothing to export."
EXPORT_CAPTION = (
    "Here's everything I store about you, with your notes decrypted. "
    "Keep this file somewhere safe."
)
EXPORT_CSV_CAPTION = "Your check-ins as a table (opens in any spreadsheet app)."
FORGET_NOTHING = "I don't store anything about you — there's nothing to delete."
FORGET_CONFIRM = (
    "<b>Delete everything?</b>\n\n"
    "This deletes your check-ins and notes, your settings, your group memberships, RSVPs, "
    "shared reflections, questions and everything else I store about you. It can't be undone.\n\n"
    "Tip: /export first if you'd like a copy."
)
FORGET_DONE = (
    "Done. I've deleted everything I stored about you. 🌿\n"
    "If you ever want to come back, send /start. And /sos always works."
)
FORGET_EXPIRED = (
    "That button has expired — send /forget again if you still want to delete everything."
)
FORGET_KEPT = "Okay, nothing was deleted 💚"
