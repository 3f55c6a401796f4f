"""PNG charts and text summaries for mood check-ins.

Pure module: plain data in, PNG bytes (or text) out. It knows nothing about
Telegram or the database.

Rendering uses matplotlib's object-oriented API only (``matplotlib.figure.Figure``
with an explicit Agg canvas). pyplot is never imported, so no global figure
registry is touched: renders are independent of each other, safe to run from
worker threads, and every figure is garbage as soon as the function returns.
No global ``rcParams`` are changed either; fonts and styles are passed to each
artist explicitly.

Palette: Okabe-Ito colours (colour-blind safe) on a white background with
near-black text for high contrast.
"""

from __future__ import annotations

import io
import math
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator

__all__ = [
    "MOOD_LABELS",
    "average",
    "forgiving_streak",
    "group_trend_chart",
    "mood_chart",
    "mood_label",
    "mood_summary_text",
]

MOOD_LABELS: dict[int, str] = {
    1: "Very low",
    2: "Low",
    3: "Okay",
    4: "Good",
    5: "Great",
}

STREAK_WINDOW_DAYS = 7
"""Length of the sliding window in which ``grace`` missed days are forgiven."""

# --- style -----------------------------------------------------------------

_DPI = 150
_WIDTH_PX = 1000
_HEIGHT_PX = 600
_HEIGHT_WITH_WHO5_PX = 800

_FONT = "DejaVu Sans"  # bundled with matplotlib, always available

# Okabe-Ito palette (colour-blind safe).
_BLUE = "#0072B2"
_ORANGE = "#E69F00"
_VERMILLION = "#D55E00"
_GREEN = "#009E73"
_TEXT = "#1F1F1F"
_MUTED = "#555555"
_GRID = "#E3E3E3"
_BAR = "#BFD7EA"  # light tint of the blue, for count bars

_TITLE_PT = 15
_SUBTITLE_PT = 11.5
_TICK_PT = 10.5
_NOTE_PT = 11

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- pure helpers ----------------------------------------------------------


def mood_label(value: float) -> str:
    """Return the word for a mood value (rounded half up, clamped to 1..5)."""
    key = min(5, max(1, math.floor(value + 0.5)))
    return MOOD_LABELS[key]


def average(points: Iterable[tuple[date, int | float]]) -> float | None:
    """Mean of the mood values in ``points``, or ``None`` if there are none.

    The result is not rounded; round for display.
    """
    values = [float(v) for _, v in points]
    if not values:
        return None
    return sum(values) / len(values)


def forgiving_streak(dates: set[date], today: date, grace: int = 1) -> int:
    """Length of the current check-in streak, forgiving occasional missed days.

    Exact rule:

    1. Dates after ``today`` are ignored.
    2. The streak ends at its *anchor*: ``today`` if there is a check-in today,
       otherwise ``yesterday`` if there is one yesterday (not having checked in
       yet today never breaks a streak). With neither, the streak is 0.
    3. The streak covers the longest run of calendar days ``[start, anchor]``
       such that ``start`` is a check-in day and **every 7-day window** lying
       inside the run contains at most ``grace`` days without a check-in
       (runs shorter than 7 days are checked as a whole). Equivalently, walking
       back from the anchor, the streak breaks at the first missed day that
       would make some 7 consecutive days contain more than ``grace`` misses.
    4. The value is the number of **check-in days** in that run: missed days
       are forgiven, but never counted.

    So with ``grace=1`` one missed day per week is fine (a check-in pattern of
    six days on, one day off continues forever), but two misses within any 7
    consecutive days break the streak. ``grace=0`` gives a classic
    consecutive-days streak.

    Guarantees: the result is never negative, never more than the number of
    check-in days on or before ``today``, never decreases when ``grace`` grows
    or when check-in days are added, and is at least 1 if there is a check-in
    today or yesterday.

    Raises ``ValueError`` if ``grace`` is negative.
    """
    if grace < 0:
        raise ValueError("grace must be >= 0")
    past = {d for d in dates if d <= today}
    if today in past:
        anchor = today
    elif today - timedelta(days=1) in past:
        anchor = today - timedelta(days=1)
    else:
        return 0

    earliest = min(past)
    one_day = timedelta(days=1)
    count = 0
    # Missed days inside the window [day, day + 6]; walking backwards, each new
    # miss is older than the ones kept, so the newest sits at the left end.
    misses: deque[date] = deque()
    day = anchor
    while day >= earliest:
        window_end = day + timedelta(days=STREAK_WINDOW_DAYS - 1)
        while misses and misses[0] > window_end:
            misses.popleft()
        if day in past:
            count += 1
        else:
            misses.append(day)
            if len(misses) > grace:
                break
        day -= one_day
    return count


