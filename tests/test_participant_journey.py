"""The whole participant journey: onboarding → deep-link join → check-in → /mood → /settings →
/export → /forget, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, time, timedelta

from storage.models import CheckIn, Membership, MemberStatus, User
from storage.repositories.checkins import get_checkin
from storage.repositories.users import get_user
from tests.harness import BotHarness
from tests.test_participant_support import (
    APOLOGY,
    make_group,
    rows_mentioning,
    table_counts,
    texts_of,
)

UID = 777123456


async def test_full_participant_journey(any_bot: BotHarness) -> None:
    h = any_bot
    group_id, token = await make_group(h, "Tuesday <Circle>")

    # Onboarding with the invite payload carried through consent.
    replies = await h.send(UID, f"/start join_{token}", first_name="Mia")
    assert "not an emergency service" in replies[0]["text"]
    await h.press(UID, "Yes, I agree")
    await h.send(UID, "Europe/Berlin")
    await h.send(UID, "20:00")
    replies = await h.press(UID, "Yes, that's okay")
    joined = texts_of(replies)
    assert "all set" in joined and "Welcome to Tuesday <Circle>" in joined

    async with h.db() as session:
        user = await get_user(session, UID)
        assert user is not None and user.is_onboarded
        member = await session.get(Membership, 2)  # the facilitator's is 1
        assert member is not None and member.user_id == UID
        assert member.status == MemberStatus.ACTIVE and member.group_id == group_id

    # Check-in with two feelings and a note.
    replies = await h.send(UID, "/checkin")
    assert "How are you feeling" in replies[-1]["text"]
    await h.press(UID, "4 🙂")
    await h.press(UID, "calm")
    await h.press(UID, "hopeful")
    await h.press(UID, "Done")
    replies = await h.send(UID, "Walked by the <river> today")
    text = texts_of(replies)
    assert "Thank you for checking in" in text and "calm, hopeful" in text
    today = date(2026, 3, 2)
    async with h.db() as session:
        checkin = await get_checkin(session, UID, today)
        assert checkin is not None and checkin.mood == 4
        assert checkin.tags == ["calm", "hopeful"]
        assert checkin.note_enc is not None and b"river" not in checkin.note_enc
        assert h.services.cipher.decrypt(checkin.note_enc) == "Walked by the <river> today"

    # A second day, so /mood draws a chart.
    h.clock.advance(timedelta(hours=24))
    await h.send(UID, "/checkin")
    await h.press(UID, "2 🙁")
    await h.press(UID, "Done")
    replies = await h.press(UID, "Skip")
    # A low mood gets a calm confirmation: no streak, no cheerful "see you tomorrow".
    assert "Your check-in is saved" in texts_of(replies)
    assert "2 days" not in texts_of(replies) and "tomorrow" not in texts_of(replies)
    replies = await h.send(UID, "/mood")
    assert replies[-1]["kind"] == "photo"
    assert "average 3.0" in replies[-1]["caption"]
    assert (await h.emu.file_bytes(replies[-1]["photo"]["file_id"]))[:4] == b"\x89PNG"

    # Settings: a new time zone takes effect for the next prompt.
    await h.send(UID, "/settings")
    await h.press(UID, "Time zone")
    replies = await h.send(UID, "Asia/Tokyo")
    assert "Asia/Tokyo" in texts_of(replies)
    async with h.db() as session:
        user = await get_user(session, UID)
        assert user is not None and user.timezone == "Asia/Tokyo"
        assert user.next_prompt_at is not None
        local = user.next_prompt_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
        assert local.time() == time(20, 0)

    # Export: JSON matching the database, and a CSV of check-ins.
    replies = await h.send(UID, "/export")
    documents = [m for m in replies if m["kind"] == "document"]
    assert len(documents) == 2
    data = json.loads(await h.emu.file_bytes(documents[0]["document"]["file_id"]))
    async with h.db() as session:
        user = await get_user(session, UID)
        assert user is not None
        assert data["user"]["id"] == UID and data["user"]["timezone"] == user.timezone
        assert [c["mood"] for c in data["checkins"]] == [4, 2]
        assert data["checkins"][0]["note"] == "Walked by the <river> today"
        assert data["checkins"][0]["tags"] == ["calm", "hopeful"]
        assert data["memberships"][0]["group_name"] == "Tuesday <Circle>"
        stored = await session.get(CheckIn, data["checkins"][1]["id"])
        assert stored is not None and stored.local_date.isoformat() == data["checkins"][1][
            "local_date"
        ]
    table = list(
        csv.reader(io.StringIO((await h.emu.file_bytes(documents[1]["document"]["file_id"]))
                               .decode("utf-8-sig")))
    )
    assert table[0] == ["date", "mood", "feelings", "note"]
    assert table[1] == ["2026-03-02", "4", "calm;hopeful", "Walked by the <river> today"]

    # Forget: confirmation, then no row anywhere mentions the person.
    before = await table_counts(h)
    await h.send(UID, "/forget")
    replies = await h.press(UID, "Yes, delete everything")
    assert "deleted everything" in texts_of(replies)
    assert await rows_mentioning(h, UID) == {}
    after = await table_counts(h)
    assert after["users"] == before["users"] - 1 and after["checkins"] == 0
    assert after["groups"] == before["groups"]  # the group itself stays
    assert APOLOGY not in texts_of(await h.emu.messages(UID))

    # A later /start begins from scratch.
    replies = await h.send(UID, "/start")
    assert "Is it okay for me to keep this?" in replies[-1]["text"]
    async with h.db() as session:
        assert await session.get(User, UID) is None
