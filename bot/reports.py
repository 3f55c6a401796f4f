"""A group's insight report: check-in rate, daily mood trend, attendance per session, and
individual rows only for members who allowed it. Aggregates need enough contributors.

Differencing rule: individual rows are listed for every member who allows it, so a day's average
could otherwise give away the rest. A day's average is shown only when the number of that day's
contributors who share only summaries is 0 or at least `min_contributors`; with 1 to
`min_contributors - 1` of them, "average x count - the listed moods" would reveal their moods,
so that day's average is withheld (text, CSV and chart alike). The period's average is computed
from the shown days only, so it inherits the same protection."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.timeutil import local_date, to_utc, zone
from storage.models import (
    Attendance,
    CheckIn,
    Group,
    Membership,
    MemberStatus,
    OccurrenceStatus,
    Role,
    Rsvp,
    RsvpAnswer,
    SessionOccurrence,
    User,
)


@dataclass
class SessionRow:
    """Attendance of one past session."""

    starts_at: datetime
    present: int | None  # None: not marked yet
    going: int
    members: int


@dataclass
class PersonRow:
    """One consenting member's check-ins in the period."""

    name: str
    checkins: int
    average: float | None
    moods: list[tuple[date, int]] = field(default_factory=list)


@dataclass
class GroupReport:
    """Everything `/report` shows for one group and period."""

    group_name: str
    zone: str
    days: int
    start: date
    end: date
    members: int
    contributors: int
    min_contributors: int
    checkins: int
    daily: list[tuple[date, float, int]]
    sessions: list[SessionRow]
    people: list[PersonRow]
    hidden_people: int
    withheld_days: int = 0

    @property
    def aggregates_allowed(self) -> bool:
        """True when enough members contributed for group summaries."""
        return self.contributors >= self.min_contributors

    @property
    def checkin_rate(self) -> float:
        """Check-ins made out of check-ins possible (members x days)."""
        possible = self.members * self.days
        return self.checkins / possible if possible else 0.0


async def build_report(
    session: AsyncSession, group: Group, days: int, now: datetime, min_contributors: int
) -> GroupReport:
    """Read the group's check-ins, sessions and attendance for the last `days` days."""
    end = local_date(now, group.timezone)
    start = end - timedelta(days=days - 1)
    rows = await session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.group_id == group.id,
            Membership.status == MemberStatus.ACTIVE,
            Membership.role == Role.PARTICIPANT,
        )
        .order_by(Membership.joined_at, Membership.id)
    )
    members = list(rows.scalars().all())
    ids = [u.id for u in members]
    checkins = (
        list(
            (
                await session.execute(
                    select(CheckIn)
                    .where(
                        CheckIn.user_id.in_(ids),
                        CheckIn.local_date >= start,
                        CheckIn.local_date <= end,
                    )
                    .order_by(CheckIn.local_date)
                )
            )
            .scalars()
            .all()
        )
        if ids
        else []
    )
    by_day: dict[date, list[int]] = defaultdict(list)
    private_by_day: dict[date, int] = defaultdict(int)
    by_user: dict[int, list[tuple[date, int]]] = defaultdict(list)
    private = {u.id for u in members if not u.share_with_facilitators}
    for c in checkins:
        by_day[c.local_date].append(c.mood)
        by_user[c.user_id].append((c.local_date, c.mood))
        if c.user_id in private:
            private_by_day[c.local_date] += 1
    enough = {day: moods for day, moods in by_day.items() if len(moods) >= min_contributors}
    daily = [
        (day, sum(moods) / len(moods), len(moods))
        for day, moods in sorted(enough.items())
        if not differencing_risk(private_by_day[day], min_contributors)
    ]
    people = []
    for user in members:
        if not user.share_with_facilitators:
            continue
        moods = by_user.get(user.id, [])
        avg = sum(m for _, m in moods) / len(moods) if moods else None
        people.append(PersonRow(user.display_name or "A member", len(moods), avg, moods))
    sessions = await _sessions(
        session, group, to_utc(start, datetime.min.time(), group.timezone), now, len(members)
    )
    return GroupReport(
        group_name=group.name,
        zone=group.timezone,
        days=days,
        start=start,
        end=end,
        members=len(members),
        contributors=len(by_user),
        min_contributors=min_contributors,
        checkins=len(checkins),
        daily=daily,
        sessions=sessions,
        people=people,
        hidden_people=len(members) - len(people),
        withheld_days=len(enough) - len(daily),
    )


def differencing_risk(private_contributors: int, min_contributors: int) -> bool:
    """True when an average next to the listed individual rows would single out the few
    contributors who share only summaries (1 to `min_contributors - 1` of them)."""
    return 0 < private_contributors < min_contributors


