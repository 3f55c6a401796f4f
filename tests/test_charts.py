"""Tests for bot.charts: PNG rendering, text fallback, streak and average."""

from __future__ import annotations

import gc
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from bot.charts import (
    MOOD_LABELS,
    _segments,
    average,
    forgiving_streak,
    group_trend_chart,
    mood_chart,
    mood_label,
    mood_summary_text,
)

END = date(2025, 3, 30)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_plausible_png(data: bytes, size: tuple[int, int] = (1000, 600)) -> None:
    assert data.startswith(PNG_MAGIC)
    assert png_size(data) == size
    assert 5_000 < len(data) < 600_000
    assert data.endswith(b"IEND\xaeB`\x82")


def days_back(*offsets: int, mood: int = 3) -> list[tuple[date, int]]:
    return sorted((END - timedelta(days=o), mood) for o in offsets)


# --- mood_chart --------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 30])
def test_mood_chart_point_counts(n: int) -> None:
    points = [(END - timedelta(days=i), 1 + i % 5) for i in range(n)]
    png = mood_chart(points, end=END, average=average(points), streak=min(n, 3))
    assert_plausible_png(png)


def test_mood_chart_with_gaps_and_none_average() -> None:
    points = days_back(0, 1, 2, 5, 9, 10, 20, 29)
    assert_plausible_png(mood_chart(points, end=END, average=None, streak=0))


def test_mood_chart_ignores_points_outside_window() -> None:
    points = [(END + timedelta(days=3), 5), (END - timedelta(days=400), 1), (END, 4)]
    assert_plausible_png(mood_chart(points, end=END, average=4.0, streak=1))


def test_mood_chart_duplicate_days_and_unsorted_input() -> None:
    points = [(END, 2), (END - timedelta(days=3), 5), (END, 4), (END - timedelta(days=1), 1)]
    assert_plausible_png(mood_chart(points, end=END, average=3.0, streak=2))


@pytest.mark.parametrize("days", [1, 7, 14, 90])
def test_mood_chart_other_window_lengths(days: int) -> None:
    points = [(END - timedelta(days=i), 4) for i in range(0, days, 2)]
    assert_plausible_png(mood_chart(points, end=END, days=days, average=4.0, streak=1))


def test_mood_chart_with_who5_panel() -> None:
    points = days_back(0, 1, 3, 4)
    who5 = [(END - timedelta(days=14), 44), (END, 68)]
    png = mood_chart(points, end=END, average=3.0, streak=4, who5=who5)
    assert_plausible_png(png, size=(1000, 800))


def test_mood_chart_with_who5_outside_window_still_renders() -> None:
    who5 = [(END - timedelta(days=100), 50)]
    png = mood_chart([], end=END, average=None, streak=0, who5=who5)
    assert_plausible_png(png, size=(1000, 800))


def test_mood_chart_empty_who5_list_means_no_panel() -> None:
    png = mood_chart(days_back(0, 1), end=END, average=3.0, streak=2, who5=[])
    assert png_size(png) == (1000, 600)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"points": [(END, 6)]},
        {"points": [(END, 0)]},
        {"points": [(END, 3)], "average": 7.5},
        {"points": [(END, 3)], "days": 0},
        {"points": [(END, 3)], "who5": [(END, 101)]},
        {"points": [(END, 3)], "who5": [(END, -1)]},
    ],
)
def test_mood_chart_rejects_invalid_input(kwargs: dict) -> None:
    args: dict = {"end": END, "average": None, "streak": 0}
    args.update(kwargs)
    with pytest.raises(ValueError):
        mood_chart(**args)


def test_segments_split_on_missing_days() -> None:
    d0 = date(2025, 1, 1)
    values = {
        d0: 1.0,
        d0 + timedelta(days=1): 2.0,
        d0 + timedelta(days=2): 3.0,
        d0 + timedelta(days=4): 4.0,  # gap on day 3
        d0 + timedelta(days=7): 5.0,  # gap on days 5-6
        d0 + timedelta(days=8): 4.0,
    }
    segs = _segments(values)
    assert [ys for _, ys in segs] == [[1.0, 2.0, 3.0], [4.0], [5.0, 4.0]]
    for xs, _ in segs:
        assert all(b - a == 1 for a, b in pairwise(xs))


