"""The contract of the delivery engine: how features plan messages and how they are rendered.

Every scheduled or bulk message is a `Delivery` row written before anything is sent. Features:
- call `enqueue(...)` inside their own transaction (idempotent by `key`);
- register a renderer for their kind with `@renderer(KIND)`, which builds the message at send
  time from the database (so a cancelled session or a removed share is not sent);
- may register a planner with `@planner` (called on every planner tick with a fresh
  transaction) and an outcome hook with `@on_outcome(KIND)`.
Nothing here knows Telegram objects: messages are `Rendered` with `Button`s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, DeliveryStatus

if TYPE_CHECKING:
    from bot.services import Services

# Kinds of delivery (the lateness policy is per kind).
CHECKIN_PROMPT = "checkin_prompt"
NUDGE = "nudge"
SESSION_REMINDER = "session_reminder"
SESSION_CHANGED = "session_changed"
ANNOUNCEMENT = "announcement"
ALERT = "alert"
DIGEST = "digest"
SHARE_BATCH = "share_batch"
NOTICE = "notice"  # a one-off message whose HTML (no member free text) is in payload["text"]


@dataclass(frozen=True)
class Button:
    """An inline button: callback data or a URL."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass
class Rendered:
    """A message ready to send; `skip` explains why it must not be sent any more."""

    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    skip: str | None = None


Renderer = Callable[[AsyncSession, Delivery, "Services"], Awaitable[Rendered]]
Planner = Callable[[AsyncSession, "Services", datetime], Awaitable[int]]
OutcomeHook = Callable[["Services", Delivery], Awaitable[None]]

RENDERERS: dict[str, Renderer] = {}
PLANNERS: list[Planner] = []
OUTCOME_HOOKS: dict[str, list[OutcomeHook]] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of a delivery kind."""

    def register(func: Renderer) -> Renderer:
        RENDERERS[kind] = func
        return func

    return register


def planner(func: Planner) -> Planner:
    """Register a planner: turns what is due at `now` into deliveries; returns how many."""
    if func not in PLANNERS:
        PLANNERS.append(func)
    return func


def on_outcome(kind: str) -> Callable[[OutcomeHook], OutcomeHook]:
    """Register a hook called after a delivery of `kind` reached a final outcome."""

    def register(func: OutcomeHook) -> OutcomeHook:
        OUTCOME_HOOKS.setdefault(kind, []).append(func)
        return func

    return register


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    recipient_id: int,
    due_at: datetime,
    now: datetime,
    subject_id: int | None = None,
    payload: dict[str, Any] | None = None,
    not_after: datetime | None = None,
) -> bool:
    """Write one delivery unless one with `key` exists; True when a new row was written.

    `key` identifies (kind, subject, occurrence, recipient), e.g.
    "session_reminder:occ42:1440:user7", so planning twice creates nothing new.
    """
    if len(key) > 160:
        raise ValueError("delivery key too long")
    values = {
        "key": key,
        "kind": kind,
        "recipient_id": recipient_id,
        "subject_id": subject_id,
        "payload": payload or {},
        "status": DeliveryStatus.PENDING,
        "due_at": due_at,
        "not_after": not_after,
        "next_attempt_at": due_at,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Delivery).values(**values).on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Planned:
    """One delivery for `enqueue_many` (same fields and meaning as `enqueue`'s arguments)."""

    kind: str
    key: str
    recipient_id: int
    due_at: datetime
    subject_id: int | None = None
    payload: dict[str, Any] | None = None
    not_after: datetime | None = None


ENQUEUE_CHUNK = 500
"""Rows per multi-row INSERT (13 bound values each: well under SQLite's variable limit)."""


async def enqueue_many(session: AsyncSession, planned: Sequence[Planned], *, now: datetime) -> int:
    """Write many deliveries with multi-row INSERT ... ON CONFLICT (key) DO NOTHING, in chunks
    of ENQUEUE_CHUNK; returns how many new rows were written (existing keys are skipped)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    written = 0
    for start in range(0, len(planned), ENQUEUE_CHUNK):
        values = []
        for item in planned[start : start + ENQUEUE_CHUNK]:
            if len(item.key) > 160:
                raise ValueError("delivery key too long")
            values.append({
                "key": item.key,
                "kind": item.kind,
                "recipient_id": item.recipient_id,
                "subject_id": item.subject_id,
                "payload": item.payload or {},
                "status": DeliveryStatus.PENDING,
                "due_at": item.due_at,
                "not_after": item.not_after,
                "next_attempt_at": item.due_at,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            })
        # executemany + RETURNING: SQLAlchemy sends one multi-row INSERT per chunk
        # ("insertmanyvalues") from a statement compiled once; only new rows come back.
        table = cast(Table, Delivery.__table__)
        stmt = insert(table).on_conflict_do_nothing(index_elements=["key"])
        result = await session.execute(stmt.returning(table.c.id), values)
        written += len(result.all())
    return written


def rsvp_buttons(occurrence_id: int, current: str | None = None) -> list[list[Button]]:
    """Going / Can't make it / Running late, marking the current answer with a tick.

    Callback data: `rsvp:<going|not_going|late>:<occurrence_id>`.
    """
    choices = [("going", "Going"), ("not_going", "Can't make it"), ("late", "Running late")]
    row = [
        Button(("✓ " if value == current else "") + label, data=f"rsvp:{value}:{occurrence_id}")
        for value, label in choices
    ]
    return [row[:2], row[2:]]


MOOD_EMOJI = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}


def mood_buttons(local_date_compact: str) -> list[list[Button]]:
    """Mood 1-5 buttons (digit and emoji) for the check-in of one local day (YYYYMMDD).

    Callback data: `ci:m:<YYYYMMDD>:<mood>`; the check-in handlers own the `ci` area.
    """
    return [
        [Button(f"{mood} {emoji}", data=f"ci:m:{local_date_compact}:{mood}")]
        for mood, emoji in sorted(MOOD_EMOJI.items(), reverse=True)
    ]
