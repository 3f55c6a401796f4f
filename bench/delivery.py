"""Delivery benchmarks: `python -m bench.delivery [--quick] [fanout|scale|inbound ...]`.

fanout  N deliveries through the in-process emulator enforcing 30 msg/s: achieved rate / limit,
        lost, doubled, 429s received. The engine runs at BROADCAST_RATE (default 29.5/s, see
        FANOUT_RATE) - the best ratio possible is FANOUT_RATE / 30 - and the emulator's arrival
        times show the limiter stays honest (most sends in any 1 s window, gaps p1/p50/p99).
scale   P participants with daily prompts and G groups with weekly sessions: start-up time, RSS,
        idle planner tick, planning lateness p50/p99 - ours (indexed next-due times, batched
        enqueue_many + bulk next_prompt_at updates) side by side with the naive design (one
        APScheduler job per participant), each in its own process. Our lateness is due time to
        when the committed row was first seen by a reader polling every 50 ms (when a
        dispatcher could see it; each planner round commits on its own);
        planner_now_lateness is due time to the planner round's `now` (the row's created_at).
inbound check-in-like updates/s through process_update with a real database vs a trivial echo
        handler on the same application.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bot.clock import SystemClock
from bot.delivery.engine import delivery_engine
from bot.delivery.outbox import NOTICE
from bot.settings import build_settings
from emulator import Emulator
from storage.db import make_engine
from storage.models import (
    Base,
    Delivery,
    DeliveryStatus,
    Group,
    Membership,
    MemberStatus,
    Role,
    SessionRule,
    User,
)

LIMIT = 30
FANOUT_RATE = 29.5
"""The engine's BROADCAST_RATE in the fan-out: 30.0 exactly would put a 31st send into some
1 s window whenever the HTTP request of one send is a few ms slower than the next one's (a 429
costs a whole-bot pause of >= 1 s); 29.5 leaves ~17 ms of such jitter per 30 sends."""


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of already sorted values."""
    if not values:
        return None
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


def lateness(late: list[float]) -> dict[str, float | None]:
    """p50/p99 of sorted lateness values in seconds."""
    return {f"lateness_{name}_s": None if (v := percentile(late, q)) is None else round(v, 3)
            for name, q in (("p50", 50), ("p99", 99))}


def most_in_window(times: list[float], window: float) -> int:
    """Most of the sorted `times` inside any window of `window` seconds (the emulator's rule)."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def rss_mb() -> float:
    """Resident set size of this process in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def fresh_engine(folder: Path) -> Any:
    engine = make_engine(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    return engine


async def start_bot(folder: Path, emu: Emulator, engine: Any, **env: str) -> Any:
    from bot.app import build_application

    settings = build_settings({
        "TELEGRAM_BOT_TOKEN": "123456:BENCH", "TELEGRAM_API_BASE": emu.root_url,
        "DATA_DIR": str(folder), **env,
    })
    app = build_application(settings, clock=SystemClock(), engine=engine)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    return app


async def stop_bot(app: Any) -> None:
    assert app.post_shutdown is not None
    await app.post_shutdown(app)
    await app.shutdown()


# -- fan-out -------------------------------------------------------------------------------

async def fanout(n: int, rate: float = FANOUT_RATE) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = await fresh_engine(folder)
        async with Emulator(strict_chats=False) as emu:
            await emu.set_rate_limit(global_per_second=LIMIT, per_chat_per_second=1)
            app = await start_bot(folder, emu, engine, BROADCAST_RATE=str(rate))
            now = datetime.now(UTC)
            rows = [
                {"key": f"bench:{i}", "kind": NOTICE, "recipient_id": 100_000 + i,
                 "payload": {"text": "Group news: see you on Thursday 🌱"},
                 "status": DeliveryStatus.PENDING, "due_at": now, "next_attempt_at": now,
                 "attempts": 0, "created_at": now, "updated_at": now}
                for i in range(n)
            ]
            async with engine.begin() as conn:
                await conn.execute(insert(Delivery), rows)
            eng = delivery_engine(app.bot_data["services"])
            started = time.monotonic()
            while True:
                await eng.tick()
                async with engine.connect() as conn:
                    left = await conn.scalar(select(func.count()).select_from(Delivery).where(
                        Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.CLAIMED])))
                if not left:
                    break
                await asyncio.sleep(0.2)
            wall = time.monotonic() - started
            counts: Counter[int] = Counter()
            arrivals: list[float] = []
            for chat_id in range(100_000, 100_000 + n):
                for message in await emu.messages(chat_id):
                    counts[chat_id] += 1
                    arrivals.append(message["sent_mono"])
            stats = await emu.stats()
            engine_stats = eng.stats
            await stop_bot(app)
        await engine.dispose()
    arrivals.sort()
    first, last = (arrivals[0], arrivals[-1]) if arrivals else (0.0, 0.0)
    achieved = (len(arrivals) - 1) / (last - first) if last > first else 0.0
    gaps = sorted((b - a) * 1000 for a, b in itertools.pairwise(arrivals))
    return {
        "deliveries": n, "wall_s": round(wall, 1), "engine_rate_per_s": rate,
        "achieved_per_s": round(achieved, 2), "limit_per_s": LIMIT,
        "ratio": round(achieved / LIMIT, 3), "best_possible_ratio": round(rate / LIMIT, 3),
        "lost": sum(1 for i in range(n) if counts[100_000 + i] == 0),
        "doubled": sum(1 for c in counts.values() if c > 1),
        "429_received": stats["count_429"], "429_seen_by_engine": engine_stats.rate_limited,
        "most_in_any_1s": most_in_window(arrivals, 1.0),
        "gap_ms_p1_p50_p99": [round(percentile(gaps, q) or 0.0, 1) for q in (1, 50, 99)],
    }


