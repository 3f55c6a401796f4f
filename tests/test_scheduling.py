"""Session scheduling and planners on a real database: DST gaps and folds in two zones, rule
expansion and replanning, reminder and prompt planning."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.outbox import CHECKIN_PROMPT, SESSION_CHANGED, SESSION_REMINDER
from bot.scheduling import (
    SchedulingError,
    create_weekly_rule,
    expand_rules,
    upcoming_occurrences,
    update_weekly_rule,
)
from bot.scheduling.prompts import plan_checkin_prompts, prompt_deadline
from bot.scheduling.reminders import plan_reminders
from bot.settings import Settings
from storage.db import make_sessionmaker
from storage.models import Delivery, DeliveryStatus, Rsvp, RsvpAnswer, SessionOccurrence
from tests.delivery_fixtures import add_group, add_user

SERVICES: Any = SimpleNamespace(settings=Settings())


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def occurrences(session: Any, group_id: int) -> list[SessionOccurrence]:
    rows = await session.execute(
        select(SessionOccurrence)
        .where(SessionOccurrence.group_id == group_id)
        .order_by(SessionOccurrence.starts_at)
    )
    return list(rows.scalars())


async def deliveries(session: Any, kind: str) -> list[Delivery]:
    rows = await session.execute(select(Delivery).where(Delivery.kind == kind)
                                 .order_by(Delivery.id))
    return list(rows.scalars())


async def test_spring_forward_gap_in_berlin_and_new_york(any_engine: AsyncEngine) -> None:
    maker = make_sessionmaker(any_engine)
    now = utc(2026, 3, 1, 12)
    async with maker() as session, session.begin():
        await add_user(session, 1, now, checkin=None)
        berlin = await add_group(session, now, [1], zone="Europe/Berlin", offsets=[1440, 60])
        new_york = await add_group(session, now, [1], zone="America/New_York", offsets=[60])
        # 02:30 does not exist on the spring-forward Sunday: it moves forward by the gap.
        await create_weekly_rule(session, berlin, [6], time(2, 30), 60, now)
        await create_weekly_rule(session, new_york, [6], time(2, 30), 60, now)
        await expand_rules(session, utc(2026, 3, 16, 13))
        await expand_rules(session, utc(2026, 3, 22, 12))
        starts = [o.starts_at for o in await occurrences(session, berlin.id)]
        assert starts[:4] == [
            utc(2026, 3, 8, 1, 30),   # 02:30 CET
            utc(2026, 3, 15, 1, 30),
            utc(2026, 3, 22, 1, 30),
            utc(2026, 3, 29, 1, 30),  # 03:30 CEST: the first valid wall time after the gap
        ]
        assert utc(2026, 4, 5, 0, 30) in starts  # 02:30 CEST
        ny = [o.starts_at for o in await occurrences(session, new_york.id)]
        assert ny[:2] == [
            utc(2026, 3, 8, 7, 30),   # gap: 02:30 EST does not exist -> 03:30 EDT
            utc(2026, 3, 15, 6, 30),  # 02:30 EDT
        ]
        gap_day = next(o for o in await occurrences(session, berlin.id)
                       if o.starts_at == utc(2026, 3, 29, 1, 30))
        # The 24 h reminder is 24 real hours before (wall clock 02:30 CET on Saturday).
        assert gap_day.next_reminder_at == utc(2026, 3, 28, 1, 30)


async def test_fall_back_fold_in_new_york_and_berlin(any_engine: AsyncEngine) -> None:
    maker = make_sessionmaker(any_engine)
    now = utc(2026, 10, 20, 12)
    async with maker() as session, session.begin():
        await add_user(session, 1, now, checkin=None)
        new_york = await add_group(session, now, [1], zone="America/New_York", offsets=[60])
        berlin = await add_group(session, now, [1], zone="Europe/Berlin", offsets=[60])
        await create_weekly_rule(session, new_york, [6], time(1, 30), 60, now)
        await create_weekly_rule(session, berlin, [6], time(2, 30), 60, now)
        ny = [o.starts_at for o in await occurrences(session, new_york.id)]
        assert ny == [
            utc(2026, 10, 25, 5, 30),  # 01:30 EDT
            utc(2026, 11, 1, 5, 30),   # ambiguous 01:30: the first one (EDT), only once
        ]
        de = [o.starts_at for o in await occurrences(session, berlin.id)]
        assert de == [
            utc(2026, 10, 25, 0, 30),  # ambiguous 02:30 CEST (first), only once
            utc(2026, 11, 1, 1, 30),   # 02:30 CET
        ]
        # Reminders an hour before each, on the right side of the fold.
        assert [o.next_reminder_at for o in await occurrences(session, berlin.id)] == [
            utc(2026, 10, 24, 23, 30), utc(2026, 11, 1, 0, 30)]


async def test_checkin_prompts_follow_local_time_across_dst(any_engine: AsyncEngine) -> None:
    maker = make_sessionmaker(any_engine)
    now = utc(2026, 3, 28, 12)
    async with maker() as session, session.begin():
        await add_user(session, 7, now, zone="Europe/Berlin", checkin=time(20, 0))
        await add_user(session, 8, now, zone="America/New_York", checkin=time(2, 30))
    sent: list[tuple[int, datetime]] = []
    moment = now
    for _ in range(4 * 24 * 4):  # four days in 15-minute planner ticks
        moment += timedelta(minutes=15)
        async with maker() as session, session.begin():
            await plan_checkin_prompts(session, SERVICES, moment)
    async with maker() as session:
        for row in await deliveries(session, CHECKIN_PROMPT):
            sent.append((row.recipient_id, row.due_at))
    assert [d for uid, d in sent if uid == 7] == [
        utc(2026, 3, 28, 19), utc(2026, 3, 29, 18), utc(2026, 3, 30, 18), utc(2026, 3, 31, 18)]
    assert [d for uid, d in sent if uid == 8] == [
        utc(2026, 3, 29, 6, 30), utc(2026, 3, 30, 6, 30), utc(2026, 3, 31, 6, 30),
        utc(2026, 4, 1, 6, 30)]
    # Keys carry the local date, so planning twice never doubles a day.
    async with maker() as session:
        keys = [row.key for row in await deliveries(session, CHECKIN_PROMPT)]
    assert len(keys) == len(set(keys)) == 8
    assert keys[0] == "ci:7:20260328"


def test_prompt_deadline_is_window_or_end_of_local_day() -> None:
    assert prompt_deadline(utc(2026, 3, 28, 19), "Europe/Berlin", 180) == utc(2026, 3, 28, 22)
    # 22:00 local + 3 h would be the next day: the local midnight wins.
    assert prompt_deadline(utc(2026, 3, 28, 21), "Europe/Berlin", 180) == utc(2026, 3, 28, 23)
    # Midnight after the spring-forward day in Berlin is 22:00 UTC.
    assert prompt_deadline(utc(2026, 3, 29, 21), "Europe/Berlin", 180) == utc(2026, 3, 29, 22)


async def test_reminders_planned_once_per_offset_and_latest_only_after_downtime(
    any_engine: AsyncEngine,
) -> None:
    maker = make_sessionmaker(any_engine)
    now = utc(2026, 5, 4, 8)  # Monday
    async with maker() as session, session.begin():
        for uid in (1, 2):
            await add_user(session, uid, now, checkin=None)
        group = await add_group(session, now, [1, 2], zone="Europe/Berlin", offsets=[1440, 60])
        await create_weekly_rule(session, group, [2, 4], time(18, 0), 90, now)  # Wed, Fri
    wednesday = utc(2026, 5, 6, 16)  # 18:00 CEST
    for moment in (wednesday - timedelta(days=1), wednesday - timedelta(days=1),
                   wednesday - timedelta(minutes=60)):
        async with maker() as session, session.begin():
            await plan_reminders(session, SERVICES, moment)
    # Down from Thursday morning until 30 minutes before Friday's session: only the 1 h one.
    friday = utc(2026, 5, 8, 16)
    async with maker() as session, session.begin():
        await plan_reminders(session, SERVICES, friday - timedelta(minutes=30))
    async with maker() as session:
        rows = await deliveries(session, SESSION_REMINDER)
    keys = sorted(r.key.split(":", 3)[3] for r in rows)
    assert keys == ["1440:1", "1440:2", "60:1", "60:1", "60:2", "60:2"]
    assert {r.not_after for r in rows} == {wednesday, friday}
    assert sorted({r.due_at for r in rows}) == [
        wednesday - timedelta(days=1), wednesday - timedelta(hours=1),
        friday - timedelta(hours=1)]


async def test_editing_a_rule_replans_future_sessions_and_their_reminders(
    any_engine: AsyncEngine,
) -> None:
    maker = make_sessionmaker(any_engine)
    now = utc(2026, 5, 4, 8)  # Monday
    async with maker() as session, session.begin():
        for uid in (1, 2):
            await add_user(session, uid, now, checkin=None)
        group = await add_group(session, now, [1], zone="Europe/Berlin", offsets=[1440],
                                facilitator=2)
        rule = await create_weekly_rule(session, group, [1, 3], time(18, 0), 60, now)  # Tue/Thu
    async with maker() as session, session.begin():
        await plan_reminders(session, SERVICES, utc(2026, 5, 4, 16))  # Tuesday's 24 h reminder
        tuesday, thursday = (await occurrences(session, group.id))[:2]
        session.add(Rsvp(occurrence_id=thursday.id, user_id=1, answer=RsvpAnswer.GOING,
                         updated_at=now))
    edit = utc(2026, 5, 4, 17)
    async with maker() as session, session.begin():
        await update_weekly_rule(session, rule.id, edit, weekdays=[3, 4], by_user_id=2)  # Thu/Fri
    async with maker() as session:
        upcoming = await upcoming_occurrences(session, [group.id], edit, limit=4)
        assert [o.starts_at for o in upcoming] == [
            utc(2026, 5, 7, 16), utc(2026, 5, 8, 16), utc(2026, 5, 14, 16), utc(2026, 5, 15, 16)]
        assert upcoming[0].id == thursday.id  # kept, with its RSVP
        assert (await session.execute(select(Rsvp))).scalar_one().occurrence_id == thursday.id
        assert await session.get(SessionOccurrence, tuesday.id) is None
        reminders = await deliveries(session, SESSION_REMINDER)
        assert [(r.subject_id, r.status) for r in reminders] == [
            (tuesday.id, DeliveryStatus.CANCELLED)]
        notices = await deliveries(session, SESSION_CHANGED)
        assert [n.recipient_id for n in notices] == [1]  # not the facilitator who edited it
    async with maker() as session, session.begin():
        ended = await update_weekly_rule(session, rule.id, edit, active=False)
        assert not ended.active
        assert await upcoming_occurrences(session, [group.id], edit, limit=4) == []
        try:
            await create_weekly_rule(session, group, [], time(9, 0), 60, edit)
        except SchedulingError as error:
            assert "at least one day" in str(error)
        else:
            raise AssertionError("an empty rule was accepted")


async def test_rules_are_expanded_ahead_as_time_passes(any_engine: AsyncEngine) -> None:
    maker = make_sessionmaker(any_engine)
    now = utc(2026, 6, 1, 8)
    async with maker() as session, session.begin():
        group = await add_group(session, now, [], zone="Asia/Kolkata")
        await create_weekly_rule(session, group, [0], time(19, 0), 60, now)
        assert len(await occurrences(session, group.id)) == 3  # Jun 1, 8, 15
    async with maker() as session, session.begin():
        assert await expand_rules(session, now + timedelta(hours=1)) == 0  # not yet
        assert await expand_rules(session, now + timedelta(days=10)) == 1  # Jun 22
        assert await expand_rules(session, now + timedelta(days=10)) == 0
    async with maker() as session:
        starts = [o.starts_at for o in await occurrences(session, group.id)]
    assert starts[-1] == utc(2026, 6, 22, 13, 30)  # 19:00 IST
