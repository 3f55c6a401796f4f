"""Property tests: arbitrary text at every participant step and arbitrary button data in every
participant area is answered, never crashes, and never corrupts what is stored."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.repositories.checkins import get_checkin
from storage.repositories.flows import FlowState, set_flow
from storage.repositories.users import get_user
from tests.harness import BotHarness
from tests.test_checkin import MONDAY
from tests.test_participant_support import APOLOGY, make_group, texts_of

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
UID = 90
STEPS = [
    ("join", "code"),
    ("checkin", "confirm"),
    ("checkin", "mood"),
    ("checkin", "tags"),
    ("checkin", "note"),
    ("settings", "zone"),
    ("settings", "time"),
    ("settings", "away"),
]
texts = st.text(min_size=1, max_size=1200).filter(lambda s: "\x00" not in s)
areas = st.sampled_from(["ci", "pset", "pleave", "pdata"])
actions = st.sampled_from(
    ["m", "t", "done", "skip", "upd", "keep", "tz", "tzv", "time", "timev", "away", "awayv",
     "awayend", "prompts", "vis", "shares", "ask", "yes", "no", "forget", "x", ""]
)
args = st.lists(
    st.one_of(st.text(max_size=10), st.integers(-5, 100_000).map(str), st.just("20260302")),
    max_size=3,
)
callback_data = st.one_of(
    st.text(max_size=70),
    st.builds(lambda a, b, c: ":".join([a, b, *c]), areas, actions, args),
)


async def _ready(h: BotHarness) -> None:
    """An onboarded member with today's check-in open (so every step has what it needs)."""
    _, token = await make_group(h)
    await h.onboard(UID)
    await h.send(UID, f"/join {token}")
    await h.send(UID, "/checkin")
    await h.press(UID, "3 😐")


@FUZZ
@given(step=st.sampled_from(STEPS), text=texts)
async def test_any_text_at_any_step_is_answered(bot: BotHarness, step: tuple[str, str],
                                                text: str) -> None:
    if not await _user_exists(bot):
        await _ready(bot)
    async with bot.db() as session:
        data = {"date": "20260302", "mood": 3, "tags": []}
        await set_flow(session, UID, FlowState(step[0], step[1], data), now=bot.clock.now())
    replies = await bot.send(UID, text)
    assert replies, f"no answer at {step}"
    assert APOLOGY not in texts_of(replies)
    async with bot.db() as session:
        checkin = await get_checkin(session, UID, MONDAY)
        user = await get_user(session, UID)
        if user is not None:  # /forget may legitimately come through as text
            assert checkin is not None and 1 <= checkin.mood <= 5
            assert user.timezone and user.checkin_time


@FUZZ
@given(data=callback_data)
async def test_any_button_data_is_answered(bot: BotHarness, data: str) -> None:
    if not await _user_exists(bot):
        await _ready(bot)
    message_id = await bot.find_button_message(UID, None)
    before = len(await bot.answers())
    replies = await bot.press(UID, data=data, message_id=message_id)
    assert len(await bot.answers()) > before, f"unanswered: {data!r}"
    assert APOLOGY not in texts_of(replies)
    assert APOLOGY not in str((await bot.answers())[-1].get("text"))


async def _user_exists(h: BotHarness) -> bool:
    async with h.db() as session:
        return await get_user(session, UID) is not None
