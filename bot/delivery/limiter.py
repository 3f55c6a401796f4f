"""One rate limiter for all of the bot's outgoing traffic.

Limits (Telegram): a global rate (GCRA token bucket), one message per
``per_private_chat_interval`` per private chat, ``group_per_minute`` messages in
any 60 s window per group chat (``chat_id < 0``), and a global pause after HTTP 429.

Waiters are granted by a single dispatcher (``_pump``) driven by one timer task:
priority waiters first (FIFO), then bulk waiters FIFO by arrival, skipping any
chat that is blocked by its own per-chat limit (no head-of-line blocking).

A queued waiter granted by a timer that woke a little late (the event loop rounds sleeps up to
the millisecond and may be busy) is accounted at its scheduled slot when it is at most
``_CATCH_UP`` (and a quarter of the interval) late, so timer lateness does not accumulate into a
lower rate; two sends are never closer than ``interval - _CATCH_UP`` and the long-run rate never
exceeds ``global_rate``. Anything later starts a new schedule at the grant time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections import deque
from dataclasses import dataclass, field, replace

from bot.clock import Clock

__all__ = ["BROADCAST_PAID_RATE", "GROUP_WINDOW", "LimiterStats", "RateLimiter"]

BROADCAST_PAID_RATE = 1000.0
"""Messages/s allowed for paid broadcasts."""

GROUP_WINDOW = 60.0
"""Sliding window (seconds) of the per-group limit."""

_CATCH_UP = 0.002
"""Seconds of timer lateness a queued grant may make up (see the module docstring)."""

_MIN_PRUNE_THRESHOLD = 1024


@dataclass
class LimiterStats:
    """Counters; ``RateLimiter.stats`` returns a snapshot."""

    granted: int = 0
    priority_granted: int = 0
    waited: int = 0
    total_wait: float = 0.0
    max_wait: float = 0.0
    pauses: int = 0
    waiting: int = 0


@dataclass
class _Waiter:
    """One pending ``acquire``."""

    chat_id: int
    seq: int
    since: float
    future: asyncio.Future[None] = field(repr=False)


class RateLimiter:
    """Asyncio limiter combining global, per-chat and 429-pause limits."""

    def __init__(
        self,
        clock: Clock,
        global_rate: float = 25.0,
        per_private_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        burst: int | None = None,
    ) -> None:
        if global_rate <= 0 or per_private_chat_interval < 0 or group_per_minute < 1:
            raise ValueError("invalid rate limits")
        burst = 1 if burst is None else burst
        if burst < 1:
            raise ValueError("burst must be >= 1")
        self._clock = clock
        self._interval = 1.0 / global_rate
        self._tolerance = (burst - 1) * self._interval
        self._catch_up = min(_CATCH_UP, self._interval / 4)
        self._tat = -math.inf  # GCRA theoretical arrival time
        self._private_interval = per_private_chat_interval
        self._group_limit = group_per_minute
        self._paused_until = -math.inf
        self._private_next: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._prune_threshold = _MIN_PRUNE_THRESHOLD
        self._seq = itertools.count()
        self._priority: deque[_Waiter] = deque()
        self._bulk: dict[int, deque[_Waiter]] = {}
        self._ready: list[tuple[int, int]] = []  # (head seq, chat) of unblocked chats
        self._blocked: list[tuple[float, int, int]] = []  # (ready at, head seq, chat)
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf
        self._stats = LimiterStats()

    # -- public API ---------------------------------------------------------------

    async def acquire(self, chat_id: int, *, priority: bool = False) -> None:
        """Wait until a message to ``chat_id`` may be sent, and record it as sent."""
        now = self._clock.monotonic()
        nobody_ahead = not self._priority and (priority or not self._bulk)
        if (
            nobody_ahead
            and self._global_ready_at() <= now
            and self._chat_ready_at(chat_id, now) <= now
        ):
            self._record(chat_id, now)
            self._count(now, now, priority)
            return
        loop = asyncio.get_running_loop()
        waiter = _Waiter(chat_id, next(self._seq), now, loop.create_future())
        if priority:
            self._priority.append(waiter)
        else:
            queue = self._bulk.get(chat_id)
            if queue is None:
                self._bulk[chat_id] = deque([waiter])
                heapq.heappush(self._ready, (waiter.seq, chat_id))
            else:
                queue.append(waiter)
        self._stats.waiting += 1
        self._pump()
        try:
            await waiter.future
        finally:
            if waiter.future.cancelled():  # not granted: the caller was cancelled
                self._stats.waiting -= 1

    def pause(self, seconds: float) -> None:
        """Block every acquire for ``seconds`` (HTTP 429 ``retry_after``)."""
        until = self._clock.monotonic() + seconds
        self._stats.pauses += 1
        if until > self._paused_until:
            self._paused_until = until

    @property
    def paused_until(self) -> float:
        """Monotonic time the current/last pause ends (``-inf`` if never paused)."""
        return self._paused_until

    @property
    def is_paused(self) -> bool:
        """Whether a 429 pause is in effect now."""
        return self._clock.monotonic() < self._paused_until

    @property
    def stats(self) -> LimiterStats:
        """Snapshot of the counters."""
        return replace(self._stats)

    @property
    def tracked_chats(self) -> int:
        """Number of chats with per-chat limiter state (for memory checks)."""
        return len(self._private_next) + len(self._group_sends)

    def prune(self) -> None:
        """Drop per-chat state that no longer constrains anything."""
        now = self._clock.monotonic()
        self._private_next = {c: t for c, t in self._private_next.items() if t > now}
        self._group_sends = {
            c: q for c, q in self._group_sends.items() if q and q[-1] + GROUP_WINDOW > now
        }
        self._prune_threshold = max(_MIN_PRUNE_THRESHOLD, 2 * self.tracked_chats)

    def close(self) -> None:
        """Stop the timer and cancel all pending acquires."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for waiter in self._priority:
            waiter.future.cancel()
        for queue in self._bulk.values():
            for waiter in queue:
                waiter.future.cancel()
        self._priority.clear()
        self._bulk.clear()
        self._ready.clear()
        self._blocked.clear()

    # -- per-chat and global state -----------------------------------------------

    def _chat_ready_at(self, chat_id: int, now: float) -> float:
        """Earliest time the per-chat limit allows a send (``<= now`` if allowed)."""
        if chat_id >= 0:
            return self._private_next.get(chat_id, now)
        sends = self._group_sends.get(chat_id)
        if sends is None:
            return now
        while sends and sends[0] + GROUP_WINDOW <= now:
            sends.popleft()
        if len(sends) < self._group_limit:
            return now
        return sends[-self._group_limit] + GROUP_WINDOW

    def _global_ready_at(self) -> float:
        """Earliest time the global rate and any 429 pause allow a send."""
        return max(self._tat - self._tolerance, self._paused_until)

    def _record(self, chat_id: int, now: float, *, queued: bool = False) -> None:
        """Account one send to ``chat_id`` at ``now`` (a ``queued`` one may be a bit late)."""
        on_schedule = queued and self._tat < now <= self._tat + self._catch_up
        self._tat = (self._tat if on_schedule else max(self._tat, now)) + self._interval
        if chat_id >= 0:
            self._private_next[chat_id] = now + self._private_interval
        else:
            self._group_sends.setdefault(chat_id, deque()).append(now)
        if self.tracked_chats > self._prune_threshold:
            self.prune()

    def _count(self, since: float, now: float, priority: bool) -> None:
        """Update the counters for one grant."""
        stats = self._stats
        stats.granted += 1
        stats.priority_granted += priority
        waited = now - since
        if waited > 0:
            stats.waited += 1
            stats.total_wait += waited
            stats.max_wait = max(stats.max_wait, waited)

    def _grant(self, waiter: _Waiter, now: float, priority: bool) -> None:
        """Record the send and release the waiting ``acquire``."""
        self._record(waiter.chat_id, now, queued=True)
        self._count(waiter.since, now, priority)
        self._stats.waiting -= 1
        waiter.future.set_result(None)

    # -- dispatch -------------------------------------------------------------------

    def _next_priority(self, now: float) -> tuple[_Waiter | None, float]:
        """First priority waiter whose chat is free, else the earliest time one is."""
        earliest = math.inf
        for waiter in list(self._priority):
            if waiter.future.done():
                self._priority.remove(waiter)
                continue
            ready_at = self._chat_ready_at(waiter.chat_id, now)
            if ready_at <= now:
                self._priority.remove(waiter)
                return waiter, now
            earliest = min(earliest, ready_at)
        return None, earliest

    def _next_bulk(self, now: float) -> tuple[_Waiter | None, float]:
        """Oldest bulk waiter whose chat is free, else the earliest time one is."""
        while self._blocked and self._blocked[0][0] <= now:
            _, seq, chat_id = heapq.heappop(self._blocked)
            heapq.heappush(self._ready, (seq, chat_id))
        while self._ready:
            _, chat_id = heapq.heappop(self._ready)
            queue = self._bulk[chat_id]
            while queue and queue[0].future.done():
                queue.popleft()
            if not queue:
                del self._bulk[chat_id]
                continue
            ready_at = self._chat_ready_at(chat_id, now)
            if ready_at > now:
                heapq.heappush(self._blocked, (ready_at, queue[0].seq, chat_id))
                continue
            waiter = queue.popleft()
            if queue:
                heapq.heappush(self._ready, (queue[0].seq, chat_id))
            else:
                del self._bulk[chat_id]
            return waiter, now
        return None, self._blocked[0][0] if self._blocked else math.inf

    def _pump(self) -> None:
        """Grant every waiter that may go now; arm the timer for the next one."""
        while self._priority or self._bulk:
            now = self._clock.monotonic()
            global_at = self._global_ready_at()
            if global_at > now:
                self._arm(global_at)
                return
            waiter, wake_at = self._next_priority(now)
            if waiter is not None:
                self._grant(waiter, now, priority=True)
                continue
            waiter, bulk_at = self._next_bulk(now)
            if waiter is not None:
                self._grant(waiter, now, priority=False)
                continue
            wake_at = min(wake_at, bulk_at)
            if wake_at < math.inf:
                self._arm(wake_at)
            return

    def _arm(self, at: float) -> None:
        """Make sure the timer task wakes the dispatcher no later than ``at``."""
        if self._timer is not None and not self._timer.done():
            if self._timer_at <= at:
                return
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().create_task(self._wake(at))

    async def _wake(self, at: float) -> None:
        """Timer task body: sleep on the injected clock, then dispatch."""
        await self._clock.sleep(at - self._clock.monotonic())
        if self._timer is asyncio.current_task():
            self._timer = None
            self._timer_at = math.inf
        self._pump()
