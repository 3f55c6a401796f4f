"""End to end with the real bot process and the emulator process: admin link -> facilitator ->
group with weekly rule and one-off -> two participants join (one needs approval) ->
announcement report "2 delivered" -> one blocks the bot -> "1 delivered, 1 blocked" ->
/members lists them as unreachable -> /report answers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from emulator.client import EmulatorClient
from tests.e2e.processes import running_processes

pytestmark = pytest.mark.e2e
ADMIN, FAC, ANN, BOB = 900, 10, 21, 22
WAIT = 15.0


async def say(emu: EmulatorClient, uid: int, text: str, expect: str, name: str = "Fay") -> Any:
    """Send text and wait for a bot answer containing `expect`."""
    await emu.send_message(uid, text, first_name=name)
    return await emu.wait_for_message(uid, contains=expect, timeout=WAIT)


async def tap(emu: EmulatorClient, uid: int, label: str, expect: str) -> Any:
    """Press the newest button with this label and wait for an answer containing `expect`."""
    for message in reversed(await emu.messages(uid)):
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        if any(label in str(b.get("text")) for row in rows for b in row):
            await emu.press(uid, message["message_id"], label)
            return await emu.wait_for_message(uid, contains=expect, timeout=WAIT)
    raise AssertionError(f"no button {label!r} in chat {uid}")


async def onboard(emu: EmulatorClient, uid: int, name: str, start: str = "/start") -> None:
    """Consent, zone, time, visibility."""
    await say(emu, uid, start, "Is it okay", name)
    await tap(emu, uid, "Yes, I agree", "time zone")
    await say(emu, uid, "Europe/Berlin", "check-in", name)
    await say(emu, uid, "20:00", "okay with you", name)
    await tap(emu, uid, "Yes, that's okay", "all set")


async def test_facilitator_story_end_to_end(tmp_path: Path) -> None:
    async with running_processes(tmp_path, {"PLANNER_INTERVAL_SECONDS": "0.5"}) as (emu, bot):
        link = await say(emu, ADMIN, "/addfacilitator", "facilitator link", "Ada")
        token = re.search(r"start=fac_([A-Za-z0-9_-]+)", link["text"])
        assert token
        await onboard(emu, FAC, "Fay", f"/start fac_{token.group(1)}")
        await emu.wait_for_message(FAC, contains="You're now a facilitator", timeout=WAIT)

        await say(emu, FAC, "/newgroup", "What is it called")
        await say(emu, FAC, "Tuesday circle", "time zone")
        await tap(emu, FAC, "Use Europe/Berlin", "When does the group meet")
        await tap(emu, FAC, "Weekly schedule", "On which days")
        await say(emu, FAC, "Mon, Thu", "local time")
        await say(emu, FAC, "18:30", "How long")
        await say(emu, FAC, "90 min", "Anything else")
        await tap(emu, FAC, "One-off session", "When is the session")
        await say(emu, FAC, "tomorrow 18:00", "How long")
        await say(emu, FAC, "60", "Anything else")
        await tap(emu, FAC, "That's all", "reminders")
        await tap(emu, FAC, "24 h and 1 h before", "approve each person")
        created = await tap(emu, FAC, "No, the link is enough", "is ready")
        join = re.search(r"start=join_([A-Za-z0-9_-]+)", created["text"])
        assert join

        await onboard(emu, ANN, "Ann")
        await say(emu, ANN, f"/join {join.group(1)}", "Tuesday circle", "Ann")
        await say(emu, FAC, "/invite", "Invite for")
        await tap(emu, FAC, "Approval is off", "you approve each person")
        await onboard(emu, BOB, "Bob")
        await say(emu, BOB, f"/join {join.group(1)}", "Tuesday circle", "Bob")
        await say(emu, FAC, "/members", "Waiting for approval (1)")
        await tap(emu, FAC, "✅ Bob", "Bob is now a member")
        await emu.wait_for_message(BOB, contains="You're now a member", timeout=WAIT)

        await say(emu, FAC, "/announce", "Who should get")
        await tap(emu, FAC, "Tuesday circle", "Write the announcement")
        await say(emu, FAC, "See you on Monday 🌿", "📣 Tuesday circle")
        await tap(emu, FAC, "Send now", "Announcement to")
        await emu.wait_for_message(FAC, contains="2 delivered", timeout=WAIT)
        for uid in (ANN, BOB):
            await emu.wait_for_message(uid, contains="See you on Monday", timeout=WAIT)

        await emu.block_user(BOB)
        await say(emu, FAC, "/announce", "Who should get")
        await tap(emu, FAC, "Tuesday circle", "Write the announcement")
        await say(emu, FAC, "Room change", "📣 Tuesday circle")
        await tap(emu, FAC, "Send now", "Announcement to")
        report = await emu.wait_for_message(FAC, contains="1 blocked the bot", timeout=WAIT)
        assert "1 delivered" in report["text"]

        members = await say(emu, FAC, "/members", "Unreachable (1)")
        assert "Bob" in members["text"].split("Unreachable (1)")[1]
        await say(emu, FAC, "/report", "which period")
        await tap(emu, FAC, "Last 7 days", "need at least 5 contributors")
        assert "Traceback" not in bot.log_text()
