"""Words people read. Warm, short, clear; written for someone who may be struggling.

Texts are HTML; anything a person typed must go through `html.escape` before it is put in.
"""

from __future__ import annotations

WELCOME = (
    "Hi, I'm circlebot 🌱\n\n"
    "I keep your support group close between sessions: a short daily mood check-in, "
    "reminders of your group's sessions, and a way to share and receive support.\n\n"
    "<b>What I am not:</b> I'm not an emergency service, and no one watches these chats "
    "around the clock. If you need help right now, send /sos at any time.\n\n"
    "<b>What I keep:</b> your Telegram id and first name, the settings you choose, your "
    "check-ins (notes are encrypted), and your groups. You can see everything with /export "
    "and delete it with /forget. /privacy explains who sees what.\n\n"
    "Is it okay for me to keep this?"
)
CONSENT_DECLINED = (
    "That's completely okay. I haven't stored anything about you.\n"
    "If you change your mind, just send /start. And /sos always works."
)
ASK_TIMEZONE = (
    "Thank you 💚 Let's set up your day.\n\n"
    "Which time zone are you in? Pick one below, or type a city like <i>Europe/Berlin</i> "
    "or an offset like <i>UTC+2</i>."
)
ASK_CHECKIN_TIME = (
    "Got it: <b>{zone}</b>.\n\n"
    "When would you like your daily check-in? Pick a time, or type one like <i>08:30</i> "
    "or <i>9pm</i>."
)
ASK_VISIBILITY = (
    "Your check-in will come at <b>{time}</b> your time.\n\n"
    "Your group's facilitators can see your individual check-ins, so they can support you "
    "better. You can change this at any time in /settings.\n\n"
    "Is that okay with you?"
)
ONBOARDING_DONE = (
    "You're all set 🌿\n\n"
    "• Daily check-in at <b>{time}</b> ({zone})\n"
    "• Facilitators {visibility} your individual check-ins\n\n"
    "{next_step}"
)
NEXT_STEP_JOIN = (
    "To join your group, open the invite link your facilitator gave you, "
    "or send /join followed by the code."
)
VISIBILITY_YES = "can see"
VISIBILITY_NO = "see only group summaries, not"
WELCOME_BACK = "Welcome back 💚 You can check in with /checkin, or send /help to see what I can do."
TIMEZONE_BAD = "{error}"
TIME_BAD = "{error}"
FINISH_ONBOARDING = (
    "Before we go on, let's finish setting you up — it takes a minute. "
    "Send /start to continue where you left off."
)
RESUME_ONBOARDING = "Let's pick up where we left off."

CANCELLED = "Okay, I've stopped that. Nothing was changed. Send /help whenever you need me."
NOTHING_TO_CANCEL = "There's nothing to cancel right now. Send /help to see what I can do."
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
FLOW_EXPIRED = (
    "We started something a while ago and I've closed it, so that message wasn't sent "
    "anywhere. Send /help to see what I can do, or start again with the command you need."
)
NOT_UNDERSTOOD = (
    "I'm not sure what to do with that message. Send /help to see what I can do, "
    "or /checkin to tell me how you're feeling."
)
PRIVATE_ONLY = (
    "Let's talk in private, so your answers stay between us. Tap the button to open our chat."
)
STALE_BUTTON = (
    "That button is from an earlier conversation and no longer works. "
    "Send /help to start again."
)
ERROR_APOLOGY = (
    "Sorry, something went wrong on my side. Nothing you've saved is lost. "
    "Please try again in a moment. If you need help right now, send /sos."
)
ONLY_TEXT = (
    "I can only read text messages, so I couldn't take that one in. "
    "You can type to me, or send /help to see what I can do. If you need help right now, "
    "send /sos."
)
TEXT_TOO_LONG = "That's a bit long for me: please keep it under {limit} characters."
TEXT_EMPTY = "I didn't get any text there. Could you type it again?"

SOS_HEADER = "<b>You deserve support right now 💚</b>\n\n"
SOS_FOOTER = (
    "\n\nI'm a bot, and no one watches this chat around the clock. "
    "Please reach out to one of the contacts above or to someone you trust."
)

PRIVACY = (
    "<b>Your privacy</b>\n\n"
    "<b>What I store:</b> your Telegram id; after you agreed: your name as Telegram shows it, "
    "time zone, check-in time and settings; your check-ins (mood, feelings, and notes, "
    "which are encrypted); your groups, RSVPs and anything you choose to share.\n\n"
    "<b>Who sees it:</b>\n"
    "• Other members see only what you choose to share, and never your name if you share "
    "anonymously.\n"
    "• Facilitators see your individual check-ins only if you allowed it "
    "(now: <b>{visibility}</b>; change it in /settings). Otherwise they see group summaries, "
    "and only when at least {min_members} members contributed.\n"
    "• Anonymous questions (/ask) never show who asked.\n"
    "• If something you write suggests you may be in danger, your facilitators are alerted "
    "with your name (whatever your setting) so they can reach out; if no one answers, the "
    "clinic's admins are told too. What you wrote is not included in the alert.\n"
    "• Weekly well-being answers (WHO-5, if your group uses it) follow the same rules as "
    "check-ins.\n\n"
    "<b>Your choices:</b> /export sends you all your data. /forget deletes all of it."
)
PRIVACY_NOT_STORED = "nothing stored yet"

HELP_PARTICIPANT = (
    "<b>What I can do</b>\n"
    "/checkin — how are you feeling today?\n"
    "/mood — your mood over the last 30 days\n"
    "/sessions — your upcoming sessions\n"
    "/join — join a group with a code\n"
    "/groups — your groups · /leave — leave a group\n"
    "/settings — time zone, check-in time, reminders, away mode\n"
    "/ask — ask the facilitators anonymously\n"
    "/privacy — what I store and who sees it\n"
    "/export — get all your data · /forget — delete it\n"
    "/cancel — stop what we're doing\n"
    "/sos — help right now"
)
HELP_FACILITATOR = (
    "\n\n<b>For facilitators</b>\n"
    "/newgroup — create a group\n"
    "/groups — your groups and invite links\n"
    "/schedule — sessions · /attendance — who came\n"
    "/announce — message your groups\n"
    "/members — members and requests\n"
    "/report — how your group is doing\n"
    "/invite — invite link or a co-facilitator"
)
HELP_ADMIN = (
    "\n\n<b>For admins</b>\n"
    "/addfacilitator — a one-time link to enrol a facilitator\n"
    "/admin — platform health"
)
HELP_NEW = (
    "<b>Hi! Here's how to begin</b>\n"
    "/start — set up (takes a minute)\n"
    "/privacy — what I store and who sees it\n"
    "/sos — help right now, any time"
)
