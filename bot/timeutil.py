"""Time zones, times of day and DST-correct scheduling math.

All instants crossing this API are timezone-aware UTC ``datetime`` objects.
Wall-clock rules (applied everywhere, via :func:`to_utc`):

* Spring-forward gap: a wall-clock time that does not exist is moved forward by
  the length of the gap, so the reminder comes when the clock shows the first
  valid time after the intended one *plus the same distance into the hour*:
  02:30 in Europe/Berlin on the spring-forward day becomes 03:30 local
  (Australia/Lord_Howe's 30-minute gap turns 02:15 into 02:45). This is exactly
  what ``fold=0`` gives in Python after normalising through UTC.
* Fall-back fold: an ambiguous wall-clock time resolves to its FIRST occurrence
  (``fold=0``), so a daily event happens once per local date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "COMMON_ZONES",
    "TimeInputError",
    "describe_zone",
    "format_time",
    "humanize_delta",
    "local_date",
    "next_daily",
    "parse_duration",
    "parse_local_datetime",
    "parse_time_of_day",
    "parse_timezone",
    "parse_weekdays",
    "to_utc",
    "weekly_occurrences",
    "zone",
]

MAX_INPUT = 64
DEFAULT_MAX_DURATION = timedelta(days=14)

COMMON_ZONES: list[tuple[str, str]] = [
    ("London", "Europe/London"),
    ("Berlin", "Europe/Berlin"),
    ("Moscow", "Europe/Moscow"),
    ("New York", "America/New_York"),
    ("Chicago", "America/Chicago"),
    ("Los Angeles", "America/Los_Angeles"),
    ("São Paulo", "America/Sao_Paulo"),
    ("India", "Asia/Kolkata"),
    ("Tokyo", "Asia/Tokyo"),
    ("Sydney", "Australia/Sydney"),
    ("UTC", "UTC"),
]


class TimeInputError(ValueError):
    """User input we could not understand; ``str(err)`` is a kind message to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_ZONE_HELP = (
    "I couldn't find that time zone. Try a city like Europe/Berlin or New York, "
    "or an offset like UTC+2."
)
_TIME_HELP = "I couldn't read that time. Try something like 08:30, 8:30 pm or noon."
_DURATION_HELP = "I couldn't read that duration. Try something like 24h, 90 min or 1h30m."
_DAYS_HELP = 'I couldn\'t read those days. Try something like "Mon, Thu", "weekdays" or "daily".'
_DATETIME_HELP = (
    "I couldn't read that date and time. Try 2026-12-03 18:30, 03.12.2026 18:30, "
    "tomorrow 18:30 or Monday 18:30."
)

_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia",
            "Europe", "Indian", "Pacific")
_OFFSET_NAME = re.compile(r"UTC([+-])([0-9]{2}):([0-9]{2})")
_OFFSET_INPUT = re.compile(
    r"(?:utc|gmt)?([+-])(?:([0-9]{1,2})(?::([0-9]{2}))?|([0-9]{2})([0-9]{2}))", re.ASCII
)
_WEEKDAY_NAMES = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}


def _clean(text: object, limit: int = MAX_INPUT) -> str:
    """Lower-case, trim and collapse whitespace; reject non-strings and huge input."""
    if not isinstance(text, str) or len(text) > limit * 4:
        raise TimeInputError("That's a bit long for me — please keep it short.")
    cleaned = " ".join(text.replace("\u2212", "-").split()).lower()
    if len(cleaned) > limit:
        raise TimeInputError("That's a bit long for me — please keep it short.")
    return cleaned


def _require_aware(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; naive datetimes are a programming error."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime passed to timeutil; use aware UTC datetimes")
    return instant.astimezone(UTC)


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    """All usable IANA zone names."""
    return frozenset(available_timezones() - {"localtime", "Factory", "posixrules"})


