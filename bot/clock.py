"""Injectable time sources: real, manual (tests) and offset (sandbox)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "OffsetClock", "SystemClock"]


class Clock(Protocol):
    """What the bot needs from time."""

    def now(self) -> datetime:
        """Aware UTC wall time."""
        ...

    def monotonic(self) -> float:
        """Monotonic seconds, for rate limiting and timeouts."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of this clock's time."""
        ...


def _seconds(delta: float | timedelta) -> float:
    return delta.total_seconds() if isinstance(delta, timedelta) else float(delta)


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(UTC)


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        """Current aware UTC time."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        await asyncio.sleep(max(0.0, seconds))


class OffsetClock(SystemClock):
    """Real time flowing normally, but wall time can be jumped ahead (sandbox).

    Only ``now()`` is shifted; ``monotonic()`` and ``sleep()`` stay real.
    """

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset

    @property
    def offset(self) -> timedelta:
        """Current shift of ``now()`` relative to real time."""
        return self._offset

    def now(self) -> datetime:
        """Real UTC time plus the offset."""
        return super().now() + self._offset

    def jump_forward(self, delta: float | timedelta) -> None:
        """Move wall time ahead by ``delta`` (seconds or timedelta)."""
        seconds = _seconds(delta)
        if seconds < 0:
            raise ValueError("can only jump forward")
        self._offset += timedelta(seconds=seconds)


class ManualClock:
    """Fully manual time for tests: nothing moves until ``advance``/``set``.

    ``sleep()`` waits on a future that ``advance`` resolves once its deadline passes.
    """

    def __init__(
        self,
        start: datetime = datetime(2025, 1, 1, tzinfo=UTC),
        monotonic_start: float = 0.0,
    ) -> None:
        self._now = _require_aware(start)
        self._mono = monotonic_start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        """Current manual wall time (aware UTC)."""
        return self._now

    def monotonic(self) -> float:
        """Current manual monotonic seconds."""
        return self._mono

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been advanced by ``seconds``."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._seq), future))
        await future

    @property
    def sleepers(self) -> int:
        """Number of pending (not cancelled) sleeps."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    def next_deadline(self) -> float | None:
        """Monotonic deadline of the earliest pending sleep, if any."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self, delta: float | timedelta) -> None:
        """Move wall and monotonic time forward together; wake due sleepers."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("time cannot go backwards")
        self._mono += _seconds(delta)
        self._now += step
        while self._sleepers and self._sleepers[0][0] <= self._mono:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    def set(self, moment: datetime) -> None:
        """Jump forward to ``moment`` (aware); going back raises ``ValueError``."""
        self.advance(_require_aware(moment) - self._now)
