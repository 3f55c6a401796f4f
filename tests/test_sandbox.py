"""The sandbox without a browser: demo data, the page's API over the real emulator and bot,
the clock control, and that nothing is left behind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import build_parser
from bot.crypto import TextCipher
from bot.sandbox import demo, timetravel
from bot.sandbox.runtime import Sandbox, SandboxOptions, banner
from bot.sandbox.server import deep_link_to_command
from bot.timeutil import local_date
from storage.db import make_sessionmaker
from storage.models import CheckIn, Group, Membership, Role, SessionOccurrence, SessionRule
from storage.repositories.invites import find_invite, invite_problem

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A running sandbox on a free port, state in a temporary folder of its own."""
    box = Sandbox(SandboxOptions(port=0, open_browser=False))
    await box.start()
    try:
        yield box
    finally:
        await box.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for the page's API."""
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    """POST JSON, return the decoded answer (any status)."""
    async with http.post(url, json=body) as response:
        return response.status, await response.json()


async def seeded(engine: AsyncEngine) -> demo.DemoInfo:
    """Demo data written into an empty database at NOW."""
    cipher = TextCipher(b"0" * 43 + b"=")
    async with make_sessionmaker(engine)() as session, session.begin():
        return await demo.seed_demo(session, NOW, cipher, "circlebot_local_bot")


async def test_demo_data_is_a_group_with_three_weeks_of_history(sqlite_engine: AsyncEngine) -> None:
    info = await seeded(sqlite_engine)
    async with make_sessionmaker(sqlite_engine)() as session:
        roles = (await session.execute(select(Membership.role))).scalars().all()
        assert sorted(roles).count(Role.PARTICIPANT) == len(demo.MEMBERS) >= 5
        assert roles.count(Role.FACILITATOR) == 1
        checkins = (await session.execute(select(CheckIn))).scalars().all()
        days = {c.local_date for c in checkins}
        today = local_date(NOW, demo.DEMO_ZONE)
        assert min(days) == today - timedelta(days=demo.HISTORY_DAYS)
        assert today not in days  # today's check-in is left for the visitor
        assert len(checkins) > len(demo.MEMBERS) * demo.HISTORY_DAYS // 2
        assert all(1 <= c.mood <= 5 for c in checkins)
        invite = await find_invite(session, info.join_token)
        assert invite is not None and invite.group_id == info.group_id
        assert invite_problem(invite, NOW) is None
        occurrences = (
            (await session.execute(select(SessionOccurrence).order_by(SessionOccurrence.starts_at)))
            .scalars()
            .all()
        )
        one_offs = [o for o in occurrences if o.rule_id is None]
        weekly = [o for o in occurrences if o.rule_id is not None]
        assert len(one_offs) == 1 and one_offs[0].starts_at > NOW
        # 18:30 in Berlin (UTC+1 in March) two days from today, then every week
        assert weekly[0].starts_at == NOW.replace(hour=17, minute=30) + timedelta(days=2)
        assert weekly[1].starts_at - weekly[0].starts_at == timedelta(days=7)
        assert all(o.next_reminder_at is not None for o in occurrences)
        assert (await session.execute(select(SessionRule))).scalar_one().active
        again = await demo.load_demo_info(session, "circlebot_local_bot")
    assert again.join_token == info.join_token
    assert {p.key for p in info.personas} == {"participant", "facilitator", "newcomer", "admin"}
    newcomer = next(p for p in info.personas if p.key == "newcomer")
    assert demo.join_link("circlebot_local_bot", info.join_token) in newcomer.hint


async def test_clock_targets_come_from_the_schedule(sqlite_engine: AsyncEngine) -> None:
    await seeded(sqlite_engine)
    async with make_sessionmaker(sqlite_engine)() as session:
        reminder = await timetravel.next_session_reminder(session, NOW)
        start = await timetravel.next_session_start(session, NOW)
        prompt = await timetravel.next_checkin_prompt(session, NOW)
        maya = await timetravel.next_checkin_prompt(session, NOW, [demo.PARTICIPANT_ID])
    weekly = NOW.replace(hour=17, minute=30) + timedelta(days=2)
    assert start == weekly
    assert reminder == weekly - timedelta(hours=24)  # the default 24 h reminder comes first
    assert prompt == NOW.replace(hour=18, minute=30)  # Lena: 19:30 Berlin, the first one left today
    assert maya == NOW.replace(hour=19)  # Maya checks in at 20:00 Berlin time


