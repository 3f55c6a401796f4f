"""Anonymous questions: the message to the facilitators (never who asked) and the answer back
to the asker. Texts are decrypted at send time; deliveries carry only ids."""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Button, Rendered, renderer
from bot.services import Services
from storage.models import Delivery, Group, Question
from storage.repositories.safety import is_team_member

QUESTION = "question"  # delivery kind: an anonymous question to one facilitator
ANSWER = "question_answer"  # delivery kind: a facilitator's answer to the asker

MAX_QUESTION_CHARS = 1000
MAX_ANSWER_CHARS = 2000
QUESTIONS_PER_DAY = 5

QUESTION_TEXT = (
    "❓ <b>Anonymous question</b> · {group}\n\n<i>{text}</i>\n\n"
    "I don't show who asked. Tap <b>Reply</b> to answer; it goes back to them through me."
)
QUESTION_ANSWERED = "\n\n✅ Answered."
REPLY_LABEL = "↩️ Reply"
ANSWER_TEXT = (
    "💬 <b>A facilitator answered your question</b> ({group})\n\n"
    "You asked: <i>{question}</i>\n\n{answer}"
)


@renderer(QUESTION)
async def render_question(
    session: AsyncSession, delivery: Delivery, services: Services
) -> Rendered:
    """The question for one facilitator of the group, with a Reply button."""
    question = await session.get(Question, delivery.subject_id) if delivery.subject_id else None
    if question is None:
        return Rendered(skip="question deleted")
    if not await is_team_member(session, delivery.recipient_id, question.group_id):
        return Rendered(skip="no longer facilitates the group")
    group = await session.get(Group, question.group_id)
    text = QUESTION_TEXT.format(
        group=escape(group.name if group else ""),
        text=escape(services.cipher.decrypt(question.text_enc) or ""),
    )
    if question.answered_at is not None:
        return Rendered(text + QUESTION_ANSWERED)
    return Rendered(text, buttons=[[Button(REPLY_LABEL, data=f"ak:reply:{question.id}")]])


@renderer(ANSWER)
async def render_answer(session: AsyncSession, delivery: Delivery, services: Services) -> Rendered:
    """The answer, with the question it answers, for the asker."""
    question = await session.get(Question, delivery.subject_id) if delivery.subject_id else None
    if question is None or question.answer_enc is None:
        return Rendered(skip="no answer")
    group = await session.get(Group, question.group_id)
    return Rendered(
        ANSWER_TEXT.format(
            group=escape(group.name if group else ""),
            question=escape(services.cipher.decrypt(question.text_enc) or ""),
            answer=escape(services.cipher.decrypt(question.answer_enc) or ""),
        )
    )
