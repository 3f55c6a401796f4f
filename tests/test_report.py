"""/report: not enough contributors, chart + text + CSV when enough, individual rows only for
members who allowed it, attendance per session."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import CheckIn, Group, OccurrenceStatus, SessionOccurrence
from tests.harness import BotHarness, running_bot
from tests.test_facilitator_steps import FAC, create_group, enrol_facilitator, join

ANN, BOB, CY = 21, 22, 23


async def _group_with_checkins(h: BotHarness) -> None:
    await enrol_facilitator(h)
    token = await create_group(h, weekly=False, one_off=None)
    await join(h, ANN, token, "Ann")
    await join(h, BOB, token, "Bob", visible=False)
    await join(h, CY, token, "=Cy")
    now = h.clock.now()
    today = now.date()
    async with h.db() as session:
        for days_ago, moods in [(0, {ANN: 4, BOB: 2}), (1, {ANN: 5, BOB: 3, CY: 1}), (2, {ANN: 3})]:
            for user_id, mood in moods.items():
                session.add(
                    CheckIn(
                        user_id=user_id,
                        local_date=today - timedelta(days=days_ago),
                        mood=mood,
                        tags=[],
                        created_at=now,
                        updated_at=now,
                    )
                )
        group = (await session.execute(select(Group))).scalar_one()
        session.add(
            SessionOccurrence(
                group_id=group.id,
                starts_at=now - timedelta(hours=3),
                duration_minutes=60,
                status=OccurrenceStatus.SCHEDULED,
                created_at=now,
                updated_at=now,
            )
        )


async def test_not_enough_contributors(bot: BotHarness) -> None:
    h = bot
    await _group_with_checkins(h)
    await h.send(FAC, "/report")
    replies = await h.press(FAC, "Last 30 days")
    assert all(m["kind"] == "text" for m in replies)  # no chart
    text = replies[-1]["text"]
    assert "need at least 5 contributors" in text
    assert "Average mood" not in text and "Check-in rate" not in text
    # Individual rows only for those who allowed it (Bob chose summaries only).
    assert "Ann: 3 check-ins" in text and "Bob" not in text
    assert "1 member(s) chose to share only group summaries" in text
    assert "not marked yet" in text


async def test_chart_text_and_csv_with_enough_members(
    tmp_path: Path, sqlite_engine: AsyncEngine
) -> None:
    async with running_bot(tmp_path, sqlite_engine, MIN_AGGREGATE_MEMBERS="2") as h:
        await _group_with_checkins(h)
        await h.send(FAC, "/report")
        replies = await h.press(FAC, "Last 7 days")
        assert replies[0]["kind"] == "photo"
        assert "Mood trend" in replies[0]["text"]
        text = replies[-1]["text"]
        assert "Check-in rate: 29%" in text  # 6 of 3 members x 7 days
        assert "3 members checked in" in text
        await h.press(FAC, "Export as CSV")
        document = await h.emu.last_message(FAC)
        assert document is not None and document["kind"] == "document"
        data = await h.emu.file_bytes(document["document"]["file_id"])
        rows = list(csv.reader(io.StringIO(data.decode())))
        daily = [r for r in rows if r[0] == "daily_mood"]
        # Today and yesterday have >= 2 contributors, but on each exactly one (Bob) shares only
        # summaries while Ann and Cy are listed: an average would reveal Bob's mood.
        assert daily == []
        rule = [r for r in rows if r[1] == "daily_mood_rule"]
        assert rule and rule[0][3] == "2"
        individual = [r for r in rows if r[0] == "individual"]
        assert {r[1].split(" ")[0] for r in individual} == {"Ann", "'=Cy"}
        assert [r for r in rows if r[0] == "attendance"]


async def test_day_average_never_singles_out_a_private_member(bot: BotHarness) -> None:
    """5 contributors of whom 4 are listed individually: that day's average would give away the
    fifth's mood (5 x avg - the four), so it is withheld in the text, the CSV and the chart."""
    h = bot
    await enrol_facilitator(h)
    token = await create_group(h, weekly=False, one_off=None)
    visible = [31, 32, 33, 34, 35]
    private = 36
    for user_id in visible:
        await join(h, user_id, token, f"M{user_id}")
    await join(h, private, token, "Pat", visible=False)
    now = h.clock.now()
    today = now.date()
    moods = {
        today: {31: 4, 32: 4, 33: 3, 34: 5, private: 1},  # 5 contributors, 1 private
        today - timedelta(days=1): {31: 2, 32: 3, 33: 4, 34: 5, 35: 1},  # all share
    }
    async with h.db() as session:
        for day, by_user in moods.items():
            for user_id, mood in by_user.items():
                session.add(
                    CheckIn(
                        user_id=user_id,
                        local_date=day,
                        mood=mood,
                        tags=[],
                        created_at=now,
                        updated_at=now,
                    )
                )
    await h.send(FAC, "/report")
    replies = await h.press(FAC, "Last 7 days")
    text = replies[-1]["text"]
    assert "Average mood: 3.0 of 5" in text  # yesterday only (15 / 5)
    assert "No group average for 1 day(s)" in text
    await h.press(FAC, "Export as CSV")
    document = await h.emu.last_message(FAC)
    assert document is not None
    rows = list(
        csv.reader(io.StringIO((await h.emu.file_bytes(document["document"]["file_id"])).decode()))
    )
    daily = {r[1]: (float(r[2]), int(r[3])) for r in rows if r[0] == "daily_mood"}
    assert set(daily) == {(today - timedelta(days=1)).isoformat()}
    listed: dict[str, list[int]] = {}
    for r in rows:
        if r[0] == "individual":
            listed.setdefault(r[1].split(" ")[1], []).append(int(r[2]))
    for day, (_, n) in daily.items():
        unlisted = n - len(listed.get(day, []))
        assert unlisted == 0 or unlisted >= 5, (day, unlisted)
    assert any("daily_mood_rule" in r for r in rows)
