"""Anonymous questions: the facilitators see the question but never who asked; the answer
reaches the asker through the bot."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.safety.questions import ANSWER, QUESTION
from storage.models import Delivery, Question
from storage.repositories.flows import get_flow
from tests.harness import BotHarness, count_rows
from tests.test_safety_helpers import make_group, texts_of, tick

QUESTION_TEXT = "Is it normal to feel <worse> before feeling better?"


async def setup(h: BotHarness) -> int:
    await h.onboard(1, first_name="Ann")
    await h.onboard(10, first_name="Fay")
    await h.onboard(11, first_name="Cole")
    return await make_group(h, facilitators=(10,), co_facilitators=(11,), participants=(1,))


async def test_question_is_anonymous_and_answer_comes_back(
    any_bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = any_bot
    await setup(h)
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="handlers")
    await h.send(1, "/ask")
    replies = await h.send(1, QUESTION_TEXT)
    assert "Sent anonymously" in texts_of(replies)
    sent = await tick(h, QUESTION)
    assert sorted(d.recipient_id for d in sent) == [10, 11]
    for fac in (10, 11):
        text = await h.last_text(fac)
        assert QUESTION_TEXT in text
        assert "Ann" not in text
    assert all(d.payload == {} for d in sent)  # nothing about the asker in the delivery
    await h.press(10, "Reply")
    replies = await h.send(10, "Yes, <very> common. Let's talk on Tuesday.")
    assert "on its way" in texts_of(replies)
    answers = await tick(h, ANSWER)
    assert [d.recipient_id for d in answers] == [1]
    answer = await h.last_text(1)
    assert "Yes, <very> common" in answer and QUESTION_TEXT in answer
    # The co-facilitator's Reply is refused now, and the question shows as answered to others.
    await h.press(11, "Reply")
    assert "already been answered" in (await h.answers())[-1]["text"]
    ours = [r for r in caplog.records if r.name.startswith(("bot", "handlers", "storage"))]
    logged = "\n".join(r.getMessage() for r in ours)
    assert "worse" not in logged and "very" not in logged
    async with h.db() as session:
        question = (await session.execute(select(Question))).scalar_one()
        assert question.asker_id == 1 and question.answered_by == 10
        assert b"worse" not in question.text_enc  # encrypted at rest
    assert "asker" not in logged


async def test_pick_group_limits_and_roles(bot: BotHarness) -> None:
    await setup(bot)
    await bot.onboard(20, first_name="Gus")
    await make_group(bot, facilitators=(20,), participants=(1,), name="Thursday group")
    replies = await bot.send(1, "/ask")
    assert "Which group" in texts_of(replies)
    await bot.press(1, "Thursday group")
    replies = await bot.send(1, "x" * 1001)
    assert "under 1000" in texts_of(replies)
    await bot.send(1, "first question")
    sent = await tick(bot, QUESTION)
    assert [d.recipient_id for d in sent] == [20]
    # Fay (other group) cannot reply to Thursday's question, even with replayed data.
    async with bot.db() as session:
        question = (await session.execute(select(Question))).scalar_one()
    from tests.test_share import press_data

    await press_data(bot, 10, f"ak:reply:{question.id}")
    assert "Only the group's facilitators" in (await bot.answers())[-1]["text"]
    for i in range(4):
        await bot.send(1, "/ask")
        await bot.press(1, "Tuesday circle")
        await bot.send(1, f"question {i}")
    await bot.send(1, "/ask")
    await bot.press(1, "Tuesday circle")
    replies = await bot.send(1, "one too many")
    assert "daily limit" in texts_of(replies)
    async with bot.db() as session:
        assert await count_rows(session, Question) == 5


async def test_without_group(bot: BotHarness) -> None:
    await bot.onboard(5)
    assert "Join a group" in texts_of(await bot.send(5, "/ask"))


async def test_question_with_risk_language_is_not_sent_anonymously(any_bot: BotHarness) -> None:
    """A named alert and an "anonymous" question the same minute would link the two: on risk
    the question is neither stored nor delivered, and the person is told so kindly."""
    h = any_bot
    await setup(h)
    await h.send(1, "/ask")
    replies = await h.send(1, "Is it normal that I want to die before every session?")
    said = texts_of(replies)
    assert "Thank you for telling me" in said  # resources at once
    assert "facilitators know" in said and "did not pass your question on" in said
    assert "Sent anonymously" not in said
    sent = await tick(h)
    assert not [d for d in sent if d.kind == QUESTION]
    async with h.db() as session:
        assert await count_rows(session, Question) == 0
        assert await get_flow(session, 1) is None  # the next message is not a question
        rows = await session.execute(select(Delivery).where(Delivery.kind == QUESTION))
        assert rows.scalars().all() == []
    for fac in (10, 11):
        received = " ".join(str(m.get("text")) for m in await h.emu.messages(fac))
        assert "Please check in with a member" in received  # the named alert went out
        assert "Anonymous question" not in received and "before every session" not in received