@lru_cache(maxsize=1)
def _zone_lookup() -> tuple[dict[str, str], dict[str, str]]:
    """Maps of lower-cased full names and bare city names to IANA zone names."""
    by_name = {name.lower(): name for name in _zone_names()}
    cities: dict[str, list[str]] = {}
    for name in _zone_names():
        if name.split("/")[0] in _REGIONS:
            cities.setdefault(name.rsplit("/", 1)[-1].lower(), []).append(name)
    # Duplicate city names are all links to one zone; prefer the deeper (newer)
    # path, then Europe, so "Buenos Aires" and "Istanbul" resolve canonically.
    by_city = {
        city: min(names, key=lambda n: (-n.count("/"), not n.startswith("Europe/"), n))
        for city, names in cities.items()
    }
    return by_name, by_city


def _offset_name(total_minutes: int) -> str:
    """Canonical fixed-offset name such as "UTC+05:45" (or "UTC" for zero)."""
    if total_minutes == 0:
        return "UTC"
    sign = "+" if total_minutes > 0 else "-"
    hours, minutes = divmod(abs(total_minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def parse_timezone(text: str) -> str:
    """Turn user text (IANA name, city, UTC/GMT or offset) into a canonical zone name."""
    cleaned = _clean(text)
    if not cleaned:
        raise TimeInputError(_ZONE_HELP)
    compact = cleaned.replace(" ", "")
    if compact in {"utc", "gmt", "z", "utc+0", "gmt+0", "utc-0", "gmt-0"}:
        return "UTC"
    match = _OFFSET_INPUT.fullmatch(compact)
    if match:
        sign, hours, minutes, hours4, minutes4 = match.groups()
        h, m = int(hours or hours4), int(minutes or minutes4 or 0)
        total = (h * 60 + m) * (-1 if sign == "-" else 1)
        if m not in (0, 15, 30, 45) or not -12 * 60 <= total <= 14 * 60:
            raise TimeInputError(
                "That offset doesn't exist on Earth. Offsets run from UTC-12 to UTC+14 "
                "in quarter hours, like UTC+2 or UTC+05:30."
            )
        return _offset_name(total)
    key = re.sub(r"\s*/\s*", "/", cleaned).replace(" ", "_")
    by_name, by_city = _zone_lookup()
    found = by_name.get(key) or by_city.get(key)
    if found is None:
        raise TimeInputError(_ZONE_HELP)
    return found


@lru_cache(maxsize=512)
def zone(name: str) -> tzinfo:
    """Return the tzinfo for a canonical zone name (IANA or "UTC±HH:MM"), cached."""
    if name == "UTC":
        return UTC
    match = _OFFSET_NAME.fullmatch(name)
    if match:
        sign, hours, minutes = match.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-offset if sign == "-" else offset, name)
    if name in _zone_names():
        return ZoneInfo(name)
    raise TimeInputError(_ZONE_HELP)


def _format_offset(offset: timedelta) -> str:
    """Format a UTC offset as "UTC+01:00"."""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def describe_zone(name: str, now_utc: datetime) -> str:
    """Human label such as "Europe/Berlin (UTC+01:00)" for the offset in force now."""
    if name == "UTC" or _OFFSET_NAME.fullmatch(name):
        return name
    offset = _require_aware(now_utc).astimezone(zone(name)).utcoffset() or timedelta(0)
    return f"{name} ({_format_offset(offset)})"


def format_time(t: time) -> str:
    """Format a time of day as "08:30"."""
    return f"{t.hour:02d}:{t.minute:02d}"


_TIME_RE = re.compile(
    r"([0-9]{1,2})(?:\s*[:.h]\s*([0-9]{2})|\s*h)?\s*(am|pm|a\.m\.|p\.m\.)?|([0-9]{2})([0-9]{2})",
    re.ASCII,
)


def parse_time_of_day(text: str) -> time:
    """Parse "8:30", "08.30", "0830", "8", "8am", "8:30 pm", "20h15", "noon", "midnight"."""
    cleaned = _clean(text, limit=32)
    if cleaned in ("noon", "midday"):
        return time(12, 0)
    if cleaned == "midnight":
        return time(0, 0)
    match = _TIME_RE.fullmatch(cleaned)
    if not match:
        raise TimeInputError(_TIME_HELP)
    hours_s, minutes_s, meridiem, hours4, minutes4 = match.groups()
    hour, minute = int(hours_s or hours4), int(minutes_s or minutes4 or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            raise TimeInputError("With am/pm the hour goes from 1 to 12, like 8:30 pm.")
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise TimeInputError(
            "That time isn't on the clock. Hours go 0–23 and minutes 0–59, like 20:15."
        )
    return time(hour, minute)


def local_date(instant_utc: datetime, zone_name: str) -> date:
    """The calendar date on the wall in ``zone_name`` at ``instant_utc``."""
    return _require_aware(instant_utc).astimezone(zone(zone_name)).date()


def to_utc(local_day: date, local_time: time, zone_name: str) -> datetime:
    """UTC instant for a wall-clock time: gap times move forward by the gap, folds take
    the first occurrence (see module docstring)."""
    wall = datetime.combine(local_day, local_time.replace(tzinfo=None, fold=0))
    return wall.replace(tzinfo=zone(zone_name)).astimezone(UTC)


def next_daily(after_utc: datetime, local_time: time, zone_name: str) -> datetime:
    """First UTC instant strictly after ``after_utc`` when a daily ``local_time`` fires."""
    after = _require_aware(after_utc)
    day = local_date(after, zone_name) - timedelta(days=1)
    for offset in range(5):
        candidate = to_utc(day + timedelta(days=offset), local_time, zone_name)
        if candidate > after:
            return candidate
    raise RuntimeError("no daily occurrence found")  # pragma: no cover - unreachable


def weekly_occurrences(
    weekdays: set[int], local_time: time, zone_name: str, start_utc: datetime, end_utc: datetime
) -> list[datetime]:
    """All UTC instants in [start, end) when ``local_time`` falls on one of ``weekdays``."""
    if not weekdays <= set(range(7)):
        raise ValueError("weekdays must be integers 0 (Monday) .. 6 (Sunday)")
    start, end = _require_aware(start_utc), _require_aware(end_utc)
    day = local_date(start, zone_name) - timedelta(days=1)
    last = local_date(end, zone_name) + timedelta(days=1)
    found: list[datetime] = []
    while day <= last:
        if day.weekday() in weekdays:
            instant = to_utc(day, local_time, zone_name)
            if start <= instant < end:
                found.append(instant)
        day += timedelta(days=1)
    return found


_DURATION_UNITS = {
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
    "d": 1440, "day": 1440, "days": 1440,
    "w": 10080, "week": 10080, "weeks": 10080,
}
_DURATION_TOKEN = re.compile(r"([0-9]{1,6}) ?([a-z]+)", re.ASCII)


def parse_duration(text: str, max_duration: timedelta = DEFAULT_MAX_DURATION) -> timedelta:
    """Parse "24h", "90 min", "1h30m", "2 days" or a bare number of minutes ("15")."""
    cleaned = _clean(text)
    if cleaned.startswith("-"):
        raise TimeInputError("A duration can't be negative. Try something like 30 min or 2h.")
    cleaned = re.sub(r",|\band\b", " ", cleaned)
    cleaned = " ".join(cleaned.split())
    if re.fullmatch(r"[0-9]{1,6}", cleaned, re.ASCII):
        minutes = int(cleaned)
    elif cleaned and re.fullmatch(r"(?:[0-9]{1,6} ?[a-z]+ ?)+", cleaned, re.ASCII):
        minutes = 0
        for amount, unit in _DURATION_TOKEN.findall(cleaned):
            if unit not in _DURATION_UNITS:
                raise TimeInputError(_DURATION_HELP)
            minutes += int(amount) * _DURATION_UNITS[unit]
    else:
        raise TimeInputError(_DURATION_HELP)
    result = timedelta(minutes=minutes)
    if result <= timedelta(0):
        raise TimeInputError("That's no time at all — try at least 1 minute, like 15 min.")
    if result > max_duration:
        raise TimeInputError(
            f"That's longer than I can handle — the most is {humanize_delta(max_duration)}."
        )
    return result


def humanize_delta(td: timedelta) -> str:
    """Friendly duration: up to 24 hours in hours/minutes ("24 hours", "1 hour 30 minutes"),
    longer in days ("2 days", "1 day 6 hours"). Negative values are shown by magnitude."""
    total = abs(int(td.total_seconds())) // 60
    days, rest = divmod(total, 1440) if total > 1440 else (0, total)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{value} {unit}{'' if value == 1 else 's'}"
        for value, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if value
    ]
    return " ".join(parts) or "0 minutes"


def parse_weekdays(text: str) -> set[int]:
    """Parse "Mon, Thu", "mon thu", "Mon-Fri", "weekdays", "weekends", "daily", "Tuesday"."""
    cleaned = _clean(text)
    cleaned = " ".join(re.sub(r"[,;/&+]|\band\b", " ", cleaned).split())
    cleaned = re.sub(r" ?- ?", "-", cleaned)
    if cleaned in ("daily", "every day", "everyday", "all", "all days"):
        return set(range(7))
    days: set[int] = set()
    for token in cleaned.split():
        if token in ("weekdays", "workdays"):
            days |= set(range(5))
        elif token in ("weekend", "weekends"):
            days |= {5, 6}
        elif "-" in token:
            first, _, last = token.partition("-")
            if first not in _WEEKDAY_NAMES or last not in _WEEKDAY_NAMES:
                raise TimeInputError(_DAYS_HELP)
            a, b = _WEEKDAY_NAMES[first], _WEEKDAY_NAMES[last]
            days |= {(a + i) % 7 for i in range((b - a) % 7 + 1)}
        elif token in _WEEKDAY_NAMES or token.removesuffix("s") in _WEEKDAY_NAMES:
            days.add(_WEEKDAY_NAMES.get(token, _WEEKDAY_NAMES.get(token.removesuffix("s"), 0)))
        else:
            raise TimeInputError(_DAYS_HELP)
    if not days:
        raise TimeInputError(_DAYS_HELP)
    return days


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?: |t)(.+)", re.ASCII)
_DOT_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4}) (.+)", re.ASCII)