# -- scale ---------------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]


LEAD_S = 25.0
"""Prompts fall due from this long after seeding (start-up happens before)."""


async def seed(engine: Any, participants: int, groups: int, window_s: float) -> datetime:
    """Participants whose prompts fall due across `window_s` seconds from LEAD_S on;
    weekly groups."""
    now = datetime.now(UTC)
    users = []
    for i in range(participants):
        due = now + timedelta(seconds=LEAD_S + random.random() * window_s)
        users.append({
            "id": 1_000_000 + i, "display_name": "P", "consent_at": now, "onboarded_at": now,
            "timezone": ZONES[i % len(ZONES)], "checkin_time": dtime(20, 0),
            "prompts_enabled": True, "share_with_facilitators": True, "receive_shares": True,
            "is_facilitator": False, "next_prompt_at": due, "created_at": now, "updated_at": now,
        })
    async with engine.begin() as conn:
        for chunk in range(0, len(users), 5000):
            await conn.execute(insert(User), users[chunk:chunk + 5000])
        await conn.execute(insert(Group), [
            {"id": g + 1, "name": f"G{g}", "timezone": ZONES[g % len(ZONES)],
             "approval_required": False, "reminder_offsets": [1440, 60],
             "digest_offset_minutes": 120, "who5_enabled": False, "created_by": 1,
             "created_at": now} for g in range(groups)])
        per = max(1, participants // groups)
        members = [
            {"group_id": (i // per) % groups + 1, "user_id": 1_000_000 + i,
             "role": Role.PARTICIPANT, "status": MemberStatus.ACTIVE, "joined_at": now,
             "updated_at": now} for i in range(participants)]
        for chunk in range(0, len(members), 5000):
            await conn.execute(insert(Membership), members[chunk:chunk + 5000])
        await conn.execute(insert(SessionRule), [
            {"group_id": g + 1, "weekdays": [g % 7], "start_time": dtime(18, 0),
             "duration_minutes": 90, "active": True, "created_at": now, "updated_at": now}
            for g in range(groups)])
    return now


async def scale_ours(participants: int, groups: int, window_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = await fresh_engine(folder)
        seeded = await seed(engine, participants, groups, window_s)
        async with Emulator(strict_chats=False) as emu:
            rss0 = rss_mb()
            t0 = time.monotonic()
            app = await start_bot(folder, emu, engine)
            eng = delivery_engine(app.bot_data["services"])
            await eng.plan()  # first tick expands every weekly rule 15 days ahead
            startup = time.monotonic() - t0
            rss1 = rss_mb()
            t0 = time.monotonic()
            await eng.plan()
            idle = time.monotonic() - t0
            interval = 1.0
            end = seeded + timedelta(seconds=LEAD_S + window_s + 3)
            seen: list[tuple[int, datetime]] = []  # (highest committed delivery id, seen at)

            async def watch() -> None:  # what a dispatcher could see, every 50 ms
                while True:
                    async with engine.connect() as conn:
                        top = await conn.scalar(select(func.max(Delivery.id))) or 0
                    seen.append((top, datetime.now(UTC)))
                    await asyncio.sleep(0.05)

            watcher = asyncio.create_task(watch())
            while datetime.now(UTC) < end:  # the planner's job, every `interval`
                await eng.plan()
                await asyncio.sleep(interval)
            await asyncio.sleep(0.2)
            watcher.cancel()
            async with engine.connect() as conn:
                rows = (await conn.execute(
                    select(Delivery.id, Delivery.due_at, Delivery.created_at)
                    .where(Delivery.kind == "checkin_prompt")
                )).all()
            await stop_bot(app)
        await engine.dispose()
    tops = [top for top, _ in seen]
    late = sorted(
        (seen[bisect.bisect_left(tops, row_id)][1] - due).total_seconds()
        for row_id, due, _ in rows
    )
    stamped = sorted((created - due).total_seconds() for _, due, created in rows)
    return {
        "design": "ours: indexed next-due + batched planner tick (1 s)",
        "startup_s": round(startup, 2), "rss_mb": round(rss1, 1),
        "rss_growth_mb": round(rss1 - rss0, 1), "idle_tick_ms": round(idle * 1000, 1),
        "planned": len(late), **lateness(late),
        "planner_now_lateness_p50_p99_s": list(lateness(stamped).values()),
    }


async def scale_naive(participants: int, groups: int, window_s: float) -> dict[str, Any]:
    """One APScheduler job per participant (and per group), loaded from the same database."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    with tempfile.TemporaryDirectory() as tmp:
        engine = await fresh_engine(Path(tmp))
        await seed(engine, participants, groups, window_s)
        late: list[float] = []

        async def prompt(due: datetime) -> None:
            late.append((datetime.now(UTC) - due).total_seconds())

        async def reminder() -> None:
            return None

        rss0 = rss_mb()
        t0 = time.monotonic()
        scheduler = AsyncIOScheduler(timezone=UTC)
        async with engine.connect() as conn:
            users = (await conn.execute(select(User.id, User.next_prompt_at))).all()
            rules = (await conn.execute(select(SessionRule.id, SessionRule.weekdays))).all()
        for user_id, due in users:
            scheduler.add_job(prompt, "date", run_date=due, args=[due], id=f"u{user_id}",
                              misfire_grace_time=None)
        for rule_id, weekdays in rules:
            scheduler.add_job(reminder, "cron", day_of_week=weekdays[0], hour=17,
                              id=f"r{rule_id}")
        scheduler.start()
        startup = time.monotonic() - t0
        rss1 = rss_mb()
        await asyncio.sleep(LEAD_S + window_s + 3 - startup)
        scheduler.shutdown(wait=False)
        await engine.dispose()
    late.sort()
    return {
        "design": "naive: one APScheduler job per participant",
        "startup_s": round(startup, 2), "rss_mb": round(rss1, 1),
        "rss_growth_mb": round(rss1 - rss0, 1), "idle_tick_ms": None,
        "planned": len(late), **lateness(late),
    }


# -- inbound -------------------------------------------------------------------------------

async def inbound(n: int) -> dict[str, Any]:
    from telegram import Update
    from telegram.ext import MessageHandler, filters

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = await fresh_engine(folder)
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(insert(User), [{
                "id": 500 + i, "display_name": "P", "consent_at": now, "onboarded_at": now,
                "timezone": "Europe/Berlin", "checkin_time": dtime(20, 0),
                "prompts_enabled": True, "share_with_facilitators": True,
                "receive_shares": True, "is_facilitator": False, "created_at": now,
                "updated_at": now} for i in range(50)])
        async with Emulator(strict_chats=False) as emu:
            app = await start_bot(folder, emu, engine)

            async def run(text: str) -> float:
                updates = [await emu.send_message(500 + i % 50, text) for i in range(n)]
                t0 = time.monotonic()
                for update in updates:
                    await app.process_update(Update.de_json(update, app.bot))
                return n / (time.monotonic() - t0)

            results["checkin_like_updates_per_s"] = round(await run("/checkin"), 1)

            async def echo(update: Any, context: Any) -> None:
                await update.effective_message.reply_text("ok")

            app.handlers.clear()
            app.add_handler(MessageHandler(filters.ALL, echo))
            results["echo_updates_per_s"] = round(await run("hello"), 1)
            await stop_bot(app)
        await engine.dispose()
    ratio = results["checkin_like_updates_per_s"] / results["echo_updates_per_s"]
    results["ratio"] = round(ratio, 2)
    results["updates"] = n
    return results


# -- main ----------------------------------------------------------------------------------

def _child(kind: str, participants: int, groups: int, window: float) -> dict[str, Any]:
    out = subprocess.run(  # each design in a fresh process, so RSS is comparable
        [sys.executable, "-m", "bench.delivery", "--child", kind, "--participants",
         str(participants), "--groups", str(groups), "--window", str(window)],
        capture_output=True, text=True, check=True, env={**os.environ},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__)
    parser.add_argument("which", nargs="*", default=["fanout", "scale", "inbound"])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=FANOUT_RATE, help="engine rate, fan-out")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    if args.child:
        func_ = scale_ours if args.child == "ours" else scale_naive
        print(json.dumps(asyncio.run(func_(args.participants, args.groups, args.window))))
        return
    participants = 10_000 if args.quick else args.participants
    groups = 500 if args.quick else args.groups
    window = 10.0 if args.quick else args.window
    if "fanout" in args.which:
        n = 1_000 if args.quick else 10_000
        print("fan-out:", json.dumps(asyncio.run(fanout(n, args.rate))), flush=True)
    if "scale" in args.which:
        print(f"scale: {participants} participants, {groups} weekly groups, prompts due "
              f"across {window:g} s (idle planner tick, planning lateness p50/p99)", flush=True)
        for kind in ("ours", "naive"):
            print("  ", json.dumps(_child(kind, participants, groups, window)), flush=True)
    if "inbound" in args.which:
        print("inbound:", json.dumps(asyncio.run(inbound(200 if args.quick else 1000))),
              flush=True)


if __name__ == "__main__":
    main()