def test_segments_across_month_and_year_boundary() -> None:
    values = {date(2024, 12, 31): 3.0, date(2025, 1, 1): 4.0}
    assert len(_segments(values)) == 1
    assert _segments({}) == []


# --- group_trend_chart -------------------------------------------------------


def test_group_chart_basic_with_gaps() -> None:
    daily = [
        (END - timedelta(days=i), 2.5 + (i % 4) * 0.5, 3 + i % 6)
        for i in range(30)
        if i not in (4, 5, 12, 20, 21, 22)
    ]
    png = group_trend_chart(daily, title="Tuesday Circle — mood trend", end=END, days=30)
    assert_plausible_png(png)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_group_chart_few_days(n: int) -> None:
    daily = [(END - timedelta(days=2 * i), 3.3, 5) for i in range(n)]
    assert_plausible_png(group_trend_chart(daily, title="Group", end=END, days=14))


@pytest.mark.parametrize(
    "daily",
    [
        [(END, 0.5, 3)],
        [(END, 5.5, 3)],
        [(END, 3.0, -1)],
        [(END, float("nan"), 3)],
    ],
)
def test_group_chart_rejects_invalid_input(daily: list) -> None:
    with pytest.raises(ValueError):
        group_trend_chart(daily, title="G", end=END, days=30)


# --- rendering properties: speed, no pyplot, threads, no leaks ---------------


def test_render_is_fast() -> None:
    points = [(END - timedelta(days=i), 1 + i % 5) for i in range(30) if i % 7]
    mood_chart(points, end=END, average=3.0, streak=3)  # warm font caches
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        mood_chart(points, end=END, average=3.0, streak=3)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.3


def test_module_never_imports_pyplot() -> None:
    code = (
        "import sys, datetime\n"
        "from bot.charts import mood_chart, group_trend_chart\n"
        "d = datetime.date(2025, 1, 31)\n"
        "mood_chart([(d, 3)], end=d, average=3.0, streak=1)\n"
        "group_trend_chart([(d, 3.0, 4)], title='t', end=d, days=7)\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_parallel_renders_from_threads() -> None:
    def render(i: int) -> bytes:
        points = [(END - timedelta(days=k), 1 + (k + i) % 5) for k in range(0, 30, 1 + i % 3)]
        if i % 2:
            return group_trend_chart(
                [(d, float(v), 3 + i) for d, v in points], title=f"G{i}", end=END, days=30
            )
        return mood_chart(points, end=END, average=average(points), streak=i)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(render, range(8)))
    for png in results:
        assert_plausible_png(png)


def test_figures_are_freed() -> None:
    def live_figures() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, Figure))

    mood_chart(days_back(0, 1), end=END, average=3.0, streak=2)
    before = live_figures()
    for _ in range(10):
        mood_chart(days_back(0, 1, 2), end=END, average=3.0, streak=3)
        group_trend_chart([(END, 3.0, 4)], title="G", end=END, days=7)
    assert live_figures() <= before


# --- mood_summary_text -------------------------------------------------------


def test_summary_single_point_matches_spec_example() -> None:
    text = mood_summary_text([(END, 4)], average=4.0, streak=1)
    assert text == (
        "You've checked in 1 time in the last 30 days. Your mood: 4 (Good). "
        "Every check-in counts — see you tomorrow."
    )


def test_summary_no_points_is_gentle() -> None:
    text = mood_summary_text([], average=None, streak=0)
    assert "No check-ins" in text
    assert "okay" in text.lower()
    assert "ready" in text


def test_summary_many_points() -> None:
    points = [(END - timedelta(days=2), 3), (END - timedelta(days=1), 4), (END, 5)]
    text = mood_summary_text(points, average=4.0, streak=3)
    assert "3 times" in text
    assert "average mood: 4.0 (Good)" in text
    assert "Most recent: 5 (Great)" in text  # latest by date, not by list order
    assert "3-day streak" in text
    assert "Every check-in counts" in text


def test_summary_latest_is_by_date_not_position() -> None:
    points = [(END, 1), (END - timedelta(days=5), 5)]
    text = mood_summary_text(points, average=3.0, streak=1)
    assert "Most recent: 1 (Very low)" in text


