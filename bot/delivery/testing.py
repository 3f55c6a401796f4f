"""Test helper: run the delivery engine against a `ManualClock` (used by tests/, not the bot).

`await deliver_due(app)` recovers, plans and sends everything due, moving the manual clock just
far enough for the rate limiter's waits (1 s per private chat, the global rate).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from bot.clock import ManualClock
from bot.context import services_of
from bot.delivery.engine import DeliveryEngine, delivery_engine

T = TypeVar("T")


async def drive(clock: ManualClock, work: Awaitable[T], *, max_steps: int = 100_000) -> T:
    """Await `work`, advancing `clock` to the next sleeper's deadline whenever it waits."""
    task = asyncio.ensure_future(work)
    for _ in range(max_steps):
        done, _ = await asyncio.wait({task}, timeout=0.002)
        if done:
            return task.result()
        deadline = clock.next_deadline()
        if deadline is not None:
            clock.advance(max(0.0, deadline - clock.monotonic()))
    task.cancel()
    raise TimeoutError("work did not finish")


def engine_of(app: Any) -> DeliveryEngine:
    """The delivery engine of an application."""
    return delivery_engine(services_of(app))


async def deliver_due(app: Any) -> int:
    """One engine tick (recover, plan, dispatch) under a ManualClock; returns how many sent."""
    services = services_of(app)
    clock = services.clock
    engine = delivery_engine(services)
    if isinstance(clock, ManualClock):
        return await drive(clock, engine.tick())
    return await engine.tick()
