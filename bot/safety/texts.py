"""Texts of safety and peer support (HTML; every piece of user text is escaped by the caller)."""

from __future__ import annotations

# --- Crisis reply ---------------------------------------------------------------------------
CRISIS_INTRO = (
    "Thank you for telling me. It sounds like you're carrying something really heavy right now, "
    "and you don't have to carry it alone.\n\n"
)
CRISIS_TEAM_TOLD = (
    "\n\nI've let your facilitator know privately, so a person can reach out to you. "
    "They may not see it straight away."
)
CRISIS_SHARE_HELD = (
    "\n\nI haven't shown this reflection to the group. Only your facilitators can see it."
)
IM_OK_BUTTON = "I'm okay for now"
IM_OK_THANKS = (
    "Thank you for letting me know 💚 I've passed that on. Your facilitator may still check in "
    "with you, because they care. /sos is here any time."
)

# --- Alerts to facilitators and admins ------------------------------------------------------
ACK_BUTTON = "✅ Acknowledge"
SHOW_SHARE_BUTTON = "Show the held reflection"
ALERT_HEADER = "⚠️ <b>Please check in with a member</b>"
ALERT_ESCALATION_HEADER = "⏰ <b>Still not acknowledged after {minutes} minutes</b>"
ALERT_ADMIN_HEADER = "🚨 <b>Alert without acknowledgement</b>"
ALERT_NO_GROUP_HEADER = "🚨 <b>Alert about someone without a facilitator</b>"
ALERT_WHO = "<b>{name}</b> · {group}"
ALERT_WHEN = "When: {when}"
ALERT_FOOTER = (
    "The message itself is not shown here, to protect their privacy. "
    "Please reach out to them personally and tap <b>Acknowledge</b> so the others know "
    "someone is on it."
)
ALERT_RESOURCES_GIVEN = "I gave them the crisis resources right away."
ALERT_OK_LINE = (
    "They tapped “I'm okay for now” at {when}. The alert stays open until someone acknowledges it."
)
ALERT_ACKED_LINE = "✅ Acknowledged by {name} at {when}."
ALERT_OK_UPDATE = (
    "ℹ️ <b>Update</b> on the alert about <b>{name}</b> ({group}): they tapped "
    "“I'm okay for now” at {when}.\n\nThis does not close the alert: please still check in "
    "with them and tap <b>Acknowledge</b>."
)
ALERT_ACKED_UPDATE = "✅ The alert about <b>{name}</b> ({group}) was acknowledged by {by}."
ACK_DONE = "Acknowledged. Thank you for looking after them."
ACK_ALREADY = "Already acknowledged by {name}."
ACK_NOT_ALLOWED = "This alert is for the group's facilitators only."
ALERT_GONE = "This alert no longer exists."
NO_GROUP = "not in any group"
SOMEONE = "A member"

# What happened, by alert kind and source.
RISK_SOURCES = {
    "note": "wrote something in a check-in note that may mean they are at risk.",
    "share": (
        "wrote something in a reflection for the group that may mean they are at risk. "
        "It was held back: other members have not seen it."
    ),
    # Questions are anonymous: the alert must not point at a question.
    "question": "wrote something to me that may mean they are at risk.",
    "message": "wrote something to me that may mean they are at risk.",
}
PATTERN_TEXTS = {
    "mood_1x2": "has checked in with the lowest mood (1) twice in a row.",
    "mood_2x3": "has checked in with a low mood (2 or lower) three times in a row.",
    "missed": "has not checked in for {days} days.",
    "who5_low": "scored {score}/100 on the weekly WHO-5 well-being check (under 50).",
    "who5_drop": "scored {score}/100 on the weekly WHO-5 check, {drop} points lower than before.",
}

# --- Private offers instead of a pattern alert ---------------------------------------------
LOW_MOOD_OFFER = (
    "The last few check-ins sound really hard. I'm glad you keep checking in 💚\n\n"
    "If it would help to talk to someone, these contacts are there for you:\n\n"
)
MISSED_OFFER = (
    "I haven't heard from you for a few days. No pressure at all: check in whenever you like "
    "with /checkin. If things are hard right now, these contacts are there for you:\n\n"
)

# --- Nudges ---------------------------------------------------------------------------------
NUDGE = (
    "Just a gentle nudge 🌱 If you have a moment, how are you today? "
    "No pressure: skipping a day is okay."
)
