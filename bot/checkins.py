"""Check-in domain rules: the participant's local day, moods, feelings, notes and streaks."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.charts import average, forgiving_streak, mood_label
from bot.delivery.outbox import MOOD_EMOJI
from bot.timeutil import local_date

NOTE_LIMIT = 1000
HISTORY_DAYS = 30
FEELINGS: tuple[str, ...] = (
    "calm",
    "hopeful",
    "grateful",
    "connected",
    "tired",
    "anxious",
    "sad",
    "lonely",
    "stressed",
    "angry",
)
_FEELING_EMOJI = {
    "calm": "🌿",
    "hopeful": "🌅",
    "grateful": "🙏",
    "connected": "🤝",
    "tired": "😴",
    "anxious": "😟",
    "sad": "😢",
    "lonely": "🫥",
    "stressed": "😣",
    "angry": "😠",
}


def today_for(zone_name: str, now: datetime) -> date:
    """The participant's local calendar day at `now`."""
    return local_date(now, zone_name)


def compact(day: date) -> str:
    """A day as YYYYMMDD (used in callback data)."""
    return day.strftime("%Y%m%d")


def parse_compact(text: str) -> date | None:
    """YYYYMMDD back to a date; None for anything malformed."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def valid_mood(value: int | None) -> bool:
    """True for a mood 1-5."""
    return value is not None and 1 <= value <= 5


def mood_text(mood: int) -> str:
    """"4 🙂 Good" for a mood."""
    return f"{mood} {MOOD_EMOJI.get(mood, '')} {mood_label(mood)}".replace("  ", " ")


def feeling_label(name: str) -> str:
    """A feeling with its emoji."""
    return f"{_FEELING_EMOJI.get(name, '')} {name}".strip()


def clean_tags(tags: object) -> list[str]:
    """Only known feelings, each once, in the canonical order."""
    chosen = set(tags) if isinstance(tags, list) else set()
    return [name for name in FEELINGS if name in chosen]


def note_problem(text: str) -> str | None:
    """Why a note cannot be stored ("empty", "too_long"), or None when it is fine."""
    if not text.strip():
        return "empty"
    if len(text) > NOTE_LIMIT:
        return "too_long"
    return None


def streak(dates: set[date], today: date) -> int:
    """The forgiving streak (one missed day a week is forgiven)."""
    return forgiving_streak(dates, today)


def history_window(today: date, days: int = HISTORY_DAYS) -> tuple[date, date]:
    """First and last day of the history shown by /mood."""
    return today - timedelta(days=days - 1), today


def mood_average(points: list[tuple[date, int]]) -> float | None:
    """Average mood of the points, or None."""
    return average(points)