def test_summary_respects_days_argument() -> None:
    assert "the last 7 days" in mood_summary_text([(END, 2)], average=2.0, streak=1, days=7)


@pytest.mark.parametrize("streak", [0, 1])
def test_summary_does_not_mention_small_streaks(streak: int) -> None:
    text = mood_summary_text([(END, 3), (END - timedelta(days=4), 2)], average=2.5, streak=streak)
    assert "streak" not in text


@given(
    moods=st.lists(st.integers(1, 5), max_size=40),
    streak=st.integers(0, 60),
)
def test_summary_never_shames(moods: list[int], streak: int) -> None:
    points = [(END - timedelta(days=i), m) for i, m in enumerate(moods)]
    text = mood_summary_text(points, average=average(points), streak=streak).lower()
    for word in ("missed", "miss ", "only", "failed", "broke", "lost", "should"):
        assert word not in text
    assert text.strip()


# --- average / labels --------------------------------------------------------


def test_average() -> None:
    assert average([]) is None
    assert average([(END, 4)]) == 4.0
    assert average([(END, 3), (END, 4)]) == pytest.approx(3.5)


def test_mood_label() -> None:
    assert [mood_label(i) for i in range(1, 6)] == [MOOD_LABELS[i] for i in range(1, 6)]
    assert mood_label(3.4) == "Okay"
    assert mood_label(3.5) == "Good"
    assert mood_label(0.2) == "Very low"
    assert mood_label(9) == "Great"


# --- forgiving_streak: examples ----------------------------------------------

TODAY = date(2025, 6, 15)


def ds(*offsets: int) -> set[date]:
    """Dates `offset` days before TODAY."""
    return {TODAY - timedelta(days=o) for o in offsets}


def test_streak_empty_and_stale() -> None:
    assert forgiving_streak(set(), TODAY) == 0
    assert forgiving_streak(ds(2, 3, 4, 5), TODAY) == 0  # neither today nor yesterday


def test_streak_today_only_and_yesterday_only() -> None:
    assert forgiving_streak(ds(0), TODAY) == 1
    assert forgiving_streak(ds(1), TODAY) == 1  # today not checked in yet: still alive


def test_streak_consecutive() -> None:
    assert forgiving_streak(ds(*range(10)), TODAY) == 10
    assert forgiving_streak(ds(*range(1, 11)), TODAY) == 10


def test_streak_forgives_one_miss_per_week() -> None:
    # Missed day 3 only: forgiven, counts the 9 check-in days.
    assert forgiving_streak(ds(0, 1, 2, 4, 5, 6, 7, 8, 9), TODAY) == 9
    # Six on, one off, repeated for four weeks: never breaks with grace=1.
    days = {o for o in range(28) if o % 7 != 6}
    assert forgiving_streak(ds(*days), TODAY) == len(days)


def test_streak_two_misses_in_a_week_break() -> None:
    # Misses on days 3 and 6 (within 7 days): streak is days 0-5 minus 3.
    assert forgiving_streak(ds(0, 1, 2, 4, 5, 7, 8, 9), TODAY) == 5
    # Two misses in a row break too.
    assert forgiving_streak(ds(0, 1, 4, 5, 6), TODAY) == 2


def test_streak_misses_far_apart_are_each_forgiven() -> None:
    # Misses at 2 and 9 are 7 days apart: no 7-day window holds both.
    offsets = set(range(14)) - {2, 9}
    assert forgiving_streak(ds(*offsets), TODAY) == 12
    # Misses at 2 and 8 are 6 days apart: the window [2, 8] holds both.
    offsets = set(range(14)) - {2, 8}
    assert forgiving_streak(ds(*offsets), TODAY) == 7  # days 0..7 minus 2


def test_streak_grace_zero_is_classic() -> None:
    assert forgiving_streak(ds(0, 1, 2, 4, 5), TODAY, grace=0) == 3
    assert forgiving_streak(ds(1, 2, 4), TODAY, grace=0) == 2


