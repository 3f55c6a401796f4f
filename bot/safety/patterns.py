"""Pattern alerts: a run of low moods, or several days without a check-in.

Rules come from the environment through `Settings.extra` (PATTERN_VERY_LOW, PATTERN_VERY_LOW_RUN,
PATTERN_LOW, PATTERN_LOW_RUN, PATTERN_MISSED_DAYS). One alert per episode: a low-mood episode
is a run of consecutive check-ins at or below the low mark, named by the day it began; a
missed-check-in episode is named by the last day the person checked in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import NOTICE, enqueue, planner
from bot.safety import texts
from bot.safety.alerts import LOW_MOOD, MISSED, raise_alert
from bot.services import Services
from bot.timeutil import local_date, zone
from storage.models import CheckIn, Group, Membership, MemberStatus, Role, User

log = logging.getLogger(__name__)

MISSED_SCAN_KEY = "safety.missed_scan_at"
MISSED_SCAN_EVERY = timedelta(minutes=30)
MISSED_SCAN_CURSOR = "safety.missed_scan_cursor"
SCAN_CHUNK = 1000
"""A sweep reads at most this many candidates per planner tick (then goes on next tick)."""
JOINED_SLACK = timedelta(hours=2)
DAYTIME = (9, 20)  # local hours in which a missed-check-in alert or offer may go out


@dataclass(frozen=True)
class PatternRules:
    """Thresholds of the pattern alerts."""

    very_low: int = 1
    very_low_run: int = 2
    low: int = 2
    low_run: int = 3
    missed_days: int = 3


def rules_from(extra: Mapping[str, str]) -> PatternRules:
    """Rules with overrides from `Settings.extra` (bad values keep the default)."""
    base = PatternRules()
    values: dict[str, int] = {}
    for field in ("very_low", "very_low_run", "low", "low_run", "missed_days"):
        raw = str(extra.get(f"PATTERN_{field.upper()}", "")).strip()
        if raw.isdigit() and 0 < int(raw) <= 60:
            values[field] = int(raw)
    return PatternRules(**{**base.__dict__, **values})


def matched_rule(moods: list[int], rules: PatternRules) -> str | None:
    """The low-mood rule the latest check-ins (oldest first) meet, if any."""
    very = moods[-rules.very_low_run :]
    if len(very) == rules.very_low_run and all(m <= rules.very_low for m in very):
        return "mood_1x2"
    low = moods[-rules.low_run :]
    if len(low) == rules.low_run and all(m <= rules.low for m in low):
        return "mood_2x3"
    return None


@dataclass(frozen=True)
class LowEpisode:
    """A run of low check-ins that meets a rule."""

    rule: str
    started: date
    new: bool  # the latest check-in is the one that made the run meet a rule


async def low_mood_episode(
    session: AsyncSession, user_id: int, rules: PatternRules
) -> LowEpisode | None:
    """The low-mood episode the person is in after their latest check-in, or None."""
    rows = await session.execute(
        select(CheckIn.local_date, CheckIn.mood)
        .where(CheckIn.user_id == user_id)
        .order_by(CheckIn.local_date.desc())
        .limit(60)
    )
    recent = list(rows.all())
    run: list[tuple[date, int]] = []
    for day, mood in recent:
        if mood > rules.low:
            break
        run.append((day, int(mood)))
    run.reverse()
    moods = [m for _, m in run]
    rule = matched_rule(moods, rules)
    if rule is None:
        return None
    return LowEpisode(rule, run[0][0], matched_rule(moods[:-1], rules) is None)


async def raise_low_mood(
    session: AsyncSession, services: Services, user: User, episode: LowEpisode, now: datetime
) -> int:
    """Alert the teams of the person's groups once per episode (only with their permission)."""
    from storage.repositories.safety import participant_group_ids

    if not user.share_with_facilitators:
        return 0
    raised = 0
    for group_id in await participant_group_ids(session, user.id):
        key = f"mood:{user.id}:{group_id}:{episode.started:%Y%m%d}"
        alert = await raise_alert(
            session, services, user_id=user.id, group_id=group_id, kind=LOW_MOOD,
            source=episode.rule, now=now, episode_key=key,
        )
        raised += alert is not None
    return raised


@planner
async def plan_missed_checkin_alerts(
    session: AsyncSession, services: Services, now: datetime
) -> int:
    """Alert (with permission) or privately offer resources after N days without a check-in."""
    extras = services.extras
    cursor = extras.get(MISSED_SCAN_CURSOR)
    if not isinstance(cursor, int):  # no sweep in progress: start one every MISSED_SCAN_EVERY
        last_scan = extras.get(MISSED_SCAN_KEY)
        if isinstance(last_scan, datetime) and now - last_scan < MISSED_SCAN_EVERY:
            return 0
        extras[MISSED_SCAN_KEY] = now
        cursor = 0
    rules = rules_from(services.settings.extra)
    # Necessary conditions, checked by indexes instead of loading everyone: a person's local
    # day is within one day of UTC's, and a local-date gap of N + 1 days takes more than
    # N days minus a DST hour, so who checked in after (UTC today - N) or joined less than
    # N days (+ 2 h slack) ago cannot have missed N days.
    checked_in_since = now.date() - timedelta(days=rules.missed_days)
    recent = (
        select(CheckIn.id)
        .where(CheckIn.user_id == User.id, CheckIn.local_date > checked_in_since)
        .exists()
    )
    last = (
        select(func.max(CheckIn.local_date))
        .where(CheckIn.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(User, Membership, last.label("last"))
        .join(Membership, Membership.user_id == User.id)
        .join(Group, Group.id == Membership.group_id)
        .where(
            Membership.id > cursor,
            Membership.role == Role.PARTICIPANT,
            Membership.status == MemberStatus.ACTIVE,
            Membership.joined_at
            <= now - timedelta(days=rules.missed_days) + JOINED_SLACK,
            Group.archived_at.is_(None),
            User.onboarded_at.is_not(None),
            User.prompts_enabled.is_(True),
            User.timezone.is_not(None),
            ~recent,
        )
        .order_by(Membership.id)
        .limit(SCAN_CHUNK)
    )
    found = rows.all()
    extras[MISSED_SCAN_CURSOR] = found[-1][1].id if len(found) == SCAN_CHUNK else None
    planned = 0
    for user, membership, last_day in found:
        if user.away_until is not None and user.away_until > now:
            continue
        assert user.timezone is not None
        if not DAYTIME[0] <= now.astimezone(zone(user.timezone)).hour < DAYTIME[1]:
            continue  # not urgent: never at night
        today = local_date(now, user.timezone)
        baseline = local_date(membership.joined_at, user.timezone)
        if last_day is not None:
            baseline = max(baseline, last_day)
        if user.away_until is not None:
            baseline = max(baseline, local_date(user.away_until, user.timezone))
        missed = (today - baseline).days - 1
        if missed < rules.missed_days:
            continue
        if user.share_with_facilitators:
            key = f"missed:{user.id}:{membership.group_id}:{baseline:%Y%m%d}"
            alert = await raise_alert(
                session, services, user_id=user.id, group_id=membership.group_id, kind=MISSED,
                source=f"missed:{missed}", now=now, episode_key=key,
            )
            planned += alert is not None
        else:
            from html import escape

            planned += await enqueue(
                session, kind=NOTICE, key=f"missed-offer:{user.id}:{baseline:%Y%m%d}",
                recipient_id=user.id, due_at=now, now=now,
                payload={"text": texts.MISSED_OFFER + escape(services.settings.crisis_resources)},
            )
    return planned
