"""My data: `/export` (JSON of everything plus a CSV of check-ins) and `/forget`."""

from __future__ import annotations

import logging

from telegram import BotCommandScopeChat, InputFile, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.export import checkins_csv, collect, to_json
from bot.forget import forget_user
from handlers import participant_keyboards as kb
from handlers import participant_texts as t
from handlers.callbacks import Callback
from handlers.participant_common import answer_stale, fresh, reply, stamp
from storage.repositories.users import get_user

log = logging.getLogger(__name__)


async def export_command(update: Update, context: BotContext) -> None:
    """Send all the person's data as files (nothing is stored by asking)."""
    tg_user = update.effective_user
    message = update.effective_message
    assert tg_user is not None and message is not None
    async with context.db() as session:
        data = await collect(session, tg_user.id, context.services.cipher)
    if data is None:
        await reply(update, t.EXPORT_NOTHING)
        return
    stamp = context.clock.now().strftime("%Y%m%d")
    await message.reply_document(
        InputFile(to_json(data), filename=f"circlebot-my-data-{stamp}.json"),
        caption=t.EXPORT_CAPTION,
    )
    await message.reply_document(
        InputFile(checkins_csv(data), filename=f"circlebot-checkins-{stamp}.csv"),
        caption=t.EXPORT_CSV_CAPTION,
    )
    log.info("export sent to user %s", tg_user.id)


async def forget_command(update: Update, context: BotContext) -> None:
    """Ask for confirmation before deleting everything."""
    tg_user = update.effective_user
    assert tg_user is not None
    async with context.db() as session:
        user = await get_user(session, tg_user.id)
    if user is None:
        await reply(update, t.FORGET_NOTHING)
        return
    await reply(update, t.FORGET_CONFIRM, kb.forget_keyboard(stamp(context.clock.now())))


async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """`pdata:forget:yes|no:<stamp>`; a Yes older than CONFIRM_TTL deletes nothing."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    if cb.action != "forget" or cb.args[:1] not in (("yes",), ("no",)) or len(cb.args) > 2:
        await answer_stale(update)
        return
    if cb.args[0] == "no":
        await query.answer()
        await _drop_keyboard(update)
        await reply(update, t.FORGET_KEPT)
        return
    if not fresh(cb.int_arg(1, big=True), context.clock.now()):
        await answer_stale(update, t.FORGET_EXPIRED)
        await _drop_keyboard(update)
        return
    async with context.db() as session:
        existed = await forget_user(session, tg_user.id)
    if context.user_data:
        context.user_data.clear()
    if not existed:
        await answer_stale(update, t.FORGET_NOTHING)
        return
    await query.answer()
    await _drop_keyboard(update)
    log.info("user %s deleted their data", tg_user.id)
    await reply(update, t.FORGET_DONE)
    if not context.services.is_admin(tg_user.id):
        # A facilitator's own menu goes too: after /forget they start over as anyone does.
        try:
            await context.bot.delete_my_commands(scope=BotCommandScopeChat(tg_user.id))
        except TelegramError as error:
            log.warning("could not reset the menu of user %s: %s", tg_user.id, type(error).__name__)


async def _drop_keyboard(update: Update) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:
        log.debug("could not remove the forget keyboard")
