"""Property tests for safety and peer support: arbitrary text at /ask, at the reflection step
and at a facilitator's reply, and arbitrary (forged, replayed, double-tapped) button data in
every safety area, pressed by anyone: always answered, never an unhandled error, and nothing
changes that should not (no support for a removed or unknown reflection, no alert closed or
reflection removed by someone outside the team, no reply flow for a stranger)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.safety.screening import find_risk
from storage.models import (
    Alert,
    AlertStatus,
    Question,
    Share,
    ShareStatus,
    Support,
    Who5Response,
)
from storage.repositories.flows import FlowState, get_flow, set_flow
from storage.repositories.safety import is_team_member
from storage.repositories.shares import create_question, create_share
from tests.harness import BotHarness
from tests.test_safety_helpers import make_group, texts_of

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
APOLOGY = "something went wrong on my side"
ANN, BEN, FAY, GUS, OLIVE, STRANGER, ADMIN = 1, 2, 10, 20, 30, 40, 900
PRESSERS = [ANN, BEN, FAY, GUS, OLIVE, STRANGER, ADMIN]
RISKY = "I want to end my life"
BIG = [2**31, 2**31 - 1, 2**63, 10**17, 999_999_999_999_999_999]


class World:
    """Ids of what the setup created (Ann in Fay's group A and Gus's group B; Ben in A)."""

    group_a = group_b = group_c = 0
    visible = removed = held = 0
    alerts: list[int]
    question = 0


async def world(h: BotHarness) -> World:
    """Create the people, groups, reflections, alerts and a question once per bot."""
    found = h.services.extras.get("fuzz.world")
    if isinstance(found, World):
        return found
    w = World()
    for uid, name in ((ANN, "Ann"), (BEN, "Ben"), (FAY, "Fay"), (GUS, "Gus"), (OLIVE, "Olive")):
        await h.onboard(uid, first_name=name)
    w.group_a = await make_group(h, facilitators=(FAY,), participants=(ANN, BEN), who5=True)
    w.group_b = await make_group(h, facilitators=(GUS,), participants=(ANN,), name="Thursday")
    w.group_c = await make_group(h, facilitators=(OLIVE,), name="Olive's")
    now = h.clock.now()
    async with h.db() as session:
        shares = []
        for status in (ShareStatus.VISIBLE, ShareStatus.REMOVED, ShareStatus.HELD):
            share = await create_share(
                session, user_id=ANN, group_id=w.group_a,
                text_enc=h.services.cipher.encrypt(f"{status.value} reflection"),
                anonymous=True, held=status == ShareStatus.HELD, now=now, checkin_id=None,
            )
            share.status = status
            shares.append(share.id)
        w.visible, w.removed, w.held = shares
        question = await create_question(
            session, group_id=w.group_a, asker_id=ANN,
            text_enc=h.services.cipher.encrypt("a question"), now=now,
        )
        w.question = question.id
    assert "facilitator know" in texts_of(await h.send(ANN, RISKY))
    async with h.db() as session:
        w.alerts = list((await session.execute(select(Alert.id))).scalars())
    assert len(w.alerts) == 2  # one per group
    h.services.extras["fuzz.world"] = w
    return w


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Unhandled errors the error handler logged so far (the error's own words too)."""
    return [
        f"{r.getMessage()}: {r.exc_info[1] if r.exc_info else ''}"
        for r in caplog.records if "error while handling update" in r.getMessage()
    ]


def no_apology(messages: list[dict[str, Any]], answers: list[dict[str, Any]]) -> None:
    """Neither a message nor a callback answer is the error handler's apology."""
    assert APOLOGY not in texts_of(messages)
    assert all(APOLOGY not in str(a.get("text")) for a in answers)


# --- Text -------------------------------------------------------------------------------------

