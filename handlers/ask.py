"""`/ask`: an anonymous question to a group's facilitators, and their answer through the bot.

The asker's identity is stored only on the question row (to send the answer back); it is never
shown to facilitators and never logged.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import texts as common_texts
from bot.context import BotContext
from bot.delivery.outbox import enqueue
from bot.safety.questions import (
    ANSWER,
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    QUESTION,
    QUESTIONS_PER_DAY,
)
from handlers.callbacks import Callback, pack
from handlers.common import button_area
from handlers.flow import text_step
from handlers.hooks import screen_text
from handlers.safety import drop_keyboard, row_id
from storage.repositories.flows import FlowState, clear_flow, set_flow
from storage.repositories.safety import is_team_member, participant_group_ids, team_ids
from storage.repositories.shares import (
    create_question,
    get_question,
    groups_by_id,
    questions_since,
)
from storage.repositories.users import get_user

log = logging.getLogger(__name__)

AREA = "ak"
FLOW, TEXT = "ask", "text"
REPLY_FLOW = "ask_reply"

NO_GROUP = "Questions go to your group's facilitators. Join a group first with /join."
CHOOSE_GROUP = "Which group's facilitators should get your question?"
ASK_TEXT = (
    "Type your question (up to {limit} characters). Your facilitators will see the question "
    "but not who asked. The answer comes back here. Send /cancel to stop."
)
TOO_LONG = "That's {length} characters; please keep it under {limit}. Try again, or /cancel."
TOO_MANY = "You've asked {limit} questions today, which is the daily limit. Tomorrow works 🌿"
SENT = "Sent anonymously ✓ I'll bring you the answer here."
RISK_NOT_SENT = (
    "Because what you wrote suggests you may be in danger, I've let your facilitators know "
    "it's you, so a person can reach out. For the same reason I did <b>not</b> pass your "
    "question on anonymously. When you feel ready, you can ask it again with /ask 💚"
)
NO_TEAM = (
    "That group has no facilitator right now, so I couldn't pass your question on. "
    "Nothing was sent."
)
REPLY_PROMPT = (
    "Type your answer (up to {limit} characters). It goes to the person who asked; "
    "you won't learn who it is. Send /cancel to stop."
)
REPLY_SENT = "Your answer is on its way ✓"
ALREADY_ANSWERED = "This question has already been answered."
NOT_ALLOWED = "Only the group's facilitators can answer this question."


def group_keyboard(groups: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per group."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(name[:60], callback_data=pack(AREA, "grp", group_id))]
            for group_id, name in groups
        ]
    )


async def _reply(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the chat the update came from."""
    assert update.effective_message is not None
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def ask_command(update: Update, context: BotContext) -> None:
    """Start a question: pick a group when there are several, then type it."""
    tg_user = update.effective_user
    assert tg_user is not None
    async with context.db() as session:
        user = await get_user(session, tg_user.id)
        if user is None or not user.is_onboarded:
            await _reply(update, common_texts.FINISH_ONBOARDING)
            return
        groups = await participant_group_ids(session, user.id)
        if not groups:
            await _reply(update, NO_GROUP)
            return
        if len(groups) > 1:
            names = await groups_by_id(session, groups)
            await _reply(
                update, CHOOSE_GROUP,
                group_keyboard([(g, names[g].name) for g in groups if g in names]),
            )
            return
        await _start_typing(update, context, session, tg_user.id, groups[0])


async def _start_typing(
    update: Update, context: BotContext, session: AsyncSession, user_id: int, group_id: int
) -> None:
    """Remember the group and ask for the question."""
    state = FlowState(FLOW, TEXT, {"g": group_id})
    await set_flow(session, user_id, state, now=context.clock.now())
    await _reply(update, ASK_TEXT.format(limit=MAX_QUESTION_CHARS))


