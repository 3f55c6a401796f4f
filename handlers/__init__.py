"""Every handler of the bot, registered in one ordered, commented place."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import common, onboarding
from handlers.callbacks import Callback

PRIVATE = filters.ChatType.PRIVATE


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register all handlers; order matters within a group, first match wins."""
    # --- safety & peer support --- (importing registers screeners, check-in hooks, buttons)
    from bot.safety import digest, nudges  # noqa: F401
    from handlers import alerts, ask, safety, share, who5  # noqa: F401

    app.add_handler(CommandHandler("ask", ask.ask_command, filters=PRIVATE))
    # --- end safety & peer support ---

    # Group -1: /sos works everywhere, before anything else, for everyone.
    app.add_handler(CommandHandler("sos", common.sos), group=-1)

    # --- delivery & RSVP --- (group -2: a person who had blocked the bot is reachable again)
    from telegram import Update as _Update
    from telegram.ext import TypeHandler

    from handlers import rsvp

    app.add_handler(TypeHandler(_Update, rsvp.note_reachable), group=-2)
    common.button_area("rsvp")(rsvp.on_button)
    # --- end delivery & RSVP ---

    # Group 0: private chat commands.
    app.add_handler(CommandHandler("start", onboarding.start, filters=PRIVATE))
    app.add_handler(CommandHandler("help", common.help_command, filters=PRIVATE))
    app.add_handler(CommandHandler("cancel", common.cancel, filters=PRIVATE))
    app.add_handler(CommandHandler("privacy", common.privacy, filters=PRIVATE))

    # --- facilitator & admin --- (before participant: this block owns /groups for both views)
    from handlers import facilitator

    facilitator.register(app)
    # --- end facilitator & admin ---

    # --- participant --- (join, check-in, mood, sessions, settings, groups, leave, my data)
    _register_participant(app)
    # --- end participant ---

    # Buttons: routed by the area prefix of their callback data.
    app.add_handler(CallbackQueryHandler(common.button))

    # Free text in private: the current flow's step, risk language hooks, or a pointer.
    app.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, common.free_text))
    # Anything else in private: unknown commands and non-text messages.
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, common.unknown_command))

    # Group and supergroup chats: point people to the private chat (but not for /sos).
    app.add_handler(
        MessageHandler(~PRIVATE & (filters.COMMAND | filters.Entity("mention")), common.not_private)
    )

    app.add_error_handler(common.on_error)


@common.button_area("ob")
async def _onboarding_buttons(update: Any, context: Any, cb: Callback) -> None:
    await onboarding.on_button(update, context, cb)


# --- participant ---
def _register_participant(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Participant commands; /groups only if no one registered it before (it hands
    facilitators on to the facilitator view itself)."""
    from handlers import (
        checkin,
        join,
        mood,
        mydata,
        participant_groups,
        sessions_list,
        user_settings,
    )

    for name, callback in [
        ("join", join.join_command),
        ("checkin", checkin.checkin_command),
        ("mood", mood.mood_command),
        ("sessions", sessions_list.sessions_command),
        ("settings", user_settings.settings_command),
        ("leave", participant_groups.leave_command),
        ("export", mydata.export_command),
        ("forget", mydata.forget_command),
    ]:
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    taken = any(
        isinstance(h, CommandHandler) and "groups" in h.commands for h in app.handlers.get(0, [])
    )
    if not taken:
        app.add_handler(
            CommandHandler("groups", participant_groups.groups_command, filters=PRIVATE)
        )
    common.button_area("ci")(checkin.on_button)
    common.button_area("pset")(user_settings.on_button)
    common.button_area("pleave")(participant_groups.on_button)
    common.button_area("pdata")(mydata.on_button)
# --- end participant ---
