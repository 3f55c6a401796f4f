"""Deliveries: claiming due rows, recording outcomes, recovery and reports (never commit).

Life of a row: PENDING -> CLAIMED (reserved by one worker, `outcome` NULL) -> CLAIMED with
`outcome = "sending"` (written just before the HTTP request) -> SENT / SKIPPED / FAILED /
UNREACHABLE / UNKNOWN, or back to PENDING for a retry. A reservation whose lease ran out goes
back to PENDING (nothing was sent); a "sending" row whose lease ran out becomes UNKNOWN and is
never resent (the process died while the request may have left).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, DeliveryStatus

SENDING = "sending"
"""`Delivery.outcome` marker of a claimed row whose request may be on its way."""

FINAL = (
    DeliveryStatus.SENT,
    DeliveryStatus.SKIPPED,
    DeliveryStatus.FAILED,
    DeliveryStatus.UNKNOWN,
    DeliveryStatus.UNREACHABLE,
    DeliveryStatus.CANCELLED,
)


def _rowcount(result: object) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


async def reserve_due(
    session: AsyncSession,
    *,
    now: datetime,
    worker: str,
    limit: int,
    lease: timedelta,
    due_before: datetime | None = None,
) -> list[Delivery]:
    """Reserve up to `limit` PENDING rows due by `due_before` (default `now`) for `worker`
    (SKIP LOCKED on PostgreSQL, so replicas never reserve the same row)."""
    due = (
        select(Delivery.id)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= (due_before or now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.execute(due)).scalars())
    if not ids:
        return []
    stmt = (
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.PENDING)
        .values(
            status=DeliveryStatus.CLAIMED,
            claimed_by=worker,
            claimed_until=now + lease,
            outcome=None,
            updated_at=now,
        )
        .returning(Delivery)
        .execution_options(synchronize_session=False)
    )
    rows = list((await session.execute(stmt)).scalars())
    rows.sort(key=lambda d: (d.next_attempt_at, d.id))
    return rows


async def start_attempt(
    session: AsyncSession, delivery_id: int, *, worker: str, now: datetime, lease: timedelta
) -> bool:
    """Mark a reserved row as being sent right now; False if it is no longer ours."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.CLAIMED,
            Delivery.claimed_by == worker,
            Delivery.outcome.is_(None),
        )
        .values(
            outcome=SENDING,
            claimed_until=now + lease,
            attempts=Delivery.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def finish(
    session: AsyncSession,
    delivery_id: int,
    *,
    worker: str,
    status: DeliveryStatus,
    now: datetime,
    outcome: str | None = None,
    message_id: int | None = None,
) -> bool:
    """Record a final outcome of a row this worker holds."""
    values: dict[str, object] = {
        "status": status,
        "outcome": outcome[:64] if outcome else None,
        "claimed_until": None,
        "updated_at": now,
    }
    if status == DeliveryStatus.SENT:
        values["message_id"] = message_id
        values["sent_at"] = now
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.claimed_by == worker,
            Delivery.status.in_([DeliveryStatus.CLAIMED, DeliveryStatus.UNKNOWN]),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def retry_later(
    session: AsyncSession,
    delivery_id: int,
    *,
    worker: str,
    now: datetime,
    at: datetime,
    reason: str,
    attempts: int | None = None,
) -> bool:
    """Give a held row back as PENDING, due again at `at` (optionally setting `attempts`)."""
    values: dict[str, object] = {
        "status": DeliveryStatus.PENDING,
        "next_attempt_at": at,
        "claimed_by": None,
        "claimed_until": None,
        "outcome": reason[:64],
        "updated_at": now,
    }
    if attempts is not None:
        values["attempts"] = attempts
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.claimed_by == worker,
            Delivery.status == DeliveryStatus.CLAIMED,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def release_reservation(
    session: AsyncSession, delivery_id: int, *, worker: str, now: datetime
) -> None:
    """Give back a reserved (not yet sending) row untouched."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.claimed_by == worker,
            Delivery.status == DeliveryStatus.CLAIMED,
            Delivery.outcome.is_(None),
        )
        .values(status=DeliveryStatus.PENDING, claimed_by=None, claimed_until=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def recover_expired(
    session: AsyncSession, *, now: datetime, everything: bool = False
) -> tuple[int, list[Delivery]]:
    """Expired claims: reservations back to PENDING, rows that were sending to UNKNOWN.

    `everything=True` (one process only, at start-up) treats every claim as expired.
    Returns (how many were released, the rows now UNKNOWN).
    """
    expired = (
        Delivery.status == DeliveryStatus.CLAIMED
        if everything
        else and_(Delivery.status == DeliveryStatus.CLAIMED, Delivery.claimed_until < now)
    )
    released = await session.execute(
        update(Delivery)
        .where(expired, Delivery.outcome.is_distinct_from(SENDING))
        .values(status=DeliveryStatus.PENDING, claimed_by=None, claimed_until=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    unknown_ids = list(
        (
            await session.execute(
                select(Delivery.id).where(expired, Delivery.outcome == SENDING).with_for_update(
                    skip_locked=True
                )
            )
        ).scalars()
    )
    unknown: list[Delivery] = []
    if unknown_ids:
        result = await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(unknown_ids), Delivery.outcome == SENDING)
            .values(
                status=DeliveryStatus.UNKNOWN,
                outcome="interrupted while sending",
                claimed_until=None,
                updated_at=now,
            )
            .returning(Delivery)
            .execution_options(synchronize_session=False)
        )
        unknown = list(result.scalars())
    return _rowcount(released), unknown


async def cancel_pending(
    session: AsyncSession,
    *,
    kind: str,
    subject_id: int,
    now: datetime,
    reason: str,
    recipient_ids: Sequence[int] | None = None,
) -> int:
    """Cancel not-yet-sent deliveries of one kind and subject (e.g. a cancelled session)."""
    stmt = (
        update(Delivery)
        .where(
            Delivery.kind == kind,
            Delivery.subject_id == subject_id,
            Delivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.CANCELLED, outcome=reason[:64], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if recipient_ids is not None:
        stmt = stmt.where(Delivery.recipient_id.in_(list(recipient_ids)))
    return _rowcount(await session.execute(stmt))


async def status_counts(
    session: AsyncSession, *, kind: str, subject_id: int
) -> dict[DeliveryStatus, int]:
    """How many deliveries of one kind and subject are in each status (delivery reports)."""
    rows = await session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.kind == kind, Delivery.subject_id == subject_id)
        .group_by(Delivery.status)
    )
    return {status: int(count) for status, count in rows.all()}


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the earliest PENDING row becomes due (None when nothing is pending)."""
    value = await session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.status == DeliveryStatus.PENDING
        )
    )
    if value is None:
        return None
    from storage.models.base import UTCDateTime

    if isinstance(value, str):  # SQLite aggregate results lose the column type
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, session.get_bind().dialect)


async def get_delivery(session: AsyncSession, delivery_id: int) -> Delivery | None:
    """One delivery by id."""
    return await session.get(Delivery, delivery_id)