async def _sessions(
    session: AsyncSession, group: Group, since: datetime, now: datetime, members: int
) -> list[SessionRow]:
    occurrences = (
        (
            await session.execute(
                select(SessionOccurrence)
                .where(
                    SessionOccurrence.group_id == group.id,
                    SessionOccurrence.status == OccurrenceStatus.SCHEDULED,
                    SessionOccurrence.starts_at >= since,
                    SessionOccurrence.starts_at <= now,
                )
                .order_by(SessionOccurrence.starts_at)
            )
        )
        .scalars()
        .all()
    )
    result = []
    for occ in occurrences:
        marks = (
            (
                await session.execute(
                    select(Attendance.present).where(Attendance.occurrence_id == occ.id)
                )
            )
            .scalars()
            .all()
        )
        going = (
            (
                await session.execute(
                    select(Rsvp.id).where(
                        Rsvp.occurrence_id == occ.id,
                        Rsvp.answer.in_((RsvpAnswer.GOING, RsvpAnswer.LATE)),
                    )
                )
            )
            .scalars()
            .all()
        )
        result.append(
            SessionRow(
                occ.starts_at, sum(1 for p in marks if p) if marks else None, len(going), members
            )
        )
    return result


def _when(instant: datetime, zone_name: str) -> str:
    return instant.astimezone(zone(zone_name)).strftime("%a %d %b %H:%M")


def report_text(report: GroupReport) -> str:
    """The report as an HTML message."""
    lines = [
        f"<b>{escape(report.group_name)}</b> — last {report.days} days "
        f"({report.start:%d %b}–{report.end:%d %b})",
        f"Active members: {report.members}",
    ]
    if report.aggregates_allowed:
        lines.append(
            f"Check-in rate: {report.checkin_rate:.0%} ({report.checkins} check-ins, "
            f"{report.contributors} members checked in)"
        )
        if report.daily:
            overall = sum(a * n for _, a, n in report.daily) / sum(n for _, _, n in report.daily)
            lines.append(f"Average mood: {overall:.1f} of 5")
        if report.withheld_days:
            lines.append(
                f"No group average for {report.withheld_days} day(s): on those days only a few "
                "of the members who share just summaries checked in, and next to the shared "
                "check-ins an average could reveal their moods."
            )
    else:
        lines.append(
            f"Only {report.contributors} member(s) checked in over the last {report.days} days. "
            f"To protect privacy, group summaries need at least {report.min_contributors} "
            "contributors, so I can't show averages or a trend yet."
        )
    lines.append("")
    lines.append("<b>Attendance</b>")
    if not report.sessions:
        lines.append("No sessions in this period.")
    for row in report.sessions:
        marked = (
            f"{row.present} of {row.members} present"
            if row.present is not None
            else f"not marked yet ({row.going} said they'd come)"
        )
        lines.append(f"• {_when(row.starts_at, report.zone)}: {marked}")
    if report.people:
        lines.append("")
        lines.append("<b>Members who share their check-ins with you</b>")
        for person in report.people:
            avg = f", average {person.average:.1f}" if person.average is not None else ""
            lines.append(f"• {escape(person.name)}: {person.checkins} check-ins{avg}")
    if report.hidden_people:
        lines.append(f"{report.hidden_people} member(s) chose to share only group summaries.")
    return fit_message(lines)


MESSAGE_BUDGET = 3900


def fit_message(lines: list[str], more: str = "… the CSV export has the full list.") -> str:
    """Join lines, dropping the tail (whole lines) so the message fits Telegram's limit."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > MESSAGE_BUDGET:
            kept.append(more)
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def report_csv(report: GroupReport) -> bytes:
    """The same report as CSV (sections: summary, daily, attendance, individual)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "date_or_name", "value", "count"])
    w.writerow(["summary", "group", report.group_name, ""])
    w.writerow(["summary", "period_days", report.days, ""])
    w.writerow(["summary", "active_members", report.members, ""])
    if report.aggregates_allowed:
        w.writerow(["summary", "checkin_rate", f"{report.checkin_rate:.3f}", report.checkins])
        w.writerow(
            [
                "summary",
                "daily_mood_rule",
                f"a day's average is withheld when 1 to {report.min_contributors - 1} of its "
                "contributors share only summaries (it could reveal their moods)",
                report.withheld_days,
            ]
        )
        for day, avg, n in report.daily:
            w.writerow(["daily_mood", day.isoformat(), f"{avg:.2f}", n])
    else:
        w.writerow(
            [
                "summary",
                "aggregates",
                f"hidden: fewer than {report.min_contributors} contributors",
                report.contributors,
            ]
        )
    for row in report.sessions:
        w.writerow(
            [
                "attendance",
                row.starts_at.isoformat(),
                "" if row.present is None else row.present,
                row.members,
            ]
        )
    for person in report.people:
        for day, mood in person.moods:
            w.writerow(["individual", f"{_safe_cell(person.name)} {day.isoformat()}", mood, ""])
    return out.getvalue().encode("utf-8")


def _safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas in names."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
