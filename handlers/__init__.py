"""Every handler of the bot, registered in one ordered, commented place.

Importing a flow module registers its button area (`@button_area`), its free-text steps
(`@text_step`), its hooks and its delivery planners/renderers; this function then adds the
commands in order. Within a handler group, the first match wins.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import common, onboarding
from handlers.callbacks import Callback

# New messages in private chats; edits are only screened (below), never run again.
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
AnyApp = Application[Any, Any, Any, Any, Any, Any]


def register_handlers(app: AnyApp) -> None:
    """Register all handlers of every role."""
    # Flow modules: importing them registers buttons, text steps, hooks and planners.
    from bot.safety import digest, nudges  # noqa: F401  (planners)
    from handlers import (
        alerts,  # noqa: F401  (alert buttons)
        ask,
        checkin,
        facilitator,
        join,
        mood,
        mydata,
        participant_groups,
        rsvp,
        safety,  # noqa: F401  (risk screener, "I'm okay" button)
        sessions_list,
        share,  # noqa: F401  (share offer after check-in, support buttons)
        user_settings,
        who5,  # noqa: F401  (weekly well-being check)
    )

    # Group -3: a new command ends the flow in progress, so later text never lands in it.
    app.add_handler(
        MessageHandler(PRIVATE & filters.COMMAND, common.leave_flow_on_command), group=-3
    )
    # Group -2: bookkeeping on every update: someone who had blocked the bot is reachable again.
    app.add_handler(TypeHandler(Update, rsvp.note_reachable), group=-2)

    # Group -1: /sos works everywhere (also in groups and before onboarding), for everyone.
    app.add_handler(CommandHandler("sos", common.sos), group=-1)

    # Group 0, private chats. Everyone: onboarding, help, cancel, privacy.
    private_commands = {
        "start": onboarding.start,
        "help": common.help_command,
        "cancel": common.cancel,
        "privacy": common.privacy,
        # Participant: join, check-in, history, sessions, settings, leaving, my data, questions.
        "join": join.join_command,
        "checkin": checkin.checkin_command,
        "mood": mood.mood_command,
        "sessions": sessions_list.sessions_command,
        "settings": user_settings.settings_command,
        "leave": participant_groups.leave_command,
        "export": mydata.export_command,
        "forget": mydata.forget_command,
        "ask": ask.ask_command,
        # Facilitator and admin console (/groups shows both a facilitator's and a member's view).
        **facilitator.COMMANDS,
    }
    for name, callback in private_commands.items():
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE))

    # Buttons, routed by the area prefix of their callback data.
    common.button_area("ob")(_onboarding_button)
    common.button_area("rsvp")(rsvp.on_button)
    common.button_area("ci")(checkin.on_button)
    common.button_area("pset")(user_settings.on_button)
    common.button_area("pleave")(participant_groups.on_button)
    common.button_area("pdata")(mydata.on_button)
    app.add_handler(CallbackQueryHandler(common.button))

    # Free text in private: the current flow's step, risk screening, or a gentle pointer.
    app.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, common.free_text))
    # Unknown commands (screened for risk first), then anything that is not text.
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, common.unknown_command))
    app.add_handler(MessageHandler(PRIVATE & ~filters.TEXT, common.not_text))
    # Edited messages in private: screened for risk language, not run again.
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE, common.edited
        )
    )

    # Group and supergroup chats: point people to the private chat (/sos answered above).
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.TEXT,
            common.not_private,
        )
    )

    app.add_error_handler(common.on_error)


async def _onboarding_button(update: Any, context: Any, cb: Callback) -> None:
    """Onboarding's buttons (consent, zone, time, visibility)."""
    await onboarding.on_button(update, context, cb)
