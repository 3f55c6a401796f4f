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
    # Group -1: /sos works everywhere, before anything else, for everyone.
    app.add_handler(CommandHandler("sos", common.sos), group=-1)

    # Group 0: private chat commands.
    app.add_handler(CommandHandler("start", onboarding.start, filters=PRIVATE))
    app.add_handler(CommandHandler("help", common.help_command, filters=PRIVATE))
    app.add_handler(CommandHandler("cancel", common.cancel, filters=PRIVATE))
    app.add_handler(CommandHandler("privacy", common.privacy, filters=PRIVATE))

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
