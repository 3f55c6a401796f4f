"""Joining a group: deep link `/start join_<token>`, `/join <code>`, or `/join` then the code."""

from __future__ import annotations

import logging
import re
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from bot.delivery.outbox import NOTICE, enqueue
from handlers import participant_texts as t
from handlers.flow import text_step
from handlers.hooks import screen_text
from handlers.onboarding import on_start_payload
from handlers.participant_common import onboarded_user, reply
from storage.models import User
from storage.repositories.flows import FlowState, clear_flow, set_flow
from storage.repositories.joining import JoinOutcome, JoinResult, facilitator_ids, join_with_token
from storage.repositories.users import get_user

log = logging.getLogger(__name__)

FLOW = "join"
CODE = "code"
PAYLOAD_PREFIX = "join_"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{6,64}")
_LINK = re.compile(r"start=join_([A-Za-z0-9_-]{1,64})")

_SIMPLE = {
    JoinOutcome.UNKNOWN: t.JOIN_UNKNOWN,
    JoinOutcome.REVOKED: t.JOIN_REVOKED,
    JoinOutcome.EXPIRED: t.JOIN_EXPIRED,
    JoinOutcome.USED_UP: t.JOIN_USED_UP,
}
_WITH_GROUP = {
    JoinOutcome.JOINED: t.JOIN_DONE,
    JoinOutcome.PENDING: t.JOIN_PENDING,
    JoinOutcome.ALREADY_MEMBER: t.JOIN_ALREADY_MEMBER,
    JoinOutcome.ALREADY_PENDING: t.JOIN_ALREADY_PENDING,
    JoinOutcome.FACILITATES: t.JOIN_FACILITATES,
    JoinOutcome.NOT_ALLOWED: t.JOIN_NOT_ALLOWED,
    JoinOutcome.CLOSED: t.JOIN_CLOSED,
}


def extract_token(text: str) -> str | None:
    """The invite token in a typed code, `join_<token>` or a full invite link; None if none."""
    text = text.strip()
    link = _LINK.search(text)
    if link:
        text = link.group(1)
    elif text.startswith(PAYLOAD_PREFIX):
        text = text[len(PAYLOAD_PREFIX):]
    return text if _TOKEN.fullmatch(text) else None


def outcome_text(result: JoinResult) -> str:
    """What to tell the person about a join attempt."""
    if result.outcome in _SIMPLE or result.group is None:
        return _SIMPLE.get(result.outcome, t.JOIN_UNKNOWN)
    return _WITH_GROUP[result.outcome].format(group=escape(result.group.name))


async def _notify_facilitators(
    session: AsyncSession, context: BotContext, user: User, result: JoinResult
) -> None:
    """Tell the group's facilitators that someone waits for approval (name escaped only)."""
    assert result.group is not None
    now = context.clock.now()
    name = escape(user.display_name or "A new member")
    text = t.JOIN_REQUEST_NOTICE.format(name=name, group=escape(result.group.name))
    for fac_id in await facilitator_ids(session, result.group.id):
        await enqueue(
            session,
            kind=NOTICE,
            key=f"join_request:u{user.id}:g{result.group.id}:f{fac_id}:{int(now.timestamp())}",
            recipient_id=fac_id,
            due_at=now,
            now=now,
            payload={"text": text},
        )


async def join(
    update: Update, context: BotContext, session: AsyncSession, user: User, token: str
) -> JoinResult:
    """Use a join token for an onboarded user and answer them; True outcomes are final."""
    result = await join_with_token(session, user, token, context.clock.now())
    log.info("join attempt by user %s: %s", user.id, result.outcome.value)
    if result.outcome == JoinOutcome.PENDING:
        await _notify_facilitators(session, context, user, result)
    await reply(update, outcome_text(result))
    return result


@on_start_payload
async def start_payload(
    update: Update, context: BotContext, session: AsyncSession, user: User, payload: str
) -> bool:
    """`/start join_<token>`: join the group; other payloads are left to other hooks."""
    if not payload.startswith(PAYLOAD_PREFIX):
        return False
    token = extract_token(payload)
    if token is None:
        await reply(update, t.JOIN_UNKNOWN)
        return True
    await join(update, context, session, user, token)
    return True


async def join_command(update: Update, context: BotContext) -> None:
    """`/join <code>` joins at once; `/join` alone asks for the code."""
    tg_user = update.effective_user
    assert tg_user is not None
    raw = " ".join(context.args or [])
    async with context.db() as session:
        existing = await get_user(session, tg_user.id)
        if existing is None or not existing.is_onboarded:
            code = extract_token(raw) or "CODE"
            await reply(update, t.JOIN_FINISH_ONBOARDING_FIRST.format(code=escape(code)))
            return
        user = await onboarded_user(update, context, session)
        if user is None:
            return
        if not raw.strip():
            await set_flow(session, user.id, FlowState(FLOW, CODE), now=context.clock.now())
            await reply(update, t.JOIN_ASK_CODE)
            return
        await clear_flow(session, user.id)
        token = extract_token(raw)
        if token is None:
            await set_flow(session, user.id, FlowState(FLOW, CODE), now=context.clock.now())
            await reply(update, t.JOIN_BAD_CODE)
            return
        result = await join(update, context, session, user, token)
        if result.outcome == JoinOutcome.UNKNOWN:
            await set_flow(session, user.id, FlowState(FLOW, CODE), now=context.clock.now())


@text_step(FLOW, CODE)
async def typed_code(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """A typed invite code: join, or explain and ask again (unknown codes may be typos)."""
    user = await onboarded_user(update, context, session)
    if user is None:
        await clear_flow(session, update.effective_user.id)  # type: ignore[union-attr]
        return
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    token = extract_token(text)
    if token is None:
        if not await screen_text(update, context, session, text, "message"):
            await reply(update, t.JOIN_BAD_CODE)
        return
    result = await join(update, context, session, user, token)
    if result.outcome != JoinOutcome.UNKNOWN:
        await clear_flow(session, user.id)