def parse_local_datetime(text: str, zone_name: str, now_utc: datetime) -> datetime:
    """Parse a future one-off moment ("2026-12-03 18:30", "03.12.2026 18:30",
    "tomorrow 18:30", "Mon 18:30") in ``zone_name``; returns UTC. A weekday means the
    next such day whose time is still ahead (today counts if the time hasn't passed)."""
    now = _require_aware(now_utc)
    cleaned = _clean(text).replace(" at ", " ")
    today = local_date(now, zone_name)
    iso, dotted = _ISO_DATE.fullmatch(cleaned), _DOT_DATE.fullmatch(cleaned)
    head, _, rest = cleaned.partition(" ")
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
            time_text = iso[4]
        elif dotted:
            day = date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
            time_text = dotted[4]
        elif head in ("today", "tomorrow") and rest:
            day = today + timedelta(days=1 if head == "tomorrow" else 0)
            time_text = rest
        elif head in _WEEKDAY_NAMES and rest:
            wanted = parse_time_of_day(rest)
            day = today + timedelta(days=(_WEEKDAY_NAMES[head] - today.weekday()) % 7)
            if to_utc(day, wanted, zone_name) <= now:
                day += timedelta(days=7)
            time_text = rest
        else:
            raise TimeInputError(_DATETIME_HELP)
    except ValueError as err:
        if isinstance(err, TimeInputError):
            raise
        raise TimeInputError(
            "That date doesn't exist on the calendar — please check the day and month, "
            "e.g. 2026-12-03 18:30."
        ) from err
    local_time = parse_time_of_day(time_text)
    if day < today:
        raise TimeInputError("That moment has already passed — please pick a time ahead.")
    if day.year > today.year + 5:
        raise TimeInputError("That's very far ahead — please pick a date in the next few years.")
    instant = to_utc(day, local_time, zone_name)
    if instant <= now:
        raise TimeInputError("That moment has already passed — please pick a time ahead.")
    return instant