def test_streak_grace_two() -> None:
    assert forgiving_streak(ds(0, 1, 4, 5, 6), TODAY, grace=2) == 5
    assert forgiving_streak(ds(0, 4, 5, 6), TODAY, grace=2) == 1


def test_streak_ignores_future_dates() -> None:
    future = {TODAY + timedelta(days=i) for i in range(1, 5)}
    assert forgiving_streak(future, TODAY) == 0
    assert forgiving_streak(ds(0, 1) | future, TODAY) == 2


def test_streak_rejects_negative_grace() -> None:
    with pytest.raises(ValueError):
        forgiving_streak(ds(0), TODAY, grace=-1)


def test_streak_large_grace_terminates() -> None:
    assert forgiving_streak(ds(0, 30, 60), TODAY, grace=10) == 3


# --- forgiving_streak: properties ------------------------------------------------

offsets_st = st.sets(st.integers(min_value=-5, max_value=60), max_size=50)
grace_st = st.integers(min_value=0, max_value=3)


def reference_streak(dates: set[date], today: date, grace: int) -> int:
    """Brute-force transcription of the documented rule."""
    past = {d for d in dates if d <= today}
    if today in past:
        anchor = today
    elif today - timedelta(days=1) in past:
        anchor = today - timedelta(days=1)
    else:
        return 0
    for start in sorted(past):  # earliest valid start gives the longest run
        if start > anchor:
            break
        valid = True
        w = start
        while w <= anchor:
            w_end = min(w + timedelta(days=6), anchor)
            misses = sum(
                1 for k in range((w_end - w).days + 1) if w + timedelta(days=k) not in past
            )
            if misses > grace:
                valid = False
                break
            w += timedelta(days=1)
        if valid:
            return sum(1 for d in past if start <= d <= anchor)
    raise AssertionError("anchor itself is always a valid start")


def plain_streak(dates: set[date], today: date) -> int:
    day = today if today in dates else today - timedelta(days=1)
    n = 0
    while day in dates:
        n += 1
        day -= timedelta(days=1)
    return n


@settings(max_examples=300)
@given(offsets=offsets_st, grace=grace_st)
def test_prop_matches_reference(offsets: set[int], grace: int) -> None:
    dates = ds(*offsets)
    assert forgiving_streak(dates, TODAY, grace) == reference_streak(dates, TODAY, grace)


@given(offsets=offsets_st, grace=grace_st)
def test_prop_bounds(offsets: set[int], grace: int) -> None:
    dates = ds(*offsets)
    s = forgiving_streak(dates, TODAY, grace)
    assert s >= 0
    assert s <= len({d for d in dates if d <= TODAY})
    if TODAY in dates or TODAY - timedelta(days=1) in dates:
        assert s >= 1
    else:
        assert s == 0


@given(offsets=offsets_st)
def test_prop_grace_zero_is_plain_consecutive_streak(offsets: set[int]) -> None:
    dates = ds(*offsets)
    assert forgiving_streak(dates, TODAY, 0) == plain_streak(dates, TODAY)


@given(offsets=offsets_st, grace=grace_st)
def test_prop_monotone_in_grace(offsets: set[int], grace: int) -> None:
    dates = ds(*offsets)
    assert forgiving_streak(dates, TODAY, grace + 1) >= forgiving_streak(dates, TODAY, grace)
    assert forgiving_streak(dates, TODAY, grace) >= plain_streak(dates, TODAY)


@given(offsets=offsets_st, extra=st.integers(min_value=0, max_value=60), grace=grace_st)
def test_prop_checking_in_never_lowers_streak(offsets: set[int], extra: int, grace: int) -> None:
    dates = ds(*offsets)
    more = dates | ds(extra)
    assert forgiving_streak(more, TODAY, grace) >= forgiving_streak(dates, TODAY, grace)


@given(offsets=offsets_st, grace=grace_st)
def test_prop_checking_in_today_extends_by_one(offsets: set[int], grace: int) -> None:
    # Yesterday's streak continues when you check in today (today was pending).
    dates = ds(*offsets) - ds(0)
    before = forgiving_streak(dates, TODAY, grace)
    if TODAY - timedelta(days=1) in dates:
        assert forgiving_streak(dates | ds(0), TODAY, grace) == before + 1
