"""Conversation state kept in the database, so flows survive restarts and replicas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatState


@dataclass
class FlowState:
    """Where a person is in a multi-step conversation."""

    name: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None

    def is_stale(self, now: datetime, ttl: timedelta) -> bool:
        """True when the flow was last touched longer than `ttl` ago."""
        return self.updated_at is not None and now - self.updated_at > ttl


def _key(user_id: int) -> str:
    return f"flow:{user_id}"


async def get_flow(session: AsyncSession, user_id: int) -> FlowState | None:
    """The person's current flow, or None."""
    row = (
        await session.execute(select(ChatState).where(ChatState.key == _key(user_id)))
    ).scalar_one_or_none()
    if row is None or not row.data.get("name"):
        return None
    return FlowState(
        row.data["name"], row.data.get("step", ""), dict(row.data.get("data", {})), row.updated_at
    )


async def set_flow(
    session: AsyncSession, user_id: int, flow: FlowState, *, now: datetime
) -> None:
    """Save the person's current flow and step (replaces any other flow)."""
    row = await session.get(ChatState, _key(user_id))
    payload = {"name": flow.name, "step": flow.step, "data": flow.data}
    if row is None:
        session.add(ChatState(key=_key(user_id), user_id=user_id, data=payload, updated_at=now))
    else:
        row.data = payload
        row.updated_at = now
    await session.flush()


async def clear_flow(session: AsyncSession, user_id: int) -> None:
    """Forget any flow the person was in."""
    await session.execute(delete(ChatState).where(ChatState.key == _key(user_id)))
