"""`/announce`: choose a group (or all of mine), write, preview, send now or schedule; the
report message then updates itself (see `bot.announcements`)."""

from __future__ import annotations

import logging
from html import escape

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError

from bot.announcements import (
    MAX_MESSAGE,
    create_announcement,
    edit_report,
    group_names,
    plan_announcement,
    render_text,
    rendered_length,
)
from bot.context import BotContext
from bot.delivery.engine import kick_delivery
from bot.roles import facilitated_groups, require_facilitator
from bot.timeutil import TimeInputError, parse_local_datetime
from handlers.callbacks import Callback
from handlers.facilitator import keyboards
from handlers.facilitator import texts as t
from handlers.facilitator.common import (
    action,
    caller_id,
    drop_keyboard,
    is_admin,
    remember_bot,
    send,
)
from handlers.facilitator.groups import format_local
from handlers.flow import text_step
from storage.models import Announcement, AnnouncementStatus, ChatState, Group
from storage.repositories.flows import FlowState, clear_flow, get_flow, set_flow
from storage.repositories.users import get_user

log = logging.getLogger(__name__)

FLOW = "announce"
TEXT, PREVIEW, WHEN = "text", "preview", "when"
SENT_FROM = "announce_sent_from"  # marker left in the flow row by a claimed draft


def _pressed_message_id(update: Update) -> int:
    """The id of the message whose button was pressed (0 when unknown)."""
    query = update.callback_query
    return query.message.message_id if query is not None and query.message is not None else 0


async def announce_command(update: Update, context: BotContext) -> None:
    """/announce: pick the audience."""
    remember_bot(context)
    uid = caller_id(update)
    admin = is_admin(context, uid)
    async with context.db() as session:
        groups = await facilitated_groups(session, uid, is_admin=admin)
        user = await get_user(session, uid)
    if not groups:
        enrolled = admin or (user is not None and user.is_facilitator)
        await send(update, context, t.NO_GROUPS if enrolled else t.NOT_FACILITATOR)
        return
    await send(
        update,
        context,
        t.ASK_ANNOUNCE_GROUP,
        keyboards.announce_targets([(g.name[:60], g.id) for g in groups]),
    )


async def _allowed_groups(
    context: BotContext, session: AsyncSession, uid: int, group_ids: list[int]
) -> list[Group] | None:
    """The groups when the caller manages every one of them now, else None."""
    admin = is_admin(context, uid)
    groups = []
    for group_id in group_ids:
        group = await require_facilitator(session, uid, group_id, is_admin=admin)
        if group is None:
            return None
        groups.append(group)
    return groups


