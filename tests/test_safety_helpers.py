"""Helpers for the safety and peer-support tests: groups, members, check-ins, and one
planner tick + dispatch of due deliveries to the emulator."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bot.delivery.testing import deliver_due
from storage.models import (
    CheckIn,
    Delivery,
    DeliveryStatus,
    Group,
    Membership,
    MemberStatus,
    Role,
)
from tests.harness import BotHarness


async def make_group(
    h: BotHarness,
    *,
    facilitators: tuple[int, ...] = (),
    co_facilitators: tuple[int, ...] = (),
    participants: tuple[int, ...] = (),
    name: str = "Tuesday circle",
    zone: str = "Europe/Berlin",
    who5: bool = False,
    joined: datetime | None = None,
) -> int:
    """A group with active members (all already onboarded); returns its id."""
    now = joined or h.clock.now()
    async with h.db() as session:
        group = Group(
            name=name, timezone=zone, approval_required=False, reminder_offsets=[60],
            digest_offset_minutes=120, who5_enabled=who5, created_by=facilitators[0]
            if facilitators else 900, created_at=now,
        )
        session.add(group)
        await session.flush()
        for role, ids in (
            (Role.FACILITATOR, facilitators),
            (Role.CO_FACILITATOR, co_facilitators),
            (Role.PARTICIPANT, participants),
        ):
            for user_id in ids:
                session.add(
                    Membership(
                        group_id=group.id, user_id=user_id, role=role,
                        status=MemberStatus.ACTIVE, joined_at=now, updated_at=now,
                    )
                )
        return group.id


async def add_checkin(h: BotHarness, user_id: int, day: date, mood: int) -> None:
    """A check-in row for a past day (arrangement only)."""
    now = h.clock.now()
    async with h.db() as session:
        session.add(
            CheckIn(user_id=user_id, local_date=day, mood=mood, tags=[], created_at=now,
                    updated_at=now)
        )


async def tick(h: BotHarness, kind: str | None = None) -> list[Delivery]:
    """One real delivery-engine tick (plan + dispatch); returns the deliveries it sent
    (of `kind` when given)."""
    async with h.db() as session:
        rows = await session.execute(
            select(Delivery.id).where(Delivery.status == DeliveryStatus.SENT)
        )
        before = set(rows.scalars())
    await deliver_due(h.app)
    async with h.db() as session:
        rows2 = await session.execute(
            select(Delivery).where(Delivery.status == DeliveryStatus.SENT).order_by(Delivery.id)
        )
        sent = [d for d in rows2.scalars() if d.id not in before]
    return [d for d in sent if kind is None or d.kind == kind]


async def deliveries(h: BotHarness, kind: str | None = None) -> list[Delivery]:
    """Every delivery row (of one kind)."""
    async with h.db() as session:
        stmt = select(Delivery).order_by(Delivery.id)
        if kind is not None:
            stmt = stmt.where(Delivery.kind == kind)
        return list((await session.execute(stmt)).scalars())


def texts_of(messages: list[dict[str, Any]]) -> str:
    """All message texts joined, for assertions."""
    return "\n".join(str(m.get("text") or "") for m in messages)


async def sent_text(h: BotHarness, delivery: Delivery) -> str:
    """The text of the message a delivery became."""
    for message in await h.emu.messages(delivery.recipient_id):
        if message["message_id"] == delivery.message_id:
            return str(message.get("text") or "")
    raise AssertionError("delivery was not sent")