plain = st.text(min_size=1, max_size=120).filter(lambda s: "\x00" not in s and s.strip())
texts = st.one_of(
    plain,
    st.builds(lambda a, b: f"{a} {RISKY} {b}", plain, plain),
    st.sampled_from(["<b>hi</b> & <3", "   spaced   ", "i'm not going to hurt myself", "é" * 5]),
    st.builds(lambda n, risk: (RISKY if risk else "") + "x" * n, st.integers(975, 1010),
              st.booleans()),
    st.integers(1995, 2005).map(lambda n: "y" * n),
)


@FUZZ
@given(text=texts, which=st.sampled_from(["a", "b", "c"]))
async def test_any_question_text_is_answered_and_stored_only_when_sent(
    bot: BotHarness, caplog: pytest.LogCaptureFixture, text: str, which: str
) -> None:
    w = await world(bot)
    errors = len(errors_logged(caplog))
    group = {"a": w.group_a, "b": w.group_b, "c": w.group_c}[which]
    bot.clock.advance(timedelta(hours=6))  # the daily limit is reached now and then
    async with bot.db() as session:
        await set_flow(session, ANN, FlowState("ask", "text", {"g": group}), now=bot.clock.now())
        before = set((await session.execute(select(Question.id))).scalars())
    replies = await bot.send(ANN, text)
    assert replies, "no answer"
    no_apology(replies, [])
    assert errors_logged(caplog)[errors:] == []
    said = texts_of(replies)
    command = text.startswith("/")  # a command typed mid-flow is the command's business
    if find_risk(bot.services, text) is not None and not command:
        assert "Thank you for telling me" in said  # even when it cannot be sent
    async with bot.db() as session:
        new = [q for q in (await session.execute(select(Question))).scalars()
               if q.id not in before]
        if not command:  # the flow ends unless the question was too long
            assert (await get_flow(session, ANN) is None) != ("under 1000" in said)
    if "Sent anonymously" in said:
        assert len(new) == 1 and new[0].group_id == group in (w.group_a, w.group_b)
        assert bot.services.cipher.decrypt(new[0].text_enc) == text.strip()
    else:
        assert new == []
    if find_risk(bot.services, text) is not None and not command:
        assert new == [] and "did not pass your question on" in said  # never linkable
    assert group != w.group_c or "Join a group first" in said or "under 1000" in said or (
        "did not pass your question on" in said
    )


@FUZZ
@given(text=texts, target=st.sampled_from(["a", "b", "all", "c"]), anonymous=st.booleans())
async def test_any_reflection_text_is_answered_and_shared_only_when_allowed(
    bot: BotHarness, caplog: pytest.LogCaptureFixture, text: str, target: str, anonymous: bool
) -> None:
    w = await world(bot)
    errors = len(errors_logged(caplog))
    group = {"a": w.group_a, "b": w.group_b, "all": 0, "c": w.group_c}[target]
    bot.clock.advance(timedelta(hours=6))
    async with bot.db() as session:
        state = FlowState("share", "text", {"ci": 0, "g": group, "a": int(anonymous)})
        await set_flow(session, ANN, state, now=bot.clock.now())
        before = set((await session.execute(select(Share.id))).scalars())
    replies = await bot.send(ANN, text)
    assert replies, "no answer"
    no_apology(replies, [])
    assert errors_logged(caplog)[errors:] == []
    said = texts_of(replies)
    async with bot.db() as session:
        new = [s for s in (await session.execute(select(Share))).scalars() if s.id not in before]
    risky = find_risk(bot.services, text) is not None and not text.startswith("/")  # command
    if "Shared with" in said or "between you and your facilitators" in said:
        expected = {w.group_a, w.group_b} if group == 0 else {group}
        assert {s.group_id for s in new} == expected and len(new) == len(expected)
        status = ShareStatus.HELD if risky else ShareStatus.VISIBLE
        for share in new:
            assert share.user_id == ANN and share.anonymous == anonymous
            assert share.status == status
            assert bot.services.cipher.decrypt(share.text_enc) == text.strip()
    else:
        assert new == []
    if risky:  # also when it cannot be shared (too long, not a member, daily limit)
        assert "Thank you for telling me" in said
    assert group != w.group_c or "no longer in that group" in said or "under 1000" in said


