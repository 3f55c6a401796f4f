"""End to end: the real bot process against the emulator process completes onboarding, and the
choices are in the database, also after a restart (issue 2)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import pytest

from emulator.client import EmulatorClient
from storage.db import make_engine, make_sessionmaker
from storage.repositories.users import get_user
from tests.e2e.processes import running_processes

pytestmark = pytest.mark.e2e
UID = 5151


async def _press(emu: EmulatorClient, label: str, expect: str) -> dict[str, Any]:
    message = await emu.last_message(UID)
    assert message is not None
    await emu.press(UID, message["message_id"], label)
    return await emu.wait_for_message(UID, contains=expect, timeout=15)


async def _user(url: str) -> Any:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await get_user(session, UID)
    finally:
        await engine.dispose()


async def test_onboarding_against_the_real_process_survives_restart(tmp_path: Path) -> None:
    async with running_processes(tmp_path) as (emu, bot):
        await emu.send_message(UID, "/start", first_name="Noor")
        await emu.wait_for_message(UID, contains="not an emergency service", timeout=15)
        await _press(emu, "Yes, I agree", "time zone")
        await emu.send_message(UID, "America/New York")
        await emu.wait_for_message(UID, contains="America/New_York", timeout=15)
        await emu.send_message(UID, "7:45am")
        await emu.wait_for_message(UID, contains="07:45", timeout=15)
        await _press(emu, "Yes, that's okay", "all set")

        user = await _user(bot.database_url)
        assert user.timezone == "America/New_York"
        assert user.checkin_time == time(7, 45)

        await bot.restart()
        user = await _user(bot.database_url)
        assert user.timezone == "America/New_York" and user.checkin_time == time(7, 45)
        await emu.send_message(UID, "/start")
        await emu.wait_for_message(UID, contains="Welcome back", timeout=15)
        assert "123456:E2E" not in bot.log_text()
