"""Onboarding through process_update: consent, zone, time, visibility; bad input; restarts."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from storage.models import ChatState, User
from storage.repositories.users import get_user
from tests.harness import BotHarness, count_rows


async def test_full_onboarding_stores_choices(any_bot: BotHarness) -> None:
    replies = await any_bot.send(1, "/start")
    assert "not an emergency service" in replies[0]["text"]
    async with any_bot.db() as session:
        assert await count_rows(session, User) == 0  # nothing before consent
    await any_bot.press(1, "Yes, I agree")
    replies = await any_bot.send(1, "Mars/Phobos")
    assert "time zone" in replies[0]["text"].lower()
    await any_bot.send(1, "europe/berlin")
    replies = await any_bot.send(1, "noon-ish")
    assert "08:30" in replies[0]["text"] or "example" in replies[0]["text"].lower()
    replies = await any_bot.send(1, "25:99")
    assert replies
    await any_bot.send(1, "8:30pm")
    replies = await any_bot.press(1, "Only group summaries")
    assert "all set" in replies[-1]["text"]
    async with any_bot.db() as session:
        user = await get_user(session, 1)
        assert user is not None
        assert user.timezone == "Europe/Berlin"
        assert user.checkin_time == time(20, 30)
        assert user.share_with_facilitators is False
        assert user.next_prompt_at is not None and user.next_prompt_at > any_bot.clock.now()
        assert await count_rows(session, ChatState) == 0


async def test_declining_consent_stores_nothing(bot: BotHarness) -> None:
    await bot.send(2, "/start")
    replies = await bot.press(2, "Not now")
    assert "haven't stored anything" in replies[-1]["text"]
    async with bot.db() as session:
        assert await count_rows(session, User) == 0


async def test_zone_buttons_and_time_buttons(bot: BotHarness) -> None:
    await bot.send(3, "/start")
    await bot.press(3, "Yes, I agree")
    await bot.press(3, "London")
    await bot.press(3, "08:00")
    await bot.press(3, "Yes, that's okay")
    async with bot.db() as session:
        user = await get_user(session, 3)
        assert user is not None and user.timezone == "Europe/London"
        assert user.checkin_time == time(8, 0) and user.share_with_facilitators


async def test_pressing_an_old_button_again_changes_nothing(bot: BotHarness) -> None:
    await bot.send(4, "/start")
    consent_message = await bot.find_button_message(4, "Yes, I agree")
    await bot.press(4, "Yes, I agree")
    await bot.send(4, "UTC+2")
    await bot.press(4, data="ob:consent:yes", message_id=consent_message)
    answers = await bot.answers()
    assert answers[-1]["text"] == "That step is already done."
    async with bot.db() as session:
        user = await get_user(session, 4)
        assert user is not None and user.timezone == "UTC+02:00"


async def test_forged_button_data_is_answered(bot: BotHarness) -> None:
    await bot.send(5, "/start")
    message_id = await bot.find_button_message(5, None)
    for data in ["ob:tz:999", "nonsense", "ob:time:9999", "x" * 64, "ob"]:
        await bot.press(5, data=data, message_id=message_id)
    answers = await bot.answers()
    assert len(answers) == 5


async def test_restart_mid_onboarding_resumes(bot: BotHarness) -> None:
    await bot.send(6, "/start")
    await bot.press(6, "Yes, I agree")
    await bot.send(6, "Asia/Tokyo")
    # A restart loses all memory; the database says where to pick up.
    await bot.restart()
    replies = await bot.send(6, "/start")
    assert "check-in" in replies[-1]["text"]
    await bot.send(6, "07:15")
    async with bot.db() as session:
        user = await get_user(session, 6)
        assert user is not None and user.checkin_time == time(7, 15)


async def test_commands_in_group_chat_point_to_private(bot: BotHarness) -> None:
    replies = await bot.send(7, "/checkin", chat_id=-100)
    assert "private" in replies[0]["text"]
    replies = await bot.send(7, "/sos", chat_id=-100)
    assert "emergency" in replies[-1]["text"]


async def test_help_sos_privacy_cancel_before_onboarding(bot: BotHarness) -> None:
    assert "/start" in (await bot.send(8, "/help"))[0]["text"]
    assert "emergency" in (await bot.send(8, "/sos"))[0]["text"]
    assert "nothing stored yet" in (await bot.send(8, "/privacy"))[0]["text"]
    assert "nothing to cancel" in (await bot.send(8, "/cancel"))[0]["text"]
    assert "finish setting you up" in (await bot.send(8, "hello"))[0]["text"]
    assert "don't know that command" in (await bot.send(8, "/frobnicate"))[0]["text"]


async def test_html_in_name_and_text_is_escaped(bot: BotHarness) -> None:
    await bot.send(9, "/start", first_name="<b>Eve</b>")
    await bot.press(9, "Yes, I agree")
    replies = await bot.send(9, "<script>alert(1)</script>")
    assert replies and "can't parse" not in str(replies)
    async with bot.db() as session:
        user = await get_user(session, 9)
        assert user is not None and user.display_name == "<b>Eve</b>"
        rows = (await session.execute(select(ChatState))).scalars().all()
        assert len(rows) == 1


async def test_huge_text_gets_a_clear_answer(bot: BotHarness) -> None:
    await bot.send(10, "/start")
    await bot.press(10, "Yes, I agree")
    replies = await bot.send(10, "x" * 4000)
    assert replies and "long" in replies[0]["text"].lower()


async def test_invite_link_opened_before_consent_survives_a_restart(bot: BotHarness) -> None:
    await bot.send(11, "/start join_sometoken")
    async with bot.db() as session:
        assert await count_rows(session, User) == 0
    await bot.restart()
    await bot.press(11, "Yes, I agree")
    async with bot.db() as session:
        state = (await session.execute(select(ChatState))).scalar_one()
        assert state.data["data"] == {"payload": "join_sometoken"}


async def test_declining_after_an_invite_forgets_the_invite(bot: BotHarness) -> None:
    await bot.send(12, "/start join_sometoken")
    await bot.press(12, "Not now")
    async with bot.db() as session:
        assert await count_rows(session, ChatState) == 0


def test_callback_int_args_are_bounded_for_their_columns() -> None:
    from handlers.callbacks import parse

    cb = parse("x:y:99999999999:99999999999:12:-3:--4")
    assert cb is not None
    assert cb.int_arg(0) is None  # too big for a row id (int32 on PostgreSQL)
    assert cb.int_arg(1, big=True) == 99999999999  # a Telegram user id
    assert cb.int_arg(2) == 12 and cb.int_arg(3) == -3
    assert cb.int_arg(4) is None and cb.int_arg(9) is None


async def test_a_voice_message_gets_a_kind_answer(bot: BotHarness) -> None:
    from telegram import Update

    update = {
        "update_id": 999_001,
        "message": {
            "message_id": 77,
            "date": 1_700_000_000,
            "chat": {"id": 13, "type": "private", "first_name": "Vi"},
            "from": {"id": 13, "is_bot": False, "first_name": "Vi"},
            "voice": {"file_id": "v1", "file_unique_id": "u1", "duration": 3},
        },
    }
    await bot.app.process_update(Update.de_json(update, bot.app.bot))
    assert "only read text" in await bot.last_text(13)


def test_help_lists_exactly_the_registered_commands() -> None:
    import re

    from bot import texts
    from bot.app import ADMIN_COMMANDS, FACILITATOR_COMMANDS, PARTICIPANT_COMMANDS
    from handlers import facilitator

    every_help = texts.HELP_PARTICIPANT + texts.HELP_FACILITATOR + texts.HELP_ADMIN
    helped = set(re.findall(r"(?<![<\w])/([a-z]+)", every_help))
    menus = {name for name, _ in PARTICIPANT_COMMANDS + FACILITATOR_COMMANDS + ADMIN_COMMANDS}
    console = set(facilitator.COMMANDS)
    assert console <= helped and console <= menus
    assert menus - {"help"} == helped  # /help needs no entry in its own list
