"""Tests for the local Telegram Bot API emulator, driven by a real python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import itertools
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import telegram
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from emulator import Emulator, EmulatorClient, EmulatorError
from emulator.html_parse import HTMLParseError, parse_html

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TOKEN = "123456:TEST-token"
USER = 1001
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x06\x00\x00\x00"
    + bytes(range(256)) * 4
)


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url
    ) as the_bot:
        yield the_bot


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label}") for label in labels]]
    )


# ------------------------------------------------------------------ basics
async def test_get_me_and_auth(emu: Emulator, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456 and me.is_bot and me.first_name == "circlebot"
    assert me.username == "circlebot_local_bot"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.root_url}/botnot-a-token/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{emu.base_url}{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert (await resp.json())["description"] == "Not Found: method not found"
        # case-insensitive method names and JSON bodies
        async with http.post(f"{emu.base_url}{TOKEN}/GETME", json={}) as resp:
            assert (await resp.json())["result"]["id"] == 123456
    with pytest.raises(telegram.error.InvalidToken):
        async with telegram.Bot("bad", base_url=emu.base_url) as bad_bot:
            await bad_bot.get_me()


async def test_unknown_chat_and_json_body(emu: Emulator, bot: telegram.Bot) -> None:
    with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
        await bot.send_message(42, "hi")
    await emu.add_user(42, first_name="Zed")
    async with aiohttp.ClientSession() as http:
        body = {
            "chat_id": 42,
            "text": "json body",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        }
        async with http.post(f"{emu.base_url}{TOKEN}/sendMessage", json=body) as resp:
            data = await resp.json()
    assert data["ok"] and data["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    assert (await emu.last_message(42))["text"] == "json body"  # type: ignore[index]


# ------------------------------------------------------- send / edit / callback
async def test_send_edit_press_answer_delete(emu: Emulator, bot: telegram.Bot) -> None:
    update = await emu.send_message(USER, "/start ref_42", first_name="Ann", username="ann")
    entity = update["message"]["entities"][0]
    assert entity == {"type": "bot_command", "offset": 0, "length": 6}
    [got] = await bot.get_updates()
    assert got.message.text == "/start ref_42" and got.message.chat.id == USER
    assert got.message.from_user.username == "ann"

    sent = await bot.send_message(
        USER, "Pick <b>one</b>", parse_mode="HTML", reply_markup=keyboard("Yes", "No")
    )
    assert sent.message_id == 2  # shared numbering with the user's message
    assert sent.text == "Pick one" and sent.entities[0].type == "bold"

    query_id = await emu.press(USER, sent.message_id, text="No")
    [cb_update] = await bot.get_updates(offset=got.update_id + 1)
    query = cb_update.callback_query
    assert query.id == query_id and query.data == "cb:No"
    assert query.message.message_id == sent.message_id
    assert query.message.reply_markup.inline_keyboard[0][1].text == "No"
    await query.answer("Noted", show_alert=True)
    answer = await emu.callback_answer(query_id)
    assert answer is not None and answer["text"] == "Noted" and answer["show_alert"] is True
    with pytest.raises(telegram.error.BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(EmulatorError):
        await emu.press(USER, sent.message_id, text="Maybe")

    edited = await bot.edit_message_text(
        "Picked: No", USER, sent.message_id, reply_markup=keyboard("Undo")
    )
    assert isinstance(edited, telegram.Message) and edited.edit_date is not None
    with pytest.raises(telegram.error.BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Picked: No", USER, sent.message_id, reply_markup=keyboard("Undo")
        )
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)
    with pytest.raises(telegram.error.BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)

    record = await emu.last_message(USER)
    assert record is not None and record["edited"] and record["text"] == "Picked: No"
    assert [h["text"] for h in record["edit_history"]] == ["Pick one", "Picked: No"]
    assert record["reply_markup"] is None

    assert await bot.delete_message(USER, sent.message_id)
    with pytest.raises(telegram.error.BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    with pytest.raises(telegram.error.BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("again", USER, sent.message_id)
    record = await emu.last_message(USER)
    assert record is not None and record["deleted"]
    everything = await emu.messages(USER, include_user=True)
    assert [m["from_bot"] for m in everything] == [False, True]


async def test_text_validation(emu: Emulator, bot: telegram.Bot) -> None:
    await emu.add_user(USER)
    with pytest.raises(telegram.error.BadRequest, match="Can't parse entities: unsupported"):
        await bot.send_message(USER, "a <foo>b</foo>", parse_mode="HTML")
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)can't find end tag"):
        await bot.send_message(USER, "<b>open", parse_mode="HTML")
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)unmatched end tag"):
        await bot.send_message(USER, "<b>x</i>", parse_mode="HTML")
    with pytest.raises(telegram.error.BadRequest, match="Message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(telegram.error.BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(telegram.error.BadRequest, match="Button_data_invalid"):
        await bot.send_message(
            USER,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("x", callback_data="d" * 65)]]
            ),
        )
    ok = await bot.send_message(USER, "x" * 4096)
    assert len(ok.text) == 4096
    assert await emu.messages(USER) != []


def test_html_parser_entities() -> None:
    text, entities = parse_html(
        '😀 <b>bold <i>both</i></b> &lt;tag&gt; <a href="https://e.x/?a=1&amp;b=2">link</a>'
        '<pre><code class="language-python">x</code></pre>'
    )
    assert text == "😀 bold both <tag> linkx"
    assert {"offset": 3, "length": 9, "type": "bold"} in entities  # UTF-16 offsets
    assert {"offset": 8, "length": 4, "type": "italic"} in entities
    assert {"offset": 19, "length": 4, "type": "text_link", "url": "https://e.x/?a=1&b=2"} in (
        entities
    )
    assert any(e.get("language") == "python" for e in entities)
    with pytest.raises(HTMLParseError, match="byte offset 4"):
        parse_html("😀<x>")


@given(st.text(max_size=200))
def test_html_escaped_text_round_trips(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert parse_html(escaped) == (text, [])


# ----------------------------------------------------------------- getUpdates
async def test_get_updates_offset_and_long_poll(emu: Emulator, bot: telegram.Bot) -> None:
    start = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - start >= 0.9

    async def inject_later() -> None:
        await asyncio.sleep(0.3)
        await emu.send_message(USER, "hello")

    task = asyncio.create_task(inject_later())
    start = time.monotonic()
    updates = await bot.get_updates(timeout=10)
    assert time.monotonic() - start < 5
    await task
    assert [u.message.text for u in updates] == ["hello"]

    await emu.send_message(USER, "two")
    await emu.send_message(USER, "three")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, limit=1)
    assert [u.message.text for u in updates] == ["two"]
    updates = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert [u.message.text for u in updates] == ["three"]
    assert len(await emu.pending_updates()) == 1
    await bot.get_updates(offset=updates[-1].update_id + 1)
    assert await emu.pending_updates() == []


# ---------------------------------------------------------------------- files
async def test_photo_and_document_round_trip(emu: Emulator, bot: telegram.Bot) -> None:
    await emu.add_user(USER)
    photo_msg = await bot.send_photo(USER, photo=PNG, caption="<i>chart</i>", parse_mode="HTML")
    assert photo_msg.caption == "chart"
    size = photo_msg.photo[-1]
    assert (size.width, size.height) == (2, 3)
    assert await emu.file_bytes(size.file_id) == PNG

    payload = b"col1,col2\n1,2\n" * 1000
    doc_msg = await bot.send_document(
        USER, document=io.BytesIO(payload), filename="export.csv", caption="Your data"
    )
    assert doc_msg.document.file_name == "export.csv"
    file = await bot.get_file(doc_msg.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload
    record = await emu.last_message(USER)
    assert record is not None and record["kind"] == "document"
    assert record["document"]["filename"] == "export.csv" and record["caption"] == "Your data"
    assert record["document"]["size"] == len(payload)

    again = await bot.send_document(USER, document=doc_msg.document.file_id)
    assert again.document.file_id == doc_msg.document.file_id
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(USER, document="nonsense-id")


# --------------------------------------------------------------------- faults
async def test_retry_after_and_server_errors(emu: Emulator, bot: telegram.Bot) -> None:
    await emu.add_user(USER)
    await emu.fail_next(1, status=429, retry_after=7)
    with pytest.raises(telegram.error.RetryAfter) as info:
        await bot.send_message(USER, "hi")
    assert seconds(info.value.retry_after) == 7
    await emu.fail_next(2, status=500, method="sendMessage")
    await bot.get_me()  # other methods unaffected
    for _ in range(2):
        with pytest.raises(telegram.error.NetworkError):
            await bot.send_message(USER, "hi")
    await emu.fail_next(1, status=502)
    with pytest.raises(telegram.error.NetworkError, match="Bad Gateway"):
        await bot.send_message(USER, "hi")
    await bot.send_message(USER, "finally")
    stats = await emu.stats()
    assert stats["count_429"] == 1 and stats["requests"]["sendMessage"] == 5
    assert len(await emu.messages(USER)) == 1


async def test_blocked_user(emu: Emulator, bot: telegram.Bot) -> None:
    await emu.send_message(USER, "/start")
    await emu.block_user(USER)
    with pytest.raises(telegram.error.Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "reminder")
    with pytest.raises(telegram.error.Forbidden):
        await bot.send_chat_action(USER, "typing")
    updates = await bot.get_updates()
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
    await emu.unblock_user(USER)
    await bot.send_message(USER, "welcome back")


async def test_down_and_delay(emu: Emulator, bot: telegram.Bot) -> None:
    await emu.set_down(True)
    with pytest.raises(telegram.error.NetworkError):
        await bot.get_me()
    await emu.set_down(True, mode="502")
    with pytest.raises(telegram.error.NetworkError):
        await bot.get_me()
    await emu.set_down(False)
    await emu.set_delay(0.4, method="getMe")
    start = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - start >= 0.35
    await emu.set_delay(0)
    await emu.set_delay(0, method="getMe")
    start = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - start < 0.3


async def test_rate_limits(emu: Emulator, bot: telegram.Bot) -> None:
    await emu.add_user(USER)
    await emu.add_user(USER + 1)
    await emu.send_message(USER, "hi in group", chat_id=-500)
    await bot.send_message(USER, "one")
    await bot.send_message(USER, "two")  # off by default
    await emu.set_rate_limit(global_per_second=2, per_chat_per_second=1, group_per_minute=3)
    await bot.send_message(USER, "three")
    with pytest.raises(telegram.error.RetryAfter) as info:
        await bot.send_message(USER, "four")
    assert seconds(info.value.retry_after) == 1
    await bot.send_message(USER + 1, "other chat")
    with pytest.raises(telegram.error.RetryAfter):  # global 2/s exceeded
        await bot.send_message(-500, "group")
    await asyncio.sleep(1.05)
    for i in range(3):
        await bot.send_message(-500, f"group {i}")
        await asyncio.sleep(1.01)
    with pytest.raises(telegram.error.RetryAfter) as info:
        await bot.send_message(-500, "group 4")
    assert 50 <= seconds(info.value.retry_after) <= 60
    times = await emu.send_times(-500)
    assert len(times) == 3 and all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    assert (await emu.stats())["count_429"] == 3
    group = next(c for c in await emu.chats() if c["chat_id"] == -500)
    assert group["type"] == "group" and group["member_ids"] == [USER]


# -------------------------------------------------------------------- webhook
async def test_webhook_delivery(emu: Emulator, bot: telegram.Bot) -> None:
    received: list[tuple[str | None, dict[str, object]]] = []
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        if fail_first[0]:
            fail_first[0] = False
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url == url
        with pytest.raises(telegram.error.Conflict):
            await bot.get_updates()
        await emu.send_message(USER, "via webhook")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.05)
        assert received[0][0] == "s3cret"
        assert received[0][1]["message"]["text"] == "via webhook"  # type: ignore[index]
        assert (await bot.get_webhook_info()).pending_update_count == 0
        assert await bot.delete_webhook()
        await emu.send_message(USER, "polled")
        assert [u.message.text for u in await bot.get_updates()] == ["polled"]
    finally:
        await runner.cleanup()


# ---------------------------------------------------------- commands & misc
async def test_commands_and_settings(emu: Emulator, bot: telegram.Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("help", "Help")])
    await bot.set_my_commands([("hilfe", "Hilfe")], language_code="de")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["hilfe"]
    assert [c["command"] for c in await emu.commands(language_code="de")] == ["hilfe"]
    with pytest.raises(telegram.error.BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Start", "bad")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.set_my_description("desc")
    assert await bot.set_my_short_description("short")
    assert (await bot.get_my_description()).description == "desc"
    await emu.add_user(USER)
    assert await bot.send_chat_action(USER, "typing")
    assert (await emu.chat_actions(USER))[0]["action"] == "typing"
    assert await bot.log_out() and await bot.close()


# --------------------------------------------------------- PTB Application
async def test_application_polling_end_to_end(emu: Emulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        payload = context.args[0] if context.args else "none"
        await update.effective_message.reply_text(
            f"Welcome! payload={payload}", reply_markup=keyboard("Join", "Later")
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text(f"You chose {query.data}")

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            await emu.send_message(USER, "/start abc", first_name="Ann")
            welcome = await emu.wait_for_message(USER, contains="Welcome", timeout=5)
            assert welcome["text"] == "Welcome! payload=abc"
            query_id = await emu.press(USER, welcome["message_id"], text="Join")
            edited = await emu.wait_for_message(USER, contains="You chose", timeout=5)
            assert edited["message_id"] == welcome["message_id"] and edited["edited"]
            assert (await emu.callback_answer(query_id))["text"] == "ok"  # type: ignore[index]
            with pytest.raises(TimeoutError):
                await emu.wait_for_message(USER, contains="never", timeout=0.2)
        finally:
            await app.updater.stop()
            await app.stop()


# ------------------------------------------------------------ HTTP control
async def test_http_control_client(emu: Emulator, bot: telegram.Bot) -> None:
    async with EmulatorClient(emu.root_url) as client:
        update = await client.send_message(USER, "/start", first_name="Bo")
        assert update["message"]["from"]["first_name"] == "Bo"
        [got] = await bot.get_updates()
        assert got.message.text == "/start"

        async def reply_later() -> None:
            await asyncio.sleep(0.2)
            await bot.send_message(USER, "first")
            await bot.send_photo(USER, PNG, caption="second", reply_markup=keyboard("Go"))

        task = asyncio.create_task(reply_later())
        msg = await client.wait_for_message(USER, predicate=lambda m: m["kind"] == "photo")
        await task
        assert msg["caption"] == "second"
        assert await client.file_bytes(msg["photo"]["file_id"]) == PNG
        first = await client.wait_for_message(USER, contains="first", timeout=2)
        assert first["message_id"] == 2
        with pytest.raises(TimeoutError):
            await client.wait_for_message(USER, contains="nope", timeout=0.3)

        query_id = await client.press(USER, msg["message_id"], text="Go")
        updates = await bot.get_updates(offset=got.update_id + 1)
        await updates[0].callback_query.answer("done")
        assert (await client.callback_answers(query_id))[0]["text"] == "done"
        assert len(await client.messages(USER)) == 2
        assert (await client.last_message(USER))["kind"] == "photo"  # type: ignore[index]
        assert [c["chat_id"] for c in await client.chats()] == [USER]

        await client.fail_next(1, status=429, retry_after=2)
        with pytest.raises(telegram.error.RetryAfter):
            await bot.send_message(USER, "x")
        await client.block_user(USER, notify=False)
        with pytest.raises(telegram.error.Forbidden):
            await bot.send_message(USER, "x")
        await client.unblock_user(USER, notify=False)
        await client.set_rate_limit(per_chat_per_second=1)
        await bot.send_message(USER, "ok")
        with pytest.raises(telegram.error.RetryAfter):
            await bot.send_message(USER, "too fast")
        stats = await client.stats()
        assert stats["count_429"] == 2 and stats["requests"]["sendPhoto"] == 1
        assert len(await client.send_times(USER)) == 3

        events = await client.events()
        kinds = [e["type"] for e in events["events"]]
        assert kinds[:2] == ["user_message", "bot_message"] and "callback_answer" in kinds
        with pytest.raises(EmulatorError):
            await client.press_button(USER, 999, "x")

        await client.reset()
        assert await client.chats() == [] and (await client.stats())["count_429"] == 0


async def test_sse_events_stream(emu: Emulator, bot: telegram.Bot) -> None:
    await emu.add_user(USER)
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{emu.root_url}/_control/events", headers={"Accept": "text/event-stream"}
        ) as resp:
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            await bot.send_message(USER, "streamed")
            data = None
            async for raw in resp.content:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    data = json.loads(line[5:])
                    break
    assert data is not None and data["type"] == "bot_message"
    assert data["message"]["text"] == "streamed"


# --------------------------------------------------------------------- CLI
async def test_cli_process() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode().strip()
        assert line.startswith("EMULATOR_READY http://127.0.0.1:")
        root = line.split()[-1]
        async with EmulatorClient(root) as client:
            await client.send_message(USER, "hi")
            async with telegram.Bot(TOKEN, base_url=client.base_url) as the_bot:
                [_update] = await the_bot.get_updates()
                await the_bot.send_message(USER, "pong")
            assert (await client.last_message(USER))["text"] == "pong"  # type: ignore[index]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