def mood_summary_text(
    points: Sequence[tuple[date, int]],
    *,
    average: float | None,
    streak: int,
    days: int = 30,
) -> str:
    """A short, warm text version of the mood chart.

    Used when there are too few points for a chart or a photo cannot be sent.
    Never mentions missed days; mentions the streak only when it is 2 or more.
    """
    n = len(points)
    period = f"the last {days} days" if days != 1 else "the last day"
    if n == 0:
        return (
            f"No check-ins in {period} yet — and that's okay. "
            "Whenever you're ready, a quick check-in is all it takes."
        )

    _, latest = max(points, key=lambda p: p[0])
    times = "1 time" if n == 1 else f"{n} times"
    parts = [f"You've checked in {times} in {period}."]
    if n == 1:
        parts.append(f"Your mood: {latest} ({mood_label(latest)}).")
    else:
        if average is not None:
            parts.append(f"Your average mood: {average:.1f} ({mood_label(average)}).")
        parts.append(f"Most recent: {latest} ({mood_label(latest)}).")
    if streak >= 2:
        parts.append(f"You're on a {streak}-day streak.")
    parts.append("Every check-in counts — see you tomorrow.")
    return " ".join(parts)


# --- rendering helpers -----------------------------------------------------


def _new_figure(height_px: int) -> Figure:
    fig = Figure(figsize=(_WIDTH_PX / _DPI, height_px / _DPI), dpi=_DPI, facecolor="white")
    FigureCanvasAgg(fig)  # attach an Agg canvas explicitly; no pyplot, no globals
    return fig


def _to_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=_DPI, facecolor="white")
    finally:
        fig.clear()
    return buf.getvalue()


def _window(end: date, days: int) -> tuple[date, date]:
    if days < 1:
        raise ValueError("days must be >= 1")
    return end - timedelta(days=days - 1), end


def _in_window(items: Iterable[tuple[date, float]], start: date, end: date) -> dict[date, float]:
    """Keep points inside [start, end]; for duplicate dates the last one wins."""
    out: dict[date, float] = {}
    for d, v in items:
        if start <= d <= end:
            out[d] = float(v)
    return dict(sorted(out.items()))


def _segments(values: dict[date, float]) -> list[tuple[list[int], list[float]]]:
    """Split sorted day->value data into runs of consecutive days (x as ordinals)."""
    segs: list[tuple[list[int], list[float]]] = []
    prev: int | None = None
    for d, v in values.items():
        x = d.toordinal()
        if prev is None or x != prev + 1:
            segs.append(([], []))
        segs[-1][0].append(x)
        segs[-1][1].append(v)
        prev = x
    return segs


def _date_label(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]}"  # locale-independent