def test_a_pasted_join_link_becomes_start_with_its_payload() -> None:
    link = "https://t.me/circlebot_local_bot?start=join_abc-DEF_1"
    assert deep_link_to_command(link, "circlebot_local_bot") == "/start join_abc-DEF_1"
    assert deep_link_to_command("t.me/CircleBot_Local_Bot?start=x", "circlebot_local_bot") == (
        "/start x"
    )
    assert deep_link_to_command("https://t.me/other_bot?start=x", "circlebot_local_bot") == (
        "https://t.me/other_bot?start=x"
    )
    assert deep_link_to_command("hello", "circlebot_local_bot") == "hello"


def test_cli_has_the_sandbox_subcommand() -> None:
    args = build_parser().parse_args(["sandbox", "--port", "9999", "--keep", "x", "--no-browser"])
    assert (args.port, args.keep, args.no_browser) == (9999, "x", True)
    defaults = build_parser().parse_args(["sandbox"])
    assert (defaults.port, defaults.keep, defaults.no_browser) == (8080, None, False)


async def read_events(
    http: aiohttp.ClientSession, url: str, want: int, timeout: float = 10
) -> list[dict[str, Any]]:
    """Read server-sent events until `want` of them arrived."""
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout), http.get(url) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        async for line in response.content:
            if line.startswith(b"data: "):
                found.append(json.loads(line[6:]))
                if len(found) >= want:
                    break
    return found