@button_area(AREA)
async def on_button(update: Update, context: BotContext, cb: Callback) -> None:
    """The asker's group choice, or a facilitator's Reply (role checked at the press)."""
    query = update.callback_query
    tg_user = update.effective_user
    assert query is not None and tg_user is not None
    arg = cb.int_arg(0)
    if cb.action not in ("grp", "reply") or arg is None:
        await query.answer(common_texts.STALE_BUTTON, show_alert=True)
        return
    async with context.db() as session:
        if cb.action == "grp":
            if arg not in await participant_group_ids(session, tg_user.id):
                await query.answer(common_texts.STALE_BUTTON, show_alert=True)
                return
            await query.answer()
            if await drop_keyboard(query):  # not again on a double tap
                await _start_typing(update, context, session, tg_user.id, arg)
            return
        question_id = row_id(cb, 0)
        question = await get_question(session, question_id) if question_id else None
        if question is None or not await is_team_member(session, tg_user.id, question.group_id):
            await query.answer(NOT_ALLOWED, show_alert=True)
            return
        if question.answered_at is not None:
            await query.answer(ALREADY_ANSWERED, show_alert=True)
            return
        await query.answer()
        await set_flow(
            session, tg_user.id, FlowState(REPLY_FLOW, TEXT, {"q": question.id}),
            now=context.clock.now(),
        )
        await _reply(update, REPLY_PROMPT.format(limit=MAX_ANSWER_CHARS))


@text_step(FLOW, TEXT)
async def typed_question(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """The question: length- and rate-limited, screened, stored encrypted, sent to the team."""
    tg_user = update.effective_user
    assert tg_user is not None
    text = (update.effective_message.text or "").strip()  # type: ignore[union-attr]
    # Screen first: risk language gets resources even when the question cannot be sent.
    if await screen_text(update, context, session, text, "question"):
        # The team got a named alert just now; an "anonymous" question arriving the same
        # minute would tell them who asked. So it is neither stored nor sent.
        await clear_flow(session, tg_user.id)
        await _reply(update, RISK_NOT_SENT)
        return
    if len(text) > MAX_QUESTION_CHARS:
        await _reply(update, TOO_LONG.format(length=len(text), limit=MAX_QUESTION_CHARS))
        return
    await clear_flow(session, tg_user.id)
    group_id = int(state.data.get("g", 0))
    if group_id not in await participant_group_ids(session, tg_user.id):
        await _reply(update, NO_GROUP)
        return
    now = context.clock.now()
    if await questions_since(session, tg_user.id, now - timedelta(days=1)) >= QUESTIONS_PER_DAY:
        await _reply(update, TOO_MANY.format(limit=QUESTIONS_PER_DAY))
        return
    team = await team_ids(session, group_id)
    if not team:
        await _reply(update, NO_TEAM)
        return
    question = await create_question(
        session, group_id=group_id, asker_id=tg_user.id,
        text_enc=context.services.cipher.encrypt(text), now=now,
    )
    for facilitator in team:
        await enqueue(
            session, kind=QUESTION, key=f"question:{question.id}:{facilitator}",
            recipient_id=facilitator, due_at=now, now=now, subject_id=question.id,
        )
    log.info("question %s asked in group %s", question.id, group_id)
    await _reply(update, SENT)


@text_step(REPLY_FLOW, TEXT)
async def typed_answer(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """A facilitator's answer: stored encrypted and sent to the asker through the bot."""
    tg_user = update.effective_user
    assert tg_user is not None
    text = (update.effective_message.text or "").strip()  # type: ignore[union-attr]
    if len(text) > MAX_ANSWER_CHARS:
        await _reply(update, TOO_LONG.format(length=len(text), limit=MAX_ANSWER_CHARS))
        return
    await clear_flow(session, tg_user.id)
    question = await get_question(session, int(state.data.get("q", 0)), for_update=True)
    if question is None or not await is_team_member(session, tg_user.id, question.group_id):
        await _reply(update, NOT_ALLOWED)
        return
    if question.answered_at is not None:
        await _reply(update, ALREADY_ANSWERED)
        return
    now = context.clock.now()
    question.answer_enc = context.services.cipher.encrypt(text)
    question.answered_by = tg_user.id
    question.answered_at = now
    await enqueue(
        session, kind=ANSWER, key=f"answer:{question.id}", recipient_id=question.asker_id,
        due_at=now, now=now, subject_id=question.id,
    )
    log.info("question %s answered", question.id)
    await _reply(update, REPLY_SENT)