def _style_axes(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#9A9A9A")
    ax.tick_params(colors=_TEXT, labelsize=_TICK_PT, labelfontfamily=_FONT, length=0, pad=6)
    ax.set_facecolor("white")


def _setup_date_axis(ax: Axes, start: date, end: date) -> None:
    days = (end - start).days + 1
    step = 1 if days <= 8 else 2 if days <= 16 else 7 if days <= 60 else 14
    ticks = [end - timedelta(days=i * step) for i in range(days // step + 1)]
    ticks = [t for t in ticks if t >= start][::-1]
    ax.xaxis.set_major_locator(FixedLocator([t.toordinal() for t in ticks]))
    ax.set_xticklabels([_date_label(t) for t in ticks])
    ax.set_xlim(start.toordinal() - 0.7, end.toordinal() + 0.7)


def _setup_mood_axis(ax: Axes) -> None:
    ax.set_ylim(0.6, 5.4)
    ax.yaxis.set_major_locator(FixedLocator([1, 2, 3, 4, 5]))
    ax.set_yticklabels([MOOD_LABELS[i] for i in range(1, 6)])
    ax.grid(axis="y", color=_GRID, linewidth=0.9)
    ax.set_axisbelow(True)


def _plot_gapped_line(ax: Axes, values: dict[date, float], color: str) -> None:
    for xs, ys in _segments(values):
        ax.plot(
            xs,
            ys,
            color=color,
            linewidth=2.2,
            marker="o",
            markersize=6.5,
            markerfacecolor=color,
            markeredgecolor="white",
            markeredgewidth=1.2,
            solid_capstyle="round",
            zorder=3,
        )


def _layout(fig: Figure, *, bottom_px: int = 70) -> None:
    """Fixed pixel margins, so the header looks the same whatever the height."""
    height = fig.get_figheight() * _DPI
    fig.subplots_adjust(left=0.14, right=0.86, top=1 - 115 / height, bottom=bottom_px / height)


def _header(fig: Figure, title: str, subtitle: str | None) -> None:
    height = fig.get_figheight() * _DPI
    fig.text(
        0.03,
        1 - 24 / height,
        title,
        fontsize=_TITLE_PT,
        fontweight="bold",
        family=_FONT,
        color=_TEXT,
        va="top",
        ha="left",
    )
    if subtitle:
        fig.text(
            0.03,
            1 - 66 / height,
            subtitle,
            fontsize=_SUBTITLE_PT,
            family=_FONT,
            color=_MUTED,
            va="top",
            ha="left",
        )


def _empty_note(ax: Axes, text: str) -> None:
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=_NOTE_PT,
        family=_FONT,
        color=_MUTED,
        bbox={"boxstyle": "round,pad=0.5", "facecolor": "white", "edgecolor": "none"},
    )


def _check_range(values: Iterable[float], lo: float, hi: float, what: str) -> None:
    for v in values:
        if not (lo <= v <= hi) or math.isnan(v):
            raise ValueError(f"{what} must be between {lo:g} and {hi:g}, got {v!r}")


def _period_phrase(days: int) -> str:
    return "today" if days == 1 else f"last {days} days"


# --- charts ----------------------------------------------------------------


def mood_chart(
    points: list[tuple[date, int]],
    *,
    end: date,
    days: int = 30,
    average: float | None,
    streak: int,
    who5: list[tuple[date, int]] | None = None,
) -> bytes:
    """Render a participant's mood over the ``days`` days ending at ``end``.

    ``points`` are (day, mood 1..5); points outside the window are ignored and
    for duplicate days the last one wins. Consecutive days are joined by a line,
    missed days leave a gap (nothing is drawn for them). ``average`` is drawn as
    a dashed line when given. ``who5`` (day, score 0..100) adds a small second
    panel. Returns PNG bytes (1000x600 px, or 1000x800 with WHO-5).

    Raises ``ValueError`` for out-of-range values or ``days < 1``.
    """
    start, end = _window(end, days)
    moods = _in_window(points, start, end)
    _check_range(moods.values(), 1, 5, "mood")
    if average is not None:
        _check_range([average], 1, 5, "average")
    who = _in_window(who5, start, end) if who5 else {}
    _check_range(who.values(), 0, 100, "WHO-5 score")
    show_who5 = who5 is not None and len(who5) > 0

    fig = _new_figure(_HEIGHT_WITH_WHO5_PX if show_who5 else _HEIGHT_PX)
    if show_who5:
        ax, ax_who = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.15], "hspace": 0.28}
        )
    else:
        ax = fig.subplots()
        ax_who = None
    _layout(fig)

    sub: list[str] = []
    sub.append(f"Average {average:.1f}" if average is not None else "No average yet")
    if streak > 0:
        sub.append(f"{streak}-day streak")
    _header(fig, f"Your mood, {_period_phrase(days)}", " · ".join(sub))

    _style_axes(ax)
    _setup_mood_axis(ax)
    _setup_date_axis(ax, start, end)
    if average is not None:
        ax.axhline(average, color=_VERMILLION, linestyle=(0, (5, 3)), linewidth=1.6, zorder=2)
        ax.annotate(
            f"avg {average:.1f}",
            xy=(1.0, average),
            xycoords=("axes fraction", "data"),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=_TICK_PT,
            family=_FONT,
            color=_VERMILLION,
            annotation_clip=False,
        )
    if moods:
        _plot_gapped_line(ax, moods, _BLUE)
    else:
        _empty_note(ax, "No check-ins in this period yet")

    if ax_who is not None:
        _style_axes(ax_who)
        ax_who.set_ylim(-5, 105)
        ax_who.yaxis.set_major_locator(FixedLocator([0, 50, 100]))
        ax_who.grid(axis="y", color=_GRID, linewidth=0.9)
        ax_who.set_axisbelow(True)
        ax_who.set_ylabel("WHO-5", fontsize=_TICK_PT, family=_FONT, color=_TEXT)
        _setup_date_axis(ax_who, start, end)
        ax.tick_params(labelbottom=False)
        if who:
            # WHO-5 is a periodic questionnaire (two-week recall), not a daily
            # value, so its points are joined across the days in between.
            ax_who.plot(
                [d.toordinal() for d in who],
                list(who.values()),
                color=_GREEN,
                linewidth=1.8,
                marker="o",
                markersize=6,
                markeredgecolor="white",
                markeredgewidth=1.1,
                zorder=3,
            )
        else:
            _empty_note(ax_who, "No WHO-5 scores in this period")

    return _to_png(fig)


