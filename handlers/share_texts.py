"""Texts of sharing reflections and sending support."""

from __future__ import annotations

OFFER = (
    "Would you like to share a reflection with your group? Members see it in their evening "
    "digest, with your name or anonymously, as you choose."
)
OFFER_SHARE = "💬 Share a reflection"
OFFER_NOT_NOW = "Not now"
NOT_NOW = "Okay 🌿 Maybe another time."
CHOOSE_GROUP = "Which group should see it?"
ALL_GROUPS = "All my groups"
CHOOSE_NAME = "How should it appear?"
WITH_NAME = "With my name"
ANONYMOUSLY = "Anonymously"
CHOOSE_SOURCE = "Share your check-in note, or write something new?"
USE_NOTE = "Share my note"
WRITE_NEW = "Write something new"
ASK_TEXT = (
    "Type your reflection (up to {limit} characters). It will be shown {how}. "
    "Send /cancel to stop."
)
HOW_NAMED = "with your name"
HOW_ANON = "without your name"
TOO_LONG = "That's {length} characters; please keep it under {limit}. Try again, or /cancel."
SHARED = (
    "Shared with {groups} 💚 Members will see it in their evening digest. I'll tell you when "
    "people send support (only how many, never who)."
)
HELD = (
    "I've kept this reflection between you and your facilitators for now; the group won't see "
    "it. Someone will reach out."
)
TOO_MANY = "You've shared {limit} reflections today, which is the daily limit. Tomorrow works 🌿"
NO_GROUP = "Sharing needs a group. Join one with /join and the code your facilitator gave you."
NOT_IN_GROUP = "You're no longer in that group."
NOTE_GONE = "That note isn't there any more. Write something new instead?"
SUPPORT_SENT = "Support sent 💚"
SUPPORT_AGAIN = "You've already sent support to this one 💚"
SUPPORT_OWN = "That's your own reflection 💚"
SUPPORT_GONE = "This reflection is no longer shared."
SUPPORT_NOT_MEMBER = "Only members of the group can send support."
REMOVE_DONE = "Removed. Members won't see it any more, and its support button no longer works."
REMOVE_ALREADY = "That reflection was already removed."
REMOVE_NOT_ALLOWED = "Only the group's facilitators can remove a reflection."
REMOVED_NOTICE = (
    "A facilitator removed a reflection you shared on {day}, so members no longer see it. "
    "If you'd like to talk about it, you can ask them at your next session."
)
