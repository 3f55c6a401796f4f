"""Tests for bot.timeutil: parsing, and DST-correct daily/weekly scheduling."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.timeutil import (
    COMMON_ZONES,
    TimeInputError,
    describe_zone,
    format_time,
    humanize_delta,
    local_date,
    next_daily,
    parse_duration,
    parse_local_datetime,
    parse_time_of_day,
    parse_timezone,
    parse_weekdays,
    to_utc,
    weekly_occurrences,
    zone,
)

DST_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",  # transitions at local midnight
    "Europe/London",
    "Asia/Kolkata",
    "UTC+05:45",
    "UTC",
]
# Times inside (or at the edges of) gaps and folds of the zones above.
TRICKY_TIMES = [time(h, m) for h, m in [(0, 0), (0, 30), (1, 0), (1, 30), (1, 45), (2, 0),
                                         (2, 15), (2, 30), (2, 59), (3, 0), (23, 30)]]
zones_st = st.sampled_from(DST_ZONES)
times_st = st.one_of(
    st.sampled_from(TRICKY_TIMES),
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)
years_st = st.integers(2020, 2032)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def expected_wall(day: date, t: time, zone_name: str) -> datetime:
    """The wall clock a correct scheduler shows: t itself, or t shifted by the gap."""
    tz = zone(zone_name)
    wall = datetime.combine(day, t)
    before = wall.replace(tzinfo=tz, fold=0).utcoffset()
    after = wall.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None and after is not None
    roundtrip = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return wall if roundtrip == wall else wall + (after - before)


def daily_sequence(year: int, t: time, zone_name: str) -> list[datetime]:
    """All occurrences whose local date falls in ``year``, found by chaining next_daily."""
    cursor, found = utc(year - 1, 12, 30), list[datetime]()
    while True:
        previous, cursor = cursor, next_daily(cursor, t, zone_name)
        assert cursor > previous  # strictly after, so this loop always ends
        day = local_date(cursor, zone_name)
        if day.year > year:
            return found
        if day.year == year:
            found.append(cursor)


# --- DST rules: explicit cases ---------------------------------------------------------

@pytest.mark.parametrize(
    ("zone_name", "day", "wanted", "shown"),
    [
        ("Europe/Berlin", date(2025, 3, 30), time(2, 30), time(3, 30)),
        ("America/New_York", date(2025, 3, 9), time(2, 30), time(3, 30)),
        ("Australia/Sydney", date(2025, 10, 5), time(2, 30), time(3, 30)),
        ("Australia/Lord_Howe", date(2025, 10, 5), time(2, 15), time(2, 45)),
        ("America/Santiago", date(2025, 9, 7), time(0, 30), time(1, 30)),
    ],
)
def test_gap_moves_forward_by_gap_length(zone_name: str, day: date, wanted: time,
                                         shown: time) -> None:
    instant = to_utc(day, wanted, zone_name)
    local = instant.astimezone(zone(zone_name))
    assert (local.date(), local.time()) == (day, shown)
    assert instant.tzinfo is UTC


@pytest.mark.parametrize(
    ("zone_name", "day", "wanted", "first_utc"),
    [
        ("Europe/Berlin", date(2025, 10, 26), time(2, 30), utc(2025, 10, 26, 0, 30)),
        ("America/New_York", date(2025, 11, 2), time(1, 30), utc(2025, 11, 2, 5, 30)),
        ("Australia/Sydney", date(2025, 4, 6), time(2, 30), utc(2025, 4, 5, 15, 30)),
        ("Australia/Lord_Howe", date(2025, 4, 6), time(1, 45), utc(2025, 4, 5, 14, 45)),
    ],
)
def test_fold_picks_first_occurrence(zone_name: str, day: date, wanted: time,
                                     first_utc: datetime) -> None:
    assert to_utc(day, wanted, zone_name) == first_utc
    # Just after the first occurrence, the next one is a day later, not the repeat.
    assert next_daily(first_utc, wanted, zone_name) - first_utc >= timedelta(hours=24)


def test_next_daily_on_dst_days_berlin() -> None:
    before_gap = utc(2025, 3, 29, 12)
    assert next_daily(before_gap, time(2, 30), "Europe/Berlin") == utc(2025, 3, 30, 1, 30)
    assert next_daily(utc(2025, 10, 25, 12), time(2, 30), "Europe/Berlin") == utc(
        2025, 10, 26, 0, 30
    )
    assert next_daily(utc(2025, 10, 26, 0, 30), time(2, 30), "Europe/Berlin") == utc(
        2025, 10, 27, 1, 30
    )


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        next_daily(datetime(2025, 1, 1), time(8), "Europe/Berlin")


# --- DST rules: properties -------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(zone_name=zones_st, t=times_st, year=years_st)
def test_daily_event_once_per_local_date_for_a_year(zone_name: str, t: time, year: int) -> None:
    occurrences = daily_sequence(year, t, zone_name)
    days = [local_date(x, zone_name) for x in occurrences]
    first = date(year, 1, 1)
    assert days == [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]
    tz = zone(zone_name)
    for day, instant in zip(days, occurrences, strict=True):
        local = instant.astimezone(tz)
        assert local.fold == 0  # never the repeated hour of a fold
        assert local.replace(tzinfo=None) == expected_wall(day, t, zone_name)
        assert instant == to_utc(day, t, zone_name)
    for earlier, later in pairwise(occurrences):
        assert timedelta(hours=22) <= later - earlier <= timedelta(hours=25)


@settings(max_examples=200, deadline=None)
@given(
    zone_name=zones_st,
    t=times_st,
    after=st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC)),
)
def test_next_daily_is_strictly_after_and_first(zone_name: str, t: time, after: datetime) -> None:
    result = next_daily(after, t, zone_name)
    assert result.tzinfo is UTC
    assert after < result <= after + timedelta(hours=25)
    day = local_date(result, zone_name)
    assert to_utc(day - timedelta(days=1), t, zone_name) <= after  # nothing in between
    assert result.astimezone(zone(zone_name)).replace(tzinfo=None) == expected_wall(
        day, t, zone_name
    )


@settings(max_examples=25, deadline=None)
@given(
    zone_name=zones_st,
    t=times_st,
    year=years_st,
    weekdays=st.sets(st.integers(0, 6), min_size=1),
)
def test_weekly_matches_daily_filtered_by_weekday(zone_name: str, t: time, year: int,
                                                  weekdays: set[int]) -> None:
    daily = daily_sequence(year, t, zone_name)
    start, end = daily[0], daily[-1] + timedelta(seconds=1)
    weekly = weekly_occurrences(weekdays, t, zone_name, start, end)
    assert weekly == [x for x in daily if local_date(x, zone_name).weekday() in weekdays]


@pytest.mark.parametrize("zone_name", ["Europe/Berlin", "America/New_York", "Australia/Sydney",
                                       "Australia/Lord_Howe"])
def test_weekly_keeps_wall_clock_time_across_dst(zone_name: str) -> None:
    found = weekly_occurrences({0, 3}, time(18, 30), zone_name, utc(2025, 1, 1), utc(2026, 1, 1))
    assert len(found) == 104  # 2025 has 52 Mondays and 52 Thursdays
    tz = zone(zone_name)
    assert {x.astimezone(tz).time() for x in found} == {time(18, 30)}
    assert {x.astimezone(tz).weekday() for x in found} == {0, 3}
    assert len({x.utcoffset() for x in found}) == 1  # all UTC ...
    assert len({(x.hour, x.minute) for x in found}) == 2  # ... but UTC hour shifts with DST
    assert found == sorted(found)


def test_weekly_half_open_interval_and_gap() -> None:
    monday = utc(2025, 1, 6, 8)  # 09:00 Berlin
    found = weekly_occurrences({0}, time(9), "Europe/Berlin", monday, monday + timedelta(weeks=2))
    assert found == [monday, monday + timedelta(weeks=1)]
    sundays = weekly_occurrences({6}, time(2, 30), "Europe/Berlin", utc(2025, 3, 20),
                                 utc(2025, 4, 1))
    assert [x.astimezone(zone("Europe/Berlin")).time() for x in sundays] == [time(2, 30),
                                                                             time(3, 30)]
    with pytest.raises(ValueError):
        weekly_occurrences({7}, time(9), "UTC", monday, monday)


# --- zones ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("europe/berlin", "Europe/Berlin"), ("America/New York", "America/New_York"),
        ("Berlin", "Europe/Berlin"), ("New York", "America/New_York"),
        ("  new   york ", "America/New_York"), ("Istanbul", "Europe/Istanbul"),
        ("UTC", "UTC"), ("gmt", "UTC"), ("+0", "UTC"), ("+2", "UTC+02:00"),
        ("UTC+2", "UTC+02:00"), ("UTC-03:30", "UTC-03:30"), ("+05:45", "UTC+05:45"),
        ("GMT+1", "UTC+01:00"), ("utc + 5:30", "UTC+05:30"), ("UTC+14", "UTC+14:00"),
        ("UTC-12:00", "UTC-12:00"), ("+0545", "UTC+05:45"), ("UTC−3", "UTC-03:00"),
    ],
)
def test_parse_timezone_accepts(text: str, expected: str) -> None:
    assert parse_timezone(text) == expected
    zone(expected)  # usable


@pytest.mark.parametrize(
    "text",
    ["Mars/Phobos", "+25", "UTC+14:15", "UTC-12:30", "+05:20", "", "   ", "x" * 65,
     "Berlin" * 1000, "localtime", "Factory", "../etc/passwd", "Europe/", "/"],
)
def test_parse_timezone_rejects(text: str) -> None:
    with pytest.raises(TimeInputError) as err:
        parse_timezone(text)
    assert "UTC+2" in str(err.value) or "short" in str(err.value)


def test_zone_objects_and_descriptions() -> None:
    assert zone("Europe/Berlin") is zone("Europe/Berlin")
    assert zone("UTC+05:45").utcoffset(None) == timedelta(hours=5, minutes=45)
    assert zone("UTC-03:30").utcoffset(None) == -timedelta(hours=3, minutes=30)
    assert zone("UTC").utcoffset(None) == timedelta(0)
    with pytest.raises(TimeInputError):
        zone("Mars/Phobos")
    assert describe_zone("Europe/Berlin", utc(2025, 1, 1)) == "Europe/Berlin (UTC+01:00)"
    assert describe_zone("Europe/Berlin", utc(2025, 7, 1)) == "Europe/Berlin (UTC+02:00)"
    assert describe_zone("America/St_Johns", utc(2025, 1, 1)) == "America/St_Johns (UTC-03:30)"
    assert describe_zone("UTC+05:45", utc(2025, 1, 1)) == "UTC+05:45"
    assert 8 <= len(COMMON_ZONES) <= 12
    for _label, name in COMMON_ZONES:
        assert parse_timezone(name) == name


def test_local_date() -> None:
    assert local_date(utc(2025, 1, 1, 23), "Europe/Berlin") == date(2025, 1, 2)
    assert local_date(utc(2025, 1, 1, 2), "America/New_York") == date(2024, 12, 31)


# --- times of day -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8:30", time(8, 30)), ("08:30", time(8, 30)), ("8.30", time(8, 30)),
        ("0830", time(8, 30)), ("2015", time(20, 15)), ("8", time(8)), ("8am", time(8)),
        ("8:30 pm", time(20, 30)), ("8:30PM", time(20, 30)), ("20h15", time(20, 15)),
        ("20h", time(20)), ("noon", time(12)), ("Midnight", time(0)), ("12am", time(0)),
        ("12 pm", time(12)), ("23:59", time(23, 59)), ("0:00", time(0)),
    ],
)
def test_parse_time_of_day_accepts(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    "text", ["25:99", "noon-ish", "", "  ", "24:00", "-5", "-8:30", "13pm", "0am", "8:3",
             "830", "8:30:15", "٨:٣٠", "9" * 1000, "tomorrow"],
)
def test_parse_time_of_day_rejects(text: str) -> None:
    with pytest.raises(TimeInputError):
        parse_time_of_day(text)


def test_format_time() -> None:
    assert format_time(time(8, 5)) == "08:05"
    assert format_time(parse_time_of_day("8:30 pm")) == "20:30"


# --- durations --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "minutes"),
    [("24h", 1440), ("1h", 60), ("90m", 90), ("90 min", 90), ("1h30m", 90), ("1h 30m", 90),
     ("2 days", 2880), ("15", 15), ("1 hour and 30 minutes", 90), ("1 week", 10080)],
)
def test_parse_duration_accepts(text: str, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["-5", "-1h", "999 days", "15 days", "0", "0h", "", "garbage",
                                  "5 fortnights", "1.5h", "h", "9" * 100])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(TimeInputError):
        parse_duration(text)


def test_parse_duration_max_is_a_parameter() -> None:
    assert parse_duration("30 days", max_duration=timedelta(days=60)) == timedelta(days=30)
    with pytest.raises(TimeInputError, match="2 hours"):
        parse_duration("3h", max_duration=timedelta(hours=2))


@pytest.mark.parametrize(
    ("td", "text"),
    [(timedelta(hours=24), "24 hours"), (timedelta(hours=1), "1 hour"),
     (timedelta(minutes=30), "30 minutes"), (timedelta(minutes=90), "1 hour 30 minutes"),
     (timedelta(days=2), "2 days"), (timedelta(hours=30), "1 day 6 hours"),
     (timedelta(minutes=1), "1 minute"), (timedelta(0), "0 minutes")],
)
def test_humanize_delta(td: timedelta, text: str) -> None:
    assert humanize_delta(td) == text


# --- weekdays ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [("Mon, Thu", {0, 3}), ("mon thu", {0, 3}), ("weekdays", {0, 1, 2, 3, 4}),
     ("daily", set(range(7))), ("every day", set(range(7))), ("Tuesday", {1}),
     ("Mon-Fri", {0, 1, 2, 3, 4}), ("sat - mon", {5, 6, 0}), ("weekends", {5, 6}),
     ("Mondays and Fridays", {0, 4}), ("tues/thurs", {1, 3})],
)
def test_parse_weekdays_accepts(text: str, expected: set[int]) -> None:
    assert parse_weekdays(text) == expected


@pytest.mark.parametrize("text", ["", " , ", "funday", "mon-", "mon, someday", "x" * 200])
def test_parse_weekdays_rejects(text: str) -> None:
    with pytest.raises(TimeInputError):
        parse_weekdays(text)


# --- one-off date/times -----------------------------------------------------------------

NOW = utc(2026, 3, 2, 12)  # Monday, 13:00 in Berlin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03 18:30", utc(2026, 12, 3, 17, 30)),
        ("03.12.2026 18:30", utc(2026, 12, 3, 17, 30)),
        ("3.12.2026 6:30 pm", utc(2026, 12, 3, 17, 30)),
        ("tomorrow 18:30", utc(2026, 3, 3, 17, 30)),
        ("Tomorrow at 8am", utc(2026, 3, 3, 7)),
        ("today 18:30", utc(2026, 3, 2, 17, 30)),
        ("Mon 18:30", utc(2026, 3, 2, 17, 30)),  # today, still ahead
        ("monday 10:00", utc(2026, 3, 9, 9)),  # today's has passed -> next week
        ("Thu 18:30", utc(2026, 3, 5, 17, 30)),
        ("2026-03-29 02:30", utc(2026, 3, 29, 1, 30)),  # gap -> 03:30 CEST
    ],
)
def test_parse_local_datetime_accepts(text: str, expected: datetime) -> None:
    result = parse_local_datetime(text, "Europe/Berlin", NOW)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("2026-02-30 10:00", "calendar"), ("30.02.2026 10:00", "calendar"),
     ("2026-13-01 10:00", "calendar"), ("2025-12-03 18:30", "passed"),
     ("today 8:00", "passed"), ("2026-03-02 12:59", "passed"), ("0001-01-01 00:00", "passed"),
     ("9999-12-31 23:59", "far"), ("soon", "Try"), ("tomorrow", "Try"),
     ("tomorrow 25:00", "clock"), ("", "Try")],
)
def test_parse_local_datetime_rejects(text: str, fragment: str) -> None:
    with pytest.raises(TimeInputError, match=fragment):
        parse_local_datetime(text, "UTC+14:00" if text.startswith("0001") else "Europe/Berlin",
                             NOW)


# --- fuzzing: only TimeInputError may escape --------------------------------------------

@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=80),
                      st.from_regex(r"[0-9 :.+\-a-zA-Z/]{0,20}", fullmatch=True)))
def test_parsers_only_raise_time_input_error(text: str) -> None:
    parsers = [
        parse_timezone, parse_time_of_day, parse_duration, parse_weekdays,
        lambda s: parse_local_datetime(s, "Australia/Lord_Howe", NOW),
        lambda s: parse_local_datetime(s, "UTC-12:00", NOW),
    ]
    for parse in parsers:
        try:
            parse(text)
        except TimeInputError as err:
            assert 10 < len(str(err)) < 200