async def test_the_page_drives_the_real_bot(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    base = sandbox.url
    assert base.startswith("http://127.0.0.1:")
    async with http.get(base) as response:
        page = await response.text()
        assert "SANDBOX" in page and "/static/app.js" in page
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    for name in ("app.js", "style.css"):
        async with http.get(f"{base}static/{name}") as response:
            assert response.status == 200
    async with http.get(f"{base}static/..%2Fserver.py") as response:
        assert response.status == 404
    async with http.get(f"{base}api/state") as response:
        state = await response.json()
    assert [p["key"] for p in state["personas"]] == [
        "participant",
        "facilitator",
        "newcomer",
        "admin",
    ]
    assert state["join_link"].startswith("https://t.me/circlebot_local_bot?start=join_")
    assert state["bot"]["username"] == "circlebot_local_bot"

    # Alex pastes the join link: the bot gets `/start join_...` and answers with onboarding.
    events = asyncio.create_task(read_events(http, f"{base}api/events?after=0", want=2))
    status, sent = await post(
        http, f"{base}api/send", {"user_id": demo.NEWCOMER_ID, "text": state["join_link"]}
    )
    assert status == 200 and sent["ok"]
    welcome = await sandbox.emu.wait_for_message(demo.NEWCOMER_ID, timeout=10)
    assert welcome["reply_markup"]["inline_keyboard"]
    streamed = await events
    assert [e["type"] for e in streamed] == ["user_message", "bot_message"]
    assert streamed[0]["message"]["text"].startswith("/start join_")
    assert "sandbox_ms" in streamed[1]["message"]

    async with http.get(f"{base}api/messages?user_id={demo.NEWCOMER_ID}") as response:
        chat = (await response.json())["messages"]
    assert [m["from_bot"] for m in chat] == [False, True]

    # Pressing the consent button moves onboarding on (the bot edits or sends the next step).
    agree = next(
        b
        for row in welcome["reply_markup"]["inline_keyboard"]
        for b in row
        if "agree" in b["text"].lower()
    )
    status, pressed = await post(
        http,
        f"{base}api/press",
        {
            "user_id": demo.NEWCOMER_ID,
            "message_id": welcome["message_id"],
            "data": agree["callback_data"],
        },
    )
    assert status == 200 and pressed["callback_query_id"]
    await sandbox.emu.wait_for_message(demo.NEWCOMER_ID, contains="time zone", timeout=10)
    answer = await sandbox.emu.callback_answer(pressed["callback_query_id"])
    assert answer is not None and answer["answered_at"]


async def test_the_api_refuses_what_the_page_never_sends(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    base = sandbox.url
    async with http.post(f"{base}api/send", data={"user_id": "1001", "text": "hi"}) as response:
        assert response.status == 415  # a plain form from another site cannot drive it
    status, body = await post(http, f"{base}api/send", {"user_id": 4242, "text": "hi"})
    assert status == 404 and body["ok"] is False
    status, body = await post(
        http, f"{base}api/send", {"user_id": demo.PARTICIPANT_ID, "text": " "}
    )
    assert status == 400
    status, body = await post(
        http, f"{base}api/press", {"user_id": demo.PARTICIPANT_ID, "message_id": 999, "data": "x"}
    )
    assert status == 404
    status, body = await post(http, f"{base}api/clock", {"action": "backwards"})
    assert status == 400
    status, body = await post(http, f"{base}api/clock", {"action": "hours", "hours": -1})
    assert status == 400
    async with http.get(f"{base}api/file/nope") as response:
        assert response.status == 404
    # A page left open across a sandbox restart is told to reload (its event ids are stale).
    async with asyncio.timeout(5), http.get(f"{base}api/events?after=99999") as response:
        assert "event: reload" in await response.text()


async def test_moving_the_clock_moves_the_bots_time(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    base = sandbox.url
    before = sandbox.clock.now()
    status, body = await post(http, f"{base}api/clock", {"action": "hours", "hours": 3})
    assert status == 200 and body["jumped"]
    assert timedelta(hours=3) <= sandbox.clock.now() - before < timedelta(hours=3, minutes=1)

    engine = sandbox.engine
    assert engine is not None
    async with make_sessionmaker(engine)() as session:
        expected = await timetravel.next_session_reminder(session, sandbox.clock.now())
    assert expected is not None
    status, body = await post(http, f"{base}api/clock", {"action": "reminder"})
    assert status == 200 and body["jumped"]
    landed = datetime.fromisoformat(body["now"])
    assert expected < landed <= expected + timetravel.LANDING + timedelta(seconds=5)
    async with http.get(f"{base}api/clock") as response:
        clock = await response.json()
    assert clock["offset_seconds"] == pytest.approx(sandbox.clock.offset.total_seconds())
    assert clock["zone"] == demo.DEMO_ZONE

    status, body = await post(http, f"{base}api/clock", {"action": "checkin"})
    assert status == 200 and body["jumped"]
    # A message sent now carries the sandbox time, not the real one.
    await post(http, f"{base}api/send", {"user_id": demo.PARTICIPANT_ID, "text": "/help"})
    async with http.get(f"{base}api/messages?user_id={demo.PARTICIPANT_ID}") as response:
        chat = (await response.json())["messages"]
    mine = next(m for m in chat if not m["from_bot"] and m["text"] == "/help")
    assert abs(mine["sandbox_ms"] / 1000 - sandbox.clock.now().timestamp()) < 30


async def test_stopping_leaves_nothing_behind() -> None:
    box = Sandbox(SandboxOptions(port=0, open_browser=False))
    await box.start()
    folder = box.data_dir
    assert folder is not None and (folder / "circlebot.sqlite3").exists()
    assert "SANDBOX" in banner(box) and box.url in banner(box)
    await box.stop()
    assert not folder.exists()


async def test_keep_reuses_the_same_state(tmp_path: Path) -> None:
    folder = tmp_path / "kept"
    first = Sandbox(SandboxOptions(port=0, open_browser=False, keep=folder))
    await first.start()
    token = first.info.join_token if first.info else ""
    await first.stop()
    assert (folder / "circlebot.sqlite3").exists()
    second = Sandbox(SandboxOptions(port=0, open_browser=False, keep=folder))
    await second.start()
    try:
        assert second.info is not None and second.info.join_token == token
        assert second.engine is not None
        async with make_sessionmaker(second.engine)() as session:
            groups = await session.scalar(select(func.count()).select_from(Group))
        assert groups == 1  # not seeded twice
        assert "kept in" in banner(second)
    finally:
        await second.stop()
    assert folder.exists()


async def test_a_busy_default_port_falls_back_to_a_free_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    from bot.sandbox import runtime

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setattr(runtime, "DEFAULT_PORT", busy)
        box = Sandbox(SandboxOptions(port=busy, open_browser=False))
        await box.start()
        try:
            assert not box.url.endswith(f":{busy}/")
            assert "busy" in banner(box)
        finally:
            await box.stop()
        explicit = Sandbox(SandboxOptions(port=busy, open_browser=False))
        monkeypatch.setattr(runtime, "DEFAULT_PORT", 8080)
        with pytest.raises(OSError):
            await explicit.start()  # a port asked for explicitly is not silently replaced
        await explicit.stop()
