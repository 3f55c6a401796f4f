"""End to end: the real bot process (`python -m bot run`, long polling) against the real
emulator process (`python -m emulator --port 0`): deep-link join, check-in, mood history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from emulator.client import EmulatorClient
from storage.db import make_engine, make_sessionmaker
from storage.models import InviteKind
from storage.repositories.invites import create_invite
from tests.e2e.processes import running_processes

pytestmark = pytest.mark.e2e
UID = 4242


async def _say(client: EmulatorClient, text_: str, contains: str, **kw: Any) -> dict[str, Any]:
    before = await client.messages(UID, include_user=True)
    after = max((m["message_id"] for m in before), default=0)
    await client.send_message(UID, text_, first_name="Eve", **kw)
    return await client.wait_for_message(UID, contains=contains, after_message_id=after,
                                         timeout=30)


async def _tap(client: EmulatorClient, label: str, contains: str) -> dict[str, Any]:
    messages = await client.messages(UID, include_user=True)
    after = max(m["message_id"] for m in messages)
    target = next(
        m for m in reversed(messages)
        if m["from_bot"] and any(label in b.get("text", "") for row in
                                 (m.get("reply_markup") or {}).get("inline_keyboard", [])
                                 for b in row)
    )
    await client.press(UID, target["message_id"], label)
    return await client.wait_for_message(UID, contains=contains, after_message_id=after,
                                         timeout=30)


async def _seed_group(database_url: str) -> str:
    """A group with a join invite, written into the bot's own database."""
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                text(
                    "INSERT INTO groups (name, timezone, approval_required, reminder_offsets,"
                    " digest_offset_minutes, who5_enabled, created_by, created_at)"
                    " VALUES ('E2E Circle', 'Europe/Berlin', 0, '[1440, 60]', 120, 0, 900, :now)"
                ),
                {"now": now.replace(tzinfo=None)},
            )
            group_id = (await session.execute(text("SELECT max(id) FROM groups"))).scalar_one()
            invite = await create_invite(session, InviteKind.JOIN, group_id, 900, now)
            return invite.token
    finally:
        await engine.dispose()


async def test_join_checkin_and_mood_with_real_processes(tmp_path: Path) -> None:
    async with running_processes(tmp_path, {"LOG_LEVEL": "WARNING"}) as (client, bot):
        # The first answer proves the bot polls and has migrated its database.
        await _say(client, "/privacy", "Your privacy")
        token = await _seed_group(bot.database_url)
        await _say(client, f"/start join_{token}", "not an emergency service")
        await _tap(client, "Yes, I agree", "time zone")
        await _say(client, "Europe/Berlin", "daily check-in")
        await _say(client, "20:00", "Is that okay")
        await _tap(client, "Yes, that's okay", "Welcome to E2E Circle")
        await _say(client, "/checkin", "How are you feeling")
        await _tap(client, "4 🙂", "Which feelings")
        await _tap(client, "calm", "")  # the keyboard is edited in place
        await _tap(client, "Done", "short note")
        done = await _say(client, "A quiet day", "Thank you for checking in")
        assert "calm" in done["text"]
        mood = await _say(client, "/mood", "checked in 1 time")
        assert "Good" in mood["text"]
