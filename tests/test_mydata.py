"""/export sends everything stored (decrypted); /forget deletes every row about the person."""

from __future__ import annotations

import json
from datetime import date, timedelta

from storage.models import (
    Alert,
    AlertStatus,
    Attendance,
    Question,
    Rsvp,
    RsvpAnswer,
    Share,
    ShareStatus,
    Support,
    User,
    Who5Response,
)
from tests.harness import BotHarness
from tests.test_participant_support import (
    add_session,
    make_group,
    rows_mentioning,
    table_counts,
    texts_of,
)

ME, OTHER = 777000111, 777000222


async def _seed(h: BotHarness, group_id: int) -> None:
    """A share, a support each way, a question, an RSVP, attendance, WHO-5 and an alert."""
    now = h.clock.now()
    cipher = h.services.cipher
    occ = await add_session(h, group_id, now + timedelta(days=1))
    async with h.db() as session:
        mine = Share(user_id=ME, group_id=group_id, text_enc=cipher.encrypt("my <share>"),
                     anonymous=True, status=ShareStatus.VISIBLE, created_at=now)
        theirs = Share(user_id=OTHER, group_id=group_id, text_enc=cipher.encrypt("their share"),
                       anonymous=False, status=ShareStatus.VISIBLE, created_at=now)
        session.add_all([mine, theirs])
        await session.flush()
        session.add_all([
            Support(share_id=theirs.id, user_id=ME, created_at=now),
            Support(share_id=mine.id, user_id=OTHER, created_at=now),
            Question(group_id=group_id, asker_id=ME, text_enc=cipher.encrypt("a question?"),
                     answer_enc=cipher.encrypt("an answer"), answered_by=500, created_at=now),
            Rsvp(occurrence_id=occ, user_id=ME, answer=RsvpAnswer.GOING, updated_at=now),
            Rsvp(occurrence_id=occ, user_id=OTHER, answer=RsvpAnswer.LATE, updated_at=now),
            Attendance(occurrence_id=occ, user_id=ME, present=True, marked_by=500,
                       marked_at=now),
            Who5Response(user_id=ME, local_date=date(2026, 3, 2), answers=[3, 3, 3, 3, 3],
                         score=60, created_at=now),
            Alert(user_id=ME, group_id=group_id, kind="risk", source="note",
                  status=AlertStatus.OPEN, escalation_level=0,
                  next_escalation_at=now + timedelta(hours=1), created_at=now),
        ])


async def _checkin(h: BotHarness, uid: int, note: str) -> None:
    await h.send(uid, "/checkin")
    await h.press(uid, "3 😐")
    await h.press(uid, "Done")
    await h.send(uid, note)


async def test_export_matches_the_database_and_forget_removes_it(any_bot: BotHarness) -> None:
    h = any_bot
    group_id, token = await make_group(h, "Circle", approval=True)
    for uid in (ME, OTHER):
        await h.onboard(uid)
        await h.send(uid, f"/join {token}")
        await _checkin(h, uid, f"note of {uid}")
    await _seed(h, group_id)
    await h.send(ME, "/settings")
    await h.press(ME, "Away mode")
    await h.press(ME, "7 days")

    replies = await h.send(ME, "/export")
    data = json.loads(await h.emu.file_bytes(replies[0]["document"]["file_id"]))
    assert data["user"]["id"] == ME and data["user"]["away_until"] is not None
    assert [m["status"] for m in data["memberships"]] == ["pending"]
    assert data["checkins"][0]["note"] == f"note of {ME}"
    assert [s["text"] for s in data["shares"]] == ["my <share>"]
    assert len(data["supports_given"]) == 1
    assert data["questions_asked"][0]["text"] == "a question?"
    assert data["questions_asked"][0]["answer"] == "an answer"
    assert [r["answer"] for r in data["rsvps"]] == ["going"]
    assert data["attendance"][0]["present"] is True
    assert data["who5_responses"][0]["score"] == 60
    assert [d["kind"] for d in data["deliveries_to_me"]] == ["notice"]  # the welcome back
    assert "note of" not in json.dumps(data["user"])
    assert str(OTHER) not in json.dumps(data)

    before = await table_counts(h)
    await h.send(ME, "/forget")
    confirm = await h.find_button_message(ME, "Yes, delete everything")
    replies = await h.press(ME, "Yes, delete everything")
    assert "deleted everything" in texts_of(replies)
    assert await rows_mentioning(h, ME) == {}
    after = await table_counts(h)
    # The other member keeps everything of theirs; the alert stays, anonymous.
    assert after["users"] == before["users"] - 1
    assert after["checkins"] == 1 and after["shares"] == 1 and after["rsvps"] == 1
    assert after["supports"] == 0  # mine, and the one on my share
    assert after["alerts"] == 1
    async with h.db() as session:
        alert = await session.get(Alert, 1)
        assert alert is not None and alert.user_id is None and alert.next_escalation_at is None
        assert await session.get(User, OTHER) is not None
    now = int(h.clock.now().timestamp())
    await h.press(ME, data=f"pdata:forget:yes:{now}", message_id=confirm)  # twice
    assert "nothing to delete" in (await h.answers())[-1]["text"]
    assert "nothing to export" in texts_of(await h.send(ME, "/export"))


async def test_forget_can_be_declined(bot: BotHarness) -> None:
    await bot.onboard(61)
    await bot.send(61, "/forget")
    replies = await bot.press(61, "No, keep my data")
    assert "nothing was deleted" in texts_of(replies)
    async with bot.db() as session:
        assert await session.get(User, 61) is not None
    assert "nothing to delete" in texts_of(await bot.send(62, "/forget"))


async def test_csv_neutralises_formulas(bot: BotHarness) -> None:
    await bot.onboard(63)
    await _checkin(bot, 63, "=HYPERLINK(1)")
    replies = await bot.send(63, "/export")
    raw = (await bot.emu.file_bytes(replies[1]["document"]["file_id"])).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in raw


async def test_old_forget_confirmation_expires(bot: BotHarness) -> None:
    """A "Yes, delete everything" from more than ten minutes ago deletes nothing."""
    await bot.onboard(64)
    await bot.send(64, "/forget")
    confirm = await bot.find_button_message(64, "Yes, delete everything")
    bot.clock.advance(timedelta(minutes=9))
    await bot.send(64, "/help")
    bot.clock.advance(timedelta(minutes=2))
    await bot.press(64, "Yes, delete everything")
    assert "expired" in (await bot.answers())[-1]["text"]
    assert "send /forget again" in (await bot.answers())[-1]["text"]
    await bot.press(64, data="pdata:forget:yes", message_id=confirm)  # unstamped, from before
    assert "expired" in (await bot.answers())[-1]["text"]
    async with bot.db() as session:
        assert await session.get(User, 64) is not None
    await bot.send(64, "/forget")
    replies = await bot.press(64, "Yes, delete everything")
    assert "deleted everything" in texts_of(replies)


async def test_forget_resets_a_facilitators_menu(bot: BotHarness) -> None:
    from tests.test_facilitator_steps import FAC, enrol_facilitator

    await enrol_facilitator(bot)
    scope = {"type": "chat", "chat_id": FAC}
    assert "announce" in [c["command"] for c in await bot.emu.commands(scope)]
    await bot.send(FAC, "/forget")
    await bot.press(FAC, "Yes, delete everything")
    assert await bot.emu.commands(scope) == []