def group_trend_chart(
    daily: list[tuple[date, float, int]],
    *,
    title: str,
    end: date,
    days: int,
) -> bytes:
    """Render a group's daily average mood with check-in counts as light bars.

    ``daily`` is (day, average mood 1..5, number of check-ins). The caller is
    expected to have dropped days with too few contributors; missing days are
    left empty (no line is drawn across them). Days outside the ``days``-long
    window ending at ``end`` are ignored. Returns 1000x600 PNG bytes.

    Raises ``ValueError`` for out-of-range values or ``days < 1``.
    """
    start, end = _window(end, days)
    avgs: dict[date, float] = {}
    counts: dict[date, int] = {}
    for d, avg, n in daily:
        if start <= d <= end:
            avgs[d] = float(avg)
            counts[d] = int(n)
    avgs = dict(sorted(avgs.items()))
    _check_range(avgs.values(), 1, 5, "average mood")
    if any(n < 0 for n in counts.values()):
        raise ValueError("check-in counts must be >= 0")

    fig = _new_figure(_HEIGHT_PX)
    ax = fig.subplots()
    _layout(fig)
    subtitle = (
        f"Daily average mood, {_period_phrase(days)} · light bars: check-ins" if avgs else None
    )
    _header(fig, title, subtitle)

    ax_n = ax.twinx()
    # Mood line above the bars; the mood axes' background must be transparent.
    ax.set_zorder(ax_n.get_zorder() + 1)
    ax.patch.set_visible(False)

    _style_axes(ax)
    _setup_mood_axis(ax)
    _setup_date_axis(ax, start, end)

    for side in ("top", "left", "bottom"):
        ax_n.spines[side].set_visible(False)
    ax_n.spines["right"].set_visible(False)
    ax_n.tick_params(colors=_MUTED, labelsize=_TICK_PT - 1, labelfontfamily=_FONT, length=0, pad=6)
    ax_n.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    max_n = max(counts.values(), default=0)
    # Bars use at most the lower half of the plot so they stay in the background.
    ax_n.set_ylim(0, max(max_n, 1) * 2.0)
    ax_n.set_ylabel("Check-ins", fontsize=_TICK_PT - 1, family=_FONT, color=_MUTED)

    if avgs:
        ax_n.bar(
            [d.toordinal() for d in counts],
            list(counts.values()),
            width=0.7,
            color=_BAR,
            edgecolor="none",
            zorder=1,
        )
        _plot_gapped_line(ax, avgs, _BLUE)
    else:
        _empty_note(ax, "Not enough check-ins in this period to show a trend")
        ax_n.set_yticks([])
        ax_n.set_ylabel("")

    return _to_png(fig)
