"""Tests for bot.clock and bot.delivery.limiter, all on ManualClock (no real sleeping)."""

from __future__ import annotations

import asyncio
import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock, OffsetClock, SystemClock
from bot.delivery.limiter import BROADCAST_PAID_RATE, GROUP_WINDOW, RateLimiter

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EPS = 1e-6


# -- helpers ---------------------------------------------------------------------------


async def settle(rounds: int = 10) -> None:
    """Let every ready task run (timer wake-ups need a few loop iterations)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def drive(clock: ManualClock, tasks: Iterable[asyncio.Task[object]]) -> None:
    """Jump the clock from one pending sleep deadline to the next until tasks finish."""
    pending = list(tasks)
    await settle()
    while not all(t.done() for t in pending):
        deadline = clock.next_deadline()
        assert deadline is not None, "deadlock: tasks pending but nobody sleeps"
        clock.advance(max(0.0, deadline - clock.monotonic()))
        await settle()
    for t in pending:
        t.result()


@dataclass
class Sent:
    at: float
    chat_id: int
    priority: bool
    asked: float


class Harness:
    """A limiter on a manual clock that records when each acquire returned."""

    def __init__(self, **kwargs: float | int | None) -> None:
        self.clock = ManualClock(START)
        self.limiter = RateLimiter(self.clock, **kwargs)  # type: ignore[arg-type]
        self.sent: list[Sent] = []

    async def send(self, chat_id: int, priority: bool = False, delay: float = 0.0) -> None:
        if delay:
            await self.clock.sleep(delay)
        asked = self.clock.monotonic()
        await self.limiter.acquire(chat_id, priority=priority)
        self.sent.append(Sent(self.clock.monotonic(), chat_id, priority, asked))

    def spawn(self, chat_id: int, priority: bool = False, delay: float = 0.0) -> asyncio.Task[None]:
        return asyncio.create_task(self.send(chat_id, priority, delay))

    def times(self, chat_id: int | None = None) -> list[float]:
        return sorted(s.at for s in self.sent if chat_id is None or s.chat_id == chat_id)


def gaps(times: list[float]) -> list[float]:
    """Differences between successive sorted times."""
    return [b - a for a, b in itertools.pairwise(sorted(times))]


def max_in_window(times: list[float], window: float) -> int:
    """Most events inside any half-open window ``[t, t + window)``."""
    times = sorted(times)
    return max(
        (bisect.bisect_left(times, t + window - EPS) - i for i, t in enumerate(times)),
        default=0,
    )


@pytest.fixture
def harness() -> Iterable[Harness]:
    h = Harness(global_rate=25.0)
    yield h
    h.limiter.close()


# -- clocks ----------------------------------------------------------------------------


async def test_manual_clock_advance_moves_both_times_and_wakes_sleepers() -> None:
    clock = ManualClock(START, monotonic_start=100.0)
    assert clock.now() == START and clock.monotonic() == 100.0
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.create_task(sleeper("a", 1.0)), asyncio.create_task(sleeper("b", 2.5))]
    await settle()
    assert woke == [] and clock.sleepers == 2 and clock.next_deadline() == 101.0
    clock.advance(0.999)
    await settle()
    assert woke == []
    clock.advance(timedelta(milliseconds=1))
    await settle()
    assert woke == ["a"]
    clock.advance(5)
    await settle()
    assert woke == ["a", "b"] and clock.sleepers == 0 and clock.next_deadline() is None
    assert clock.now() == START + timedelta(seconds=6)
    assert clock.monotonic() == pytest.approx(106.0)
    await asyncio.gather(*tasks)


async def test_manual_clock_set_zero_sleep_cancel_and_validation() -> None:
    clock = ManualClock(START)
    await clock.sleep(0)  # returns without advancing
    task = asyncio.create_task(clock.sleep(10))
    await settle()
    task.cancel()
    await settle()
    assert clock.sleepers == 0 and clock.next_deadline() is None
    clock.set(START + timedelta(hours=1))
    assert clock.now() == START + timedelta(hours=1) and clock.monotonic() == 3600.0
    with pytest.raises(ValueError):
        clock.set(START)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(datetime(2030, 1, 1))  # naive
    with pytest.raises(ValueError):
        ManualClock(datetime(2030, 1, 1))
    other_tz = datetime(2025, 3, 1, 14, 0, tzinfo=UTC).astimezone()
    assert ManualClock(other_tz).now().tzinfo is UTC


async def test_system_and_offset_clocks() -> None:
    real = SystemClock()
    assert real.now().tzinfo is UTC
    assert real.monotonic() <= real.monotonic()
    await real.sleep(0)
    clock = OffsetClock()
    assert clock.offset == timedelta(0)
    clock.jump_forward(timedelta(days=2))
    clock.jump_forward(3600)
    assert clock.offset == timedelta(days=2, hours=1)
    shifted = clock.now() - datetime.now(UTC)
    assert abs(shifted - timedelta(days=2, hours=1)) < timedelta(seconds=5)
    assert abs(clock.monotonic() - real.monotonic()) < 5
    with pytest.raises(ValueError):
        clock.jump_forward(-1)


# -- limiter ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"global_rate": 0},
        {"per_private_chat_interval": -1},
        {"group_per_minute": 0},
        {"burst": 0},
    ],
)
def test_rejects_invalid_limits(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RateLimiter(ManualClock(START), **kwargs)  # type: ignore[arg-type]


async def test_uncontended_acquire_is_immediate(harness: Harness) -> None:
    await harness.send(1)
    assert harness.sent[0].at == 0.0
    stats = harness.limiter.stats
    assert stats.granted == 1 and stats.waited == 0 and stats.waiting == 0


async def test_global_rate_respected_with_burst() -> None:
    h = Harness(global_rate=25.0, burst=5)
    await drive(h.clock, [h.spawn(chat) for chat in range(1, 201)])
    times = h.times()
    assert len(times) == 200
    assert max_in_window(times, 1.0) <= 25 + 5
    assert times[:5] == [0.0] * 5  # the burst goes at once
    assert times[-1] == pytest.approx((200 - 5) / 25, abs=0.05)  # then exactly 25/s
    h.limiter.close()


async def test_default_burst_spaces_evenly(harness: Harness) -> None:
    await drive(harness.clock, [harness.spawn(chat) for chat in range(1, 101)])
    times = harness.times()
    assert min(gaps(times)) >= 0.04 - EPS
    assert max_in_window(times, 1.0) <= 25


async def test_private_chat_one_per_second(harness: Harness) -> None:
    await drive(harness.clock, [harness.spawn(42) for _ in range(10)])
    times = harness.times(42)
    assert len(times) == 10
    assert all(g >= 1.0 - EPS for g in gaps(times))
    assert times[-1] == pytest.approx(9.0, abs=0.05)


async def test_group_twenty_per_minute(harness: Harness) -> None:
    group = -100123
    await drive(harness.clock, [harness.spawn(group) for _ in range(50)])
    times = harness.times(group)
    assert len(times) == 50
    assert max_in_window(times, GROUP_WINDOW) <= 20
    assert times[19] < 1.0  # the first 20 only wait for the global rate
    assert times[20] == pytest.approx(60.0, abs=0.05)
    assert times[40] == pytest.approx(120.0, abs=0.1)


async def test_pause_blocks_everything_until_end_then_resumes(harness: Harness) -> None:
    h, clock, limiter = harness, harness.clock, harness.limiter
    tasks = [h.spawn(chat) for chat in range(1, 101)]
    await settle()
    while len(h.sent) < 10:
        clock.advance(0.01)
        await settle()
    start = clock.monotonic()
    limiter.pause(5.0)
    limiter.pause(2.0)  # shorter pause does not shorten the current one
    assert limiter.paused_until == pytest.approx(start + 5.0) and limiter.is_paused
    tasks.append(h.spawn(7777, priority=True))  # priority also waits out the pause
    await drive(clock, tasks)
    after = [s for s in h.sent if s.at > start]  # the 10th send happened at ``start``
    assert len(after) == 91 and min(s.at for s in after) >= start + 5.0 - EPS
    assert len(h.sent) == 101 and not limiter.is_paused
    priority = next(s for s in h.sent if s.priority)
    assert priority.at == pytest.approx(start + 5.0)  # first in line once the pause ends
    assert limiter.stats.pauses == 2


async def test_pause_extends_only_if_longer(harness: Harness) -> None:
    limiter, clock = harness.limiter, harness.clock
    limiter.pause(1.0)
    clock.advance(0.5)
    limiter.pause(3.0)
    assert limiter.paused_until == pytest.approx(3.5)
    task = harness.spawn(5)
    await drive(clock, [task])
    assert harness.sent[0].at == pytest.approx(3.5)


async def test_priority_skips_queued_bulk(harness: Harness) -> None:
    h = harness
    bulk = [h.spawn(chat) for chat in range(1, 101)]
    await settle()
    for _ in range(10):
        h.clock.advance(0.01)
        await settle()
    prio = h.spawn(9999, priority=True)
    await drive(h.clock, [prio])
    (reply,) = [s for s in h.sent if s.priority]
    assert reply.at - reply.asked <= 0.04 + EPS  # next global slot, not after 100 bulk sends
    assert sum(not s.priority for s in h.sent) <= 5
    await drive(h.clock, bulk)
    assert max_in_window(h.times(), 1.0) <= 25
    assert h.limiter.stats.priority_granted == 1


async def test_priority_goes_before_bulk_in_same_chat(harness: Harness) -> None:
    h = harness
    tasks = [h.spawn(50) for _ in range(5)]
    await settle()  # first bulk message goes at t=0, four wait on the chat limit
    tasks.append(h.spawn(50, priority=True))
    await drive(h.clock, tasks)
    order = [s.priority for s in sorted(h.sent, key=lambda s: s.at)]
    assert order == [False, True, False, False, False, False]
    assert all(g >= 1.0 - EPS for g in gaps(h.times(50)))


async def test_no_head_of_line_blocking(harness: Harness) -> None:
    h = harness
    busy = [chat for chat in range(1, 6) for _ in range(10)]  # 5 chats x 10 messages first
    tasks = [h.spawn(chat) for chat in busy] + [h.spawn(chat) for chat in range(6, 1001)]
    await drive(h.clock, tasks)
    times = h.times()
    assert len(times) == 1045
    assert times[-1] <= 1045 / 25 + 0.1  # ~25/s throughout
    assert max_in_window(times, 1.0) <= 25
    done_by_10s = sum(t < 10.0 for t in times)
    assert done_by_10s >= 245


async def test_paid_broadcast_rate() -> None:
    h = Harness(global_rate=BROADCAST_PAID_RATE)
    await drive(h.clock, [h.spawn(chat) for chat in range(1, 1501)])
    times = h.times()
    assert times[-1] == pytest.approx(1.499, abs=0.01)
    assert max_in_window(times, 1.0) <= 1000
    h.limiter.close()


async def test_cancelled_waiter_frees_its_place(harness: Harness) -> None:
    h = harness
    first = h.spawn(1)
    doomed = h.spawn(2)
    third = h.spawn(3)
    await settle()
    assert h.limiter.stats.waiting == 2
    doomed.cancel()
    await drive(h.clock, [first, third])
    assert doomed.cancelled()
    assert [s.chat_id for s in h.sent] == [1, 3]
    assert h.sent[1].at == pytest.approx(0.04)
    stats = h.limiter.stats
    assert stats.waiting == 0 and stats.granted == 2 and stats.waited == 1


async def test_close_cancels_pending_waiters(harness: Harness) -> None:
    tasks = [harness.spawn(1) for _ in range(3)]
    await settle()
    harness.limiter.close()
    await settle()
    assert tasks[0].done() and not tasks[0].cancelled()
    assert all(t.cancelled() for t in tasks[1:])


async def test_stats_track_waits(harness: Harness) -> None:
    await drive(harness.clock, [harness.spawn(chat) for chat in range(1, 11)])
    stats = harness.limiter.stats
    assert stats.granted == 10 and stats.waited == 9 and stats.waiting == 0
    assert stats.max_wait == pytest.approx(0.36)
    assert stats.total_wait == pytest.approx(sum(0.04 * i for i in range(10)))


async def test_per_chat_state_is_pruned() -> None:
    clock = ManualClock(START)
    limiter = RateLimiter(clock, global_rate=1e9)
    peak = 0
    for chat in range(1, 100_001):
        await limiter.acquire(chat if chat % 4 else -chat)  # a quarter are groups
        clock.advance(0.01)
        peak = max(peak, limiter.tracked_chats)
    # live state: privates for 1 s (100 chats), groups for 60 s (~1500 chats)
    assert peak <= 2 * 1700
    clock.advance(61)
    limiter.prune()
    assert limiter.tracked_chats == 0


# -- property-based --------------------------------------------------------------------

arrival = st.tuples(
    st.floats(0, 3, allow_nan=False),  # arrival time
    st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, -1, -2]),  # a few privates, a few groups
    st.booleans(),  # priority
)
pause_event = st.tuples(st.floats(0, 5, allow_nan=False), st.floats(0.1, 3, allow_nan=False))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arrivals=st.lists(arrival, min_size=1, max_size=60),
    pauses=st.lists(pause_event, max_size=2),
    burst=st.integers(1, 4),
    group_limit=st.integers(2, 20),
)
def test_invariants_random_arrivals(
    arrivals: list[tuple[float, int, bool]],
    pauses: list[tuple[float, float]],
    burst: int,
    group_limit: int,
) -> None:
    async def scenario() -> tuple[Harness, list[tuple[float, float]]]:
        h = Harness(global_rate=10.0, burst=burst, group_per_minute=group_limit)
        windows: list[tuple[float, float]] = []

        async def pause_at(at: float, seconds: float) -> None:
            await h.clock.sleep(at)
            now = h.clock.monotonic()
            h.limiter.pause(seconds)
            windows.append((now, now + seconds))

        tasks = [asyncio.create_task(pause_at(at, s)) for at, s in pauses]
        tasks += [h.spawn(chat, prio, delay) for delay, chat, prio in arrivals]
        await drive(h.clock, tasks)
        h.limiter.close()
        return h, windows

    h, windows = asyncio.run(scenario())
    assert len(h.sent) == len(arrivals)
    times = h.times()
    assert max_in_window(times, 1.0) <= 10 + burst
    by_chat: dict[int, list[float]] = defaultdict(list)
    for s in h.sent:
        by_chat[s.chat_id].append(s.at)
        assert not any(start < s.at < end - EPS for start, end in windows)
    for chat, chat_times in by_chat.items():
        chat_times.sort()
        if chat > 0:
            assert all(g >= 1.0 - EPS for g in gaps(chat_times))
        else:
            assert max_in_window(chat_times, GROUP_WINDOW) <= group_limit
    # liveness: the last send is not later than all constraints require
    total_pause = sum(s for _, s in pauses)
    worst = 3 + total_pause + len(arrivals) * 60 / min(group_limit, 10) + len(arrivals) / 10
    assert times[-1] <= worst
    assert h.limiter.stats.granted == len(arrivals)
    assert h.limiter.stats.waiting == 0


async def drive_late(clock: ManualClock, tasks: list[asyncio.Task[None]], late: float) -> None:
    """Like `drive`, but every timer wakes `late` seconds after its deadline (a busy loop)."""
    await settle()
    while not all(t.done() for t in tasks):
        deadline = clock.next_deadline()
        assert deadline is not None, "deadlock: tasks pending but nobody sleeps"
        clock.advance(max(0.0, deadline - clock.monotonic()) + late)
        await settle()


@pytest.mark.parametrize("late", [0.0007, 0.0019])
async def test_late_timer_does_not_lower_the_rate_nor_burst(late: float) -> None:
    """Timer lateness within the catch-up is not accumulated: 301 sends at 30/s still take
    10 s (not 10 s + 300 x late), and no 1 s window holds more than 30 sends."""
    h = Harness(global_rate=30.0, per_private_chat_interval=1.0)
    await drive_late(h.clock, [h.spawn(chat) for chat in range(1, 302)], late)
    times = h.times()
    assert times[-1] == pytest.approx(10.0 + late, abs=1e-6)
    assert max_in_window(times, 1.0) <= 30
    assert min(gaps(times[1:])) >= 1 / 30 - late - EPS
    h.limiter.close()


async def test_much_later_timer_starts_a_new_schedule() -> None:
    """A grant later than the catch-up is accounted at its real time: no burst to make up."""
    h = Harness(global_rate=30.0)
    await drive_late(h.clock, [h.spawn(chat) for chat in range(1, 32)], 0.01)
    times = h.times()
    assert min(gaps(times)) >= 1 / 30 - EPS
    assert times[-1] == pytest.approx(30 * (1 / 30 + 0.01), abs=1e-6)
    h.limiter.close()
