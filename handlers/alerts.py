"""Facilitators' side of alerts: Acknowledge, and showing a held reflection (role checked)."""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import texts as common_texts
from bot.context import BotContext
from bot.safety import texts
from bot.safety.alerts import RISK, acknowledge, format_when
from handlers.callbacks import Callback
from handlers.common import button_area
from handlers.safety import row_id
from storage.models import Alert, Share, ShareStatus, User
from storage.repositories.safety import get_alert, is_team_member

log = logging.getLogger(__name__)

AREA = "al"


def may_handle(context: BotContext, user_id: int, alert: Alert, is_team: bool) -> bool:
    """The group's active team, and admins, may act on an alert."""
    return is_team or context.services.is_admin(user_id)


@button_area(AREA)
async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """Acknowledge an alert or show the reflection it was raised for."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    alert_id = row_id(cb, 0)
    if cb.action not in ("ack", "show") or alert_id is None:
        await query.answer(common_texts.STALE_BUTTON, show_alert=True)
        return
    async with context.db() as session:
        alert = await get_alert(session, alert_id, for_update=cb.action == "ack")
        if alert is None:
            await query.answer(texts.ALERT_GONE, show_alert=True)
            return
        is_team = await is_team_member(session, tg_user.id, alert.group_id)
        if not may_handle(context, tg_user.id, alert, is_team):
            await query.answer(texts.ACK_NOT_ALLOWED, show_alert=True)
            return
        if cb.action == "show":
            await _show_share(update, context, session, alert)
            return
        now = context.clock.now()
        if not await acknowledge(session, alert, tg_user.id, now):
            by = await session.get(User, alert.acknowledged_by) if alert.acknowledged_by else None
            name = by.display_name if by is not None and by.display_name else "someone"
            await query.answer(texts.ACK_ALREADY.format(name=name)[:190], show_alert=True)
            return
        when = format_when(now, None)
    await query.answer(texts.ACK_DONE)
    message = query.message
    if message is not None and getattr(message, "text_html", None):
        await query.edit_message_text(
            message.text_html + "\n\n" + f"✅ Acknowledged by you ({when}).",  # type: ignore[attr-defined]
            parse_mode="HTML",
        )
    else:
        await query.edit_message_reply_markup(None)


async def _show_share(
    update: Update, context: BotContext, session: AsyncSession, alert: Alert
) -> None:
    """Reply with the held reflection behind a share alert, to the team member who asked."""
    query = update.callback_query
    assert query is not None
    if alert.kind != RISK or alert.source != "share" or alert.group_id is None:
        await query.answer(common_texts.STALE_BUTTON, show_alert=True)
        return
    share = (
        await session.execute(
            select(Share)
            .where(
                Share.user_id == alert.user_id,
                Share.group_id == alert.group_id,
                Share.status == ShareStatus.HELD,
                Share.created_at >= alert.created_at - timedelta(minutes=5),
                Share.created_at <= alert.created_at + timedelta(minutes=5),
            )
            .order_by(Share.created_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    await query.answer()
    if share is None or query.message is None:
        if query.message is not None:
            await context.bot.send_message(query.message.chat.id, "That reflection is gone.")
        return
    text = context.services.cipher.decrypt(share.text_enc) or ""
    await context.bot.send_message(
        query.message.chat.id,
        "<b>The held reflection</b> (not shown to the group):\n\n<i>" + escape(text) + "</i>",
        parse_mode="HTML",
    )
