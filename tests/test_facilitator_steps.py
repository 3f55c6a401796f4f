"""Steps shared by the facilitator tests: enrol a facilitator, create a group, join it."""

from __future__ import annotations

import re

from tests.harness import BotHarness

ADMIN = 900
FAC = 10


def link_payload(text: str, prefix: str) -> str:
    """The token of a `?start=<prefix><token>` link in a message."""
    match = re.search(rf"start={prefix}([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def enrol_facilitator(h: BotHarness, user_id: int = FAC, name: str = "Fay") -> None:
    """Admin link -> onboarding that carries the payload -> facilitator."""
    replies = await h.send(ADMIN, "/addfacilitator")
    token = link_payload(replies[-1]["text"], "fac_")
    await h.send(user_id, f"/start fac_{token}", first_name=name)
    await h.press(user_id, "Yes, I agree")
    await h.send(user_id, "Europe/Berlin")
    await h.send(user_id, "20:00")
    replies = await h.press(user_id, "Yes, that's okay")
    assert "You're now a facilitator" in replies[-1]["text"], replies


async def create_group(
    h: BotHarness,
    user_id: int = FAC,
    name: str = "Tuesday circle",
    *,
    weekly: bool = True,
    one_off: str | None = "2026-03-20 18:00",
    approval: bool = False,
) -> str:
    """Run /newgroup to the end; returns the join token."""
    await h.send(user_id, "/newgroup")
    await h.send(user_id, name)
    await h.press(user_id, "Use Europe/Berlin")
    if weekly:
        await h.press(user_id, "Weekly schedule")
        await h.send(user_id, "Mon, Thu")
        await h.send(user_id, "18:30")
        await h.send(user_id, "90 min")
    if one_off:
        await h.press(user_id, "One-off session")
        await h.send(user_id, one_off)
        await h.send(user_id, "60")
    await h.press(user_id, "None yet" if not (weekly or one_off) else "That's all")
    await h.press(user_id, "24 h and 1 h before")
    replies = await h.press(
        user_id, "Yes, I approve each person" if approval else "No, the link is enough"
    )
    text = replies[-1]["text"]
    assert "is ready" in text, text
    return link_payload(text, "join_")


async def join(h: BotHarness, user_id: int, token: str, name: str, visible: bool = True) -> str:
    """Onboard and join with the code; returns the bot's answer."""
    await h.onboard(user_id, first_name=name, visible=visible)
    replies = await h.send(user_id, f"/join {token}", first_name=name)
    return str(replies[-1]["text"])