@FUZZ
@given(text=texts, fresh=st.booleans())
async def test_any_answer_text_reaches_only_an_open_question(
    bot: BotHarness, caplog: pytest.LogCaptureFixture, text: str, fresh: bool
) -> None:
    w = await world(bot)
    errors = len(errors_logged(caplog))
    async with bot.db() as session:
        question_id = w.question
        if fresh:
            question = await create_question(
                session, group_id=w.group_a, asker_id=ANN,
                text_enc=bot.services.cipher.encrypt("another question"), now=bot.clock.now(),
            )
            question_id = question.id
        before = await session.get(Question, question_id)
        assert before is not None
        was_open = before.answered_at is None
        state = FlowState("ask_reply", "text", {"q": question_id})
        await set_flow(session, FAY, state, now=bot.clock.now())
    replies = await bot.send(FAY, text)
    assert replies, "no answer"
    no_apology(replies, [])
    assert errors_logged(caplog)[errors:] == []
    said = texts_of(replies)
    async with bot.db() as session:
        after = await session.get(Question, question_id)
        assert after is not None
        if "on its way" in said:
            assert was_open and after.answered_by == FAY
            assert bot.services.cipher.decrypt(after.answer_enc) == text.strip()
        elif was_open:
            assert after.answered_at is None
        else:
            assert "already been answered" in said or "under 2000" in said


# --- Buttons ----------------------------------------------------------------------------------

AREAS = {
    "al": ["ack", "show"],
    "sf": ["ok"],
    "sp": ["give"],
    "sh": ["rm", "go", "no", "g", "a", "s"],
    "ak": ["grp", "reply"],
    "w5": ["a"],
}