@action("fn", "to")
async def _chosen(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    arg = cb.args[0] if cb.args else ""
    async with context.db() as session:
        if arg == "all":
            groups = await facilitated_groups(session, uid, is_admin=is_admin(context, uid))
        else:
            group_id = cb.int_arg(0)
            if group_id is None:
                return t.STALE
            found = await _allowed_groups(context, session, uid, [group_id])
            if found is None:
                return t.NOT_YOURS
            groups = found
        if not groups:
            return t.NO_GROUPS
        data = {"groups": [g.id for g in groups]}
        await set_flow(session, uid, FlowState(FLOW, TEXT, data), now=context.clock.now())
        to = await group_names(session, data["groups"])
    await send(update, context, t.ASK_ANNOUNCE_TEXT.format(to=f"<b>{to}</b>"))
    return None


@text_step(FLOW, TEXT)
async def typed_text(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """The announcement itself: formatting kept, length checked, then a preview."""
    message = update.effective_message
    assert message is not None
    uid = caller_id(update)
    groups = await _allowed_groups(context, session, uid, state.data["groups"])
    if groups is None:
        await clear_flow(session, uid)
        await send(update, context, t.NOT_YOURS)
        return
    plain = message.text or ""
    longest = max(rendered_length(g.name, plain) for g in groups)
    if longest > MAX_MESSAGE:
        await send(
            update, context, t.ANNOUNCE_TOO_LONG.format(length=longest, over=longest - MAX_MESSAGE)
        )
        return
    html_text = message.text_html
    state.data["html"] = html_text
    state.step = PREVIEW
    await set_flow(session, uid, state, now=context.clock.now())
    await send(update, context, t.ANNOUNCE_PREVIEW)
    await send(
        update, context, render_text(groups[0].name, html_text), keyboards.announce_preview()
    )


async def _typed_at_preview(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    await send(update, context, t.PLEASE_TAP)


text_step(FLOW, PREVIEW)(_typed_at_preview)


async def _draft(session: AsyncSession, uid: int, step: str) -> FlowState | None:
    state = await get_flow(session, uid)
    if state is None or state.name != FLOW or state.step != step or "html" not in state.data:
        return None
    return state


async def _claim_draft(session: AsyncSession, uid: int, message_id: int) -> FlowState | str:
    """Take the previewed draft for sending, once: the person's flow row is locked first (a row
    lock on PostgreSQL, the write lock on SQLite), then the draft is replaced by a marker naming
    the preview message (invisible to flows). A second press, on any replica, finds the marker
    and gets "already sent"; anything else gets STALE."""
    key = f"flow:{uid}"
    await session.execute(
        sql_update(ChatState).where(ChatState.key == key).values(updated_at=ChatState.updated_at)
    )
    row = (
        await session.execute(select(ChatState).where(ChatState.key == key).with_for_update())
    ).scalar_one_or_none()
    data = dict(row.data) if row is not None else {}
    draft = dict(data.get("data") or {})
    if (
        row is None
        or data.get("name") != FLOW
        or data.get("step") != PREVIEW
        or "html" not in draft
    ):
        return t.ANNOUNCE_ALREADY_SENT if data.get(SENT_FROM) == message_id else t.STALE
    row.data = {SENT_FROM: message_id}
    await session.flush()
    return FlowState(FLOW, PREVIEW, draft)


@action("fn", "send")
async def _send_now(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    async with context.db() as session:
        state = await _claim_draft(session, uid, _pressed_message_id(update))
        if isinstance(state, str):
            return state
        if await _allowed_groups(context, session, uid, state.data["groups"]) is None:
            return t.NOT_YOURS
        to = await group_names(session, state.data["groups"])
    await drop_keyboard(update)
    # The report message exists before the fan-out, so every outcome can update it.
    try:
        report = await send(update, context, f"📣 Announcement to <b>{to}</b> — preparing…")
    except TelegramError:
        async with context.db() as session:  # keep the draft so Send now can be pressed again
            await set_flow(session, uid, state, now=context.clock.now())
        raise
    now = context.clock.now()
    async with context.db() as session:
        announcement = await create_announcement(
            session,
            author_id=uid,
            group_ids=state.data["groups"],
            html_text=state.data["html"],
            send_at=now,
            now=now,
            report_chat_id=report.chat_id,
        )
        announcement.report_message_id = report.message_id
        await plan_announcement(session, announcement, now)
        announcement_id = announcement.id
    log.info("announcement %s sent now by %s", announcement_id, uid)
    kick_delivery(context.services)
    await edit_report(context.services, announcement_id, force=True)
    return None


@action("fn", "later")
async def _schedule(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    async with context.db() as session:
        state = await _draft(session, uid, PREVIEW)
        if state is None:
            return t.STALE
        user = await get_user(session, uid)
        await drop_keyboard(update)
        state.step = WHEN
        await set_flow(session, uid, state, now=context.clock.now())
    my_zone = (user.timezone if user else None) or context.settings.default_timezone
    await send(update, context, t.ASK_ANNOUNCE_TIME.format(zone=escape(my_zone)))
    return None


@text_step(FLOW, WHEN)
async def typed_when(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """When a scheduled announcement goes out (the facilitator's time zone, future only)."""
    uid = caller_id(update)
    user = await get_user(session, uid)
    my_zone = (user.timezone if user else None) or context.settings.default_timezone
    now = context.clock.now()
    try:
        send_at = parse_local_datetime(
            (update.effective_message.text or "") if update.effective_message else "", my_zone, now
        )
    except TimeInputError as error:
        await send(update, context, escape(str(error)))
        return
    if await _allowed_groups(context, session, uid, state.data["groups"]) is None:
        await clear_flow(session, uid)
        await send(update, context, t.NOT_YOURS)
        return
    assert update.effective_chat is not None
    announcement = await create_announcement(
        session,
        author_id=uid,
        group_ids=state.data["groups"],
        html_text=state.data["html"],
        send_at=send_at,
        now=now,
        report_chat_id=update.effective_chat.id,
    )
    await clear_flow(session, uid)
    to = await group_names(session, announcement.group_ids)
    report = await send(
        update,
        context,
        t.ANNOUNCE_SCHEDULED.format(when=escape(format_local(send_at, my_zone)), to=f"<b>{to}</b>"),
        keyboards.cancel_scheduled(announcement.id),
    )
    announcement.report_message_id = report.message_id
    log.info("announcement %s scheduled by %s", announcement.id, uid)


@action("fn", "drop")
async def _drop(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    async with context.db() as session:
        state = await get_flow(session, uid)
        if state is None or state.name != FLOW:
            return t.STALE
        await clear_flow(session, uid)
    await drop_keyboard(update)
    await send(update, context, t.ANNOUNCE_CANCELLED_DRAFT)
    return None


@action("fn", "list")
async def _list(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    items: list[tuple[str, int]] = []
    lines = [t.SCHEDULED_LIST]
    async with context.db() as session:
        user = await get_user(session, uid)
        my_zone = (user.timezone if user else None) or context.settings.default_timezone
        rows = (
            (
                await session.execute(
                    select(Announcement)
                    .where(Announcement.status == AnnouncementStatus.SCHEDULED)
                    .order_by(Announcement.send_at)
                )
            )
            .scalars()
            .all()
        )
        for ann in rows:
            if await _allowed_groups(context, session, uid, ann.group_ids) is None:
                continue
            when = format_local(ann.send_at, my_zone)
            to = await group_names(session, ann.group_ids)
            preview = escape(_plain_preview(ann.text))
            lines.append(t.SCHEDULED_LINE.format(when=escape(when), to=to, preview=preview))
            items.append((when, ann.id))
    if not items:
        await send(update, context, t.SCHEDULED_NONE)
        return None
    await send(update, context, "\n".join(lines), keyboards.scheduled_list(items[:10]))
    return None


def _plain_preview(html_text: str) -> str:
    """The first words of an announcement, without tags."""
    import re
    from html import unescape

    plain = unescape(re.sub(r"<[^>]+>", "", html_text))
    return plain[:60] + ("…" if len(plain) > 60 else "")


@action("fn", "unsched")
async def _unschedule(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    ann_id = cb.int_arg(0)
    if ann_id is None:
        return t.STALE
    async with context.db() as session:
        ann = await session.get(Announcement, ann_id)
        if ann is None:
            return t.STALE
        if await _allowed_groups(context, session, uid, ann.group_ids) is None:
            return t.NOT_YOURS
        if ann.status != AnnouncementStatus.SCHEDULED:
            return (
                t.ANNOUNCE_NOT_CANCELLABLE
                if ann.status != AnnouncementStatus.CANCELLED
                else t.STALE
            )
        ann.status = AnnouncementStatus.CANCELLED
        user = await get_user(session, uid)
        my_zone = (user.timezone if user else None) or context.settings.default_timezone
        when = format_local(ann.send_at, my_zone)
    log.info("announcement %s cancelled by %s", ann_id, uid)
    await edit_report(context.services, ann_id, force=True)
    await send(update, context, t.ANNOUNCE_CANCELLED.format(when=escape(when)))
    return None
