"""Guards around every flow: stale flows, commands ending flows, edits, captions, group chats,
webhook processing, and error logs without personal data."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.webhook import PATH, SECRET_HEADER, build_webhook_app
from storage.models import Alert
from storage.repositories.flows import get_flow
from tests.harness import BotHarness, count_rows

RISKY = "I want to kill myself"


def raw_message(user_id: int, *, update_id: int, edited: bool = False, **fields: Any) -> dict:
    """A private-chat update Telegram could send, built by hand for kinds the emulator lacks."""
    message = {
        "message_id": 500 + update_id,
        "date": 1_700_000_000,
        "chat": {"id": user_id, "type": "private", "first_name": "Ann"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
        **fields,
    }
    if edited:
        message["edit_date"] = 1_700_000_100
    return {"update_id": update_id, "edited_message" if edited else "message": message}


async def process(bot: BotHarness, update: dict) -> None:
    await bot.app.process_update(Update.de_json(update, bot.app.bot))


async def test_a_flow_left_long_ago_does_not_swallow_new_text(bot: BotHarness) -> None:
    await bot.onboard(1)
    await bot.send(1, "/join")
    async with bot.db() as session:
        assert (await get_flow(session, 1)) is not None
    bot.clock.advance(timedelta(hours=2))
    replies = await bot.send(1, "my sister called me today")
    assert "closed it" in replies[-1]["text"]
    async with bot.db() as session:
        assert await get_flow(session, 1) is None


async def test_a_new_command_ends_the_flow_in_progress(bot: BotHarness) -> None:
    await bot.onboard(2)
    await bot.send(2, "/join")
    await bot.send(2, "/privacy")  # does not end it
    async with bot.db() as session:
        assert (await get_flow(session, 2)) is not None
    await bot.send(2, "/mood")
    async with bot.db() as session:
        assert await get_flow(session, 2) is None
    replies = await bot.send(2, "abc")
    assert "not sure what to do" in replies[-1]["text"]


async def test_start_does_not_end_onboarding(bot: BotHarness) -> None:
    await bot.send(3, "/start join_abc")
    await bot.press(3, "Yes, I agree")
    await bot.send(3, "/start")
    async with bot.db() as session:
        state = await get_flow(session, 3)
    assert state is not None and state.data == {"payload": "join_abc"}


async def test_an_edited_message_is_not_run_again_but_is_screened(bot: BotHarness) -> None:
    await bot.onboard(4)
    before = len(await bot.emu.messages(4))
    await process(bot, raw_message(4, update_id=9001, edited=True, text="/forget"))
    assert len(await bot.emu.messages(4)) == before
    await process(bot, raw_message(4, update_id=9002, edited=True, text=RISKY))
    assert "emergency" in await bot.last_text(4)
    async with bot.db() as session:
        assert await count_rows(session, Alert) == 1


async def test_a_risky_photo_caption_gets_resources(bot: BotHarness) -> None:
    await bot.onboard(5)
    photo = [{"file_id": "p", "file_unique_id": "pu", "width": 10, "height": 10}]
    await process(bot, raw_message(5, update_id=9003, photo=photo, caption=RISKY))
    assert "emergency" in await bot.last_text(5)
    await process(bot, raw_message(5, update_id=9004, photo=photo, caption="my cat"))
    assert "only read text" in await bot.last_text(5)


async def test_group_chat_answers_only_commands_and_mentions_of_the_bot(bot: BotHarness) -> None:
    assert await bot.send(6, "hi @someone_else", chat_id=-200) == []
    username = bot.app.bot.username
    replies = await bot.send(6, f"hi @{username}", chat_id=-200)
    assert "private" in replies[0]["text"]


async def test_webhook_answers_only_after_the_update_was_handled(bot: BotHarness) -> None:
    update = await bot.emu.send_message(7, "/sos", first_name="Wen")
    server = TestServer(build_webhook_app(bot.app, "abc_123"))
    async with TestClient(server) as client:
        refused = await client.post(PATH, json=update, headers={SECRET_HEADER: "abc_124"})
        assert refused.status == 403
        assert await bot.emu.messages(7) == []
        ok = await client.post(PATH, json=update, headers={SECRET_HEADER: "abc_123"})
        assert ok.status == 200
        assert "emergency" in await bot.last_text(7)  # already sent when 200 came back


async def test_error_log_names_the_place_not_the_values(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    secret_words = "my secret diary entry"

    def explode(*_: Any) -> None:
        raise ValueError(secret_words)

    bot.app.add_handler(MessageHandler(filters.Regex("^kaboom$"), explode), group=-10)
    caplog.set_level(logging.INFO)
    replies = await bot.send(8, "kaboom")
    assert "ValueError at" in caplog.text and "explode" in caplog.text
    assert secret_words not in caplog.text
    assert any("something went wrong on my side" in r["text"] for r in replies)


async def test_menus_per_scope(bot: BotHarness) -> None:
    default = [c["command"] for c in await bot.emu.commands({"type": "default"})]
    groups = [c["command"] for c in await bot.emu.commands({"type": "all_group_chats"})]
    admin = [c["command"] for c in await bot.emu.commands({"type": "chat", "chat_id": 900})]
    assert "checkin" in default and "announce" not in default
    assert groups == ["sos"]
    assert {"addfacilitator", "announce", "checkin"} <= set(admin)