@st.composite
def button_data(draw: st.DrawFn, w: World) -> str:
    """Callback data aimed at the safety areas, with real, stale, huge and junk arguments."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=70))
    area = draw(st.sampled_from(sorted(AREAS)))
    action = draw(st.one_of(st.sampled_from(AREAS[area]), st.text(max_size=4)))
    ids = [w.group_a, w.group_b, w.group_c, w.visible, w.removed, w.held, w.question,
           *w.alerts, 0, -1, 999_999]
    arg = st.one_of(
        st.sampled_from(ids).map(str),
        st.sampled_from(BIG).map(str),
        st.text(alphabet="012345s", max_size=7),
        st.text(max_size=8),
    )
    args = draw(st.lists(arg, max_size=4))
    return ":".join([area, action, *args])


@FUZZ
@given(data=st.data(), presser=st.sampled_from(PRESSERS), taps=st.integers(1, 2))
async def test_any_safety_button_is_answered_and_changes_nothing_it_should_not(
    bot: BotHarness, caplog: pytest.LogCaptureFixture, data: st.DataObject, presser: int,
    taps: int,
) -> None:
    w = await world(bot)
    errors = len(errors_logged(caplog))
    raw = data.draw(button_data(w), label="callback data")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("old", callback_data="old:x")]])
    message = await bot.app.bot.send_message(presser, "An older message", reply_markup=keyboard)
    supports_before = await _supports(bot)
    answers_before = len(await bot.answers())
    replies = []
    for _ in range(taps):  # a double tap sends the same data twice
        replies += await bot.press(presser, data=raw, message_id=message.message_id)
    answers = (await bot.answers())[answers_before:]
    assert len(answers) == taps, f"unanswered: {raw!r}"
    no_apology(replies, answers)
    assert errors_logged(caplog)[errors:] == [], raw
    await _check_invariants(bot, w, supports_before)


async def _supports(h: BotHarness) -> dict[int, int]:
    """Support rows per reflection."""
    async with h.db() as session:
        counts: dict[int, int] = {}
        for support in (await session.execute(select(Support))).scalars():
            counts[support.share_id] = counts.get(support.share_id, 0) + 1
        return counts


async def _check_invariants(h: BotHarness, w: World, supports_before: dict[int, int]) -> None:
    """What a press may change, and who may change it."""
    async with h.db() as session:
        supports = list((await session.execute(select(Support))).scalars())
        assert {s.share_id for s in supports} <= {w.visible}
        assert {s.user_id for s in supports} <= {BEN, FAY}  # members other than the author
        assert len({(s.share_id, s.user_id) for s in supports}) == len(supports)
        for share_id in (w.removed, w.held):
            assert _count(await _supports(h), share_id) == _count(supports_before, share_id)
        shares = {s.id: s for s in (await session.execute(select(Share))).scalars()}
        assert shares[w.removed].status == ShareStatus.REMOVED
        assert shares[w.held].status == ShareStatus.HELD
        visible = shares[w.visible]
        if visible.status != ShareStatus.VISIBLE:
            assert visible.status == ShareStatus.REMOVED and visible.removed_by in (FAY, ADMIN)
            visible.status, visible.removed_at, visible.removed_by = ShareStatus.VISIBLE, None, None
        for share in shares.values():
            assert share.user_id == ANN  # nobody else shares anything by pressing buttons
        for alert in (await session.execute(select(Alert))).scalars():
            if alert.status == AlertStatus.ACKNOWLEDGED:
                by = alert.acknowledged_by
                assert by == ADMIN or (
                    by is not None and await is_team_member(session, by, alert.group_id)
                )
        for uid in PRESSERS:
            state = await get_flow(session, uid)
            if state is not None and state.name == "ask_reply":
                assert uid == FAY  # only the team of the question's group may reply
            if state is not None and state.name == "ask":
                assert uid == ANN
        for response in (await session.execute(select(Who5Response))).scalars():
            assert response.user_id != STRANGER
            assert len(response.answers) == 5 and all(0 <= a <= 5 for a in response.answers)
            assert 0 <= response.score <= 100
        questions = (await session.execute(select(Question))).scalars()
        assert all(q.answered_at is None for q in questions)  # a press never answers


def _count(counts: dict[int, int], share_id: int) -> int:
    return counts.get(share_id, 0)


# --- Out-of-range ids on both databases ----------------------------------------------------


async def test_huge_ids_in_button_data_are_refused_kindly(
    any_bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL's INTEGER ids end at 2**31 - 1: forged data beyond that is just stale."""
    caplog.set_level(logging.INFO)
    w = await world(any_bot)
    for number in BIG:
        for data in (f"al:ack:{number}", f"al:show:{number}", f"sp:give:{number}",
                     f"sh:rm:{number}", f"ak:reply:{number}", f"ak:grp:{number}",
                     f"sh:a:{number}:{w.group_a}:1", f"sh:s:{number}:{w.group_a}:1:n"):
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("old", callback_data="o:x")]])
            message = await any_bot.app.bot.send_message(ANN, "old", reply_markup=keyboard)
            before = len(await any_bot.answers())
            replies = await any_bot.press(ANN, data=data, message_id=message.message_id)
            answers = (await any_bot.answers())[before:]
            assert len(answers) == 1, data
            no_apology(replies, answers)
    assert errors_logged(caplog) == []


async def test_double_taps_on_safety_buttons_are_answered_once_without_errors(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A double tap edits the same message twice ("message is not modified"): no error, and
    the follow-up is not sent twice."""
    w = await world(bot)
    for data in ("sf:ok", "sh:no", f"ak:grp:{w.group_b}", "w5:a:s", "w5:a:0", "w5:a:01234"):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("tap", callback_data=data)]])
        message = await bot.app.bot.send_message(ANN, "Buttons", reply_markup=keyboard)
        before = len(await bot.answers())
        first = await bot.press(ANN, data=data, message_id=message.message_id)
        second = await bot.press(ANN, data=data, message_id=message.message_id)
        answers = (await bot.answers())[before:]
        assert len(answers) == 2, data
        no_apology(first + second, answers)
        assert second == [], data  # "Thank you", "Okay", the question prompt: once
    assert errors_logged(caplog) == []
    async with bot.db() as session:
        state = await get_flow(session, ANN)
        assert state is not None and state.data == {"g": w.group_b}
