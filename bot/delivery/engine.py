"""The delivery engine: planners turn what is due into `Delivery` rows, the dispatcher sends them.

Guarantees (see storage/repositories/deliveries.py for the row life cycle):
- never doubled: a row is sent only after a committed compare-and-set from "reserved" to
  "sending"; a row found "sending" by recovery becomes UNKNOWN and is never resent;
- never lost: rows are in the database before anything is sent; reservations of a dead process
  go back to PENDING; transport outages pause everything and retry without using up attempts;
- never mistimed: a per-kind lateness policy skips (and records) what is too late;
- at Telegram's limits: one `RateLimiter` for the whole bot; a 429 pauses everything.
No transaction is open during an HTTP call.

Per send: reserved rows are rendered together before any rate slot is taken; after the slot only
the committed "sending" mark precedes the HTTP request; SENT outcomes are group-committed.

Triggering: in a running bot PTB's JobQueue (APScheduler) calls `plan()` every
PLANNER_INTERVAL_SECONDS and wakes the dispatcher loop. Tests call `tick()` directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import update
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.delivery import outbox
from bot.delivery.limiter import RateLimiter
from bot.delivery.outbox import Button, Rendered
from bot.delivery.ratelimit import retry_seconds
from storage.models import Delivery, DeliveryStatus, User
from storage.repositories import deliveries as repo

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

ENGINE_KEY = "delivery"
MAX_ATTEMPTS = 5
"""Counted attempts (server errors, render errors) before a delivery is FAILED."""
RESERVE_LEASE = timedelta(seconds=180)
SEND_LEASE = timedelta(seconds=90)
"""How long a claim lives; longer than any single request (PTB timeouts are ~5-20 s)."""
MAX_OUTAGE_PAUSE = 30.0
MAX_PLANNER_ROUNDS = 200


def retry_backoff(attempts: int) -> timedelta:
    """Wait before counted attempt `attempts + 1`: 5 s, 10 s, 20 s ... at most 5 minutes."""
    return timedelta(seconds=min(300, 5 * 2 ** max(0, attempts - 1)))


def late_reason(delivery: Delivery, now: datetime, late_window_minutes: int) -> str | None:
    """Why a delivery must not be sent any more (lateness policy per kind), or None."""
    if delivery.kind == outbox.ANNOUNCEMENT:
        return None  # announcements are always sent
    if delivery.kind == outbox.CHECKIN_PROMPT:
        from bot.scheduling.prompts import prompt_deadline

        zone_name = str(delivery.payload.get("tz") or "UTC")
        if now > prompt_deadline(delivery.due_at, zone_name, late_window_minutes):
            return "late: check-in window passed"
        return None
    if delivery.kind == outbox.SESSION_REMINDER:
        if delivery.not_after is not None and now >= delivery.not_after:
            return "late: session already started"
        return None
    if delivery.not_after is not None and now > delivery.not_after:
        return "late: past not_after"
    return None


def keyboard(buttons: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """Telegram inline keyboard from outbox buttons (None when there are none)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row]
            for row in buttons
        ]
    )


def _not_sent(error: BaseException) -> bool:
    """True when a network error happened before the request could reach the server."""
    cause = error.__cause__
    return isinstance(cause, httpx.PoolTimeout | httpx.ConnectTimeout | httpx.ConnectError)


class _RenderFailed(Exception):
    """Internal: a renderer failed inside a shared rendering transaction."""


@dataclass
class EngineStats:
    """Counters of one engine (what it did since start)."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    unknown: int = 0
    unreachable: int = 0
    retried: int = 0
    rate_limited: int = 0
    outages: int = 0
    lost_claims: int = 0
    planned: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class DeliveryEngine:
    """Planner runner and dispatcher for one process."""

    def __init__(
        self,
        bot: Any,
        services: Services,
        limiter: RateLimiter,
        *,
        worker: str | None = None,
        concurrency: int | None = None,
    ) -> None:
        self.bot = bot
        self.services = services
        self.limiter = limiter
        self.worker = worker or f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        rate = services.settings.global_rate
        self.concurrency = concurrency or max(16, min(256, int(rate * 2)))
        self.stats = EngineStats()
        self._kick = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._dispatching: asyncio.Lock = asyncio.Lock()
        self._turns: dict[int, asyncio.Future[None]] = {}
        self._sent: list[tuple[Delivery, int, datetime]] = []
        self._sent_writer: asyncio.Task[None] | None = None
        self._stopping = False
        self._outage_pause = 0.0
        self.send_timeout: float | None = None
        """Read timeout of one send (None: PTB's default); past it the outcome is UNKNOWN."""

    # -- planning -----------------------------------------------------------------

    async def recover(self, *, everything: bool = False) -> int:
        """Expired claims: reservations back to PENDING, interrupted sends to UNKNOWN."""
        now = self.services.clock.now()
        async with self.services.transaction() as session:
            released, unknown = await repo.recover_expired(session, now=now, everything=everything)
        for row in unknown:
            log.warning("delivery %s recorded UNKNOWN (interrupted while sending)", row.id)
            self.stats.unknown += 1
            await self._hooks(row)
        return released + len(unknown)

    async def plan(self) -> int:
        """Run every registered planner (each call in its own transaction)."""
        total = 0
        for planner in list(outbox.PLANNERS):
            batched = bool(getattr(planner, "batched", False))
            for _ in range(MAX_PLANNER_ROUNDS if batched else 1):
                now = self.services.clock.now()
                try:
                    async with self.services.transaction() as session:
                        count = await planner(session, self.services, now)
                except Exception:
                    log.exception("planner %s failed", getattr(planner, "__name__", planner))
                    break
                total += count
                if not count:
                    break
        self.stats.planned += total
        return total

    async def tick(self) -> int:
        """One full round: recover, plan, send everything due. Returns how many were sent."""
        await self.recover()
        await self.plan()
        return await self.dispatch_due()

    # -- dispatching --------------------------------------------------------------

    async def dispatch_due(self) -> int:
        """Send every delivery that is due now; returns how many were sent in this call."""
        async with self._dispatching:
            sent_before = self.stats.sent
            cutoff = self.services.clock.now()  # retries made during this call wait for the next
            inflight: set[asyncio.Task[None]] = set()
            refill_at = max(1, self.concurrency // 2)
            while True:
                room = self.concurrency - len(inflight)
                if room >= refill_at:
                    rows = await self._reserve(room, cutoff)
                    rendered = await self._render_many(rows)
                    for row in rows:
                        inflight.add(asyncio.create_task(self._deliver(row, rendered.get(row.id))))
                if not inflight:
                    break
                done, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.exception() is not None:
                        log.error("delivery task crashed: %r", task.exception())
            await self._drain_sent()
            return self.stats.sent - sent_before

    async def _reserve(self, limit: int, cutoff: datetime) -> list[Delivery]:
        now = self.services.clock.now()
        async with self.services.transaction() as session:
            return await repo.reserve_due(
                session, now=now, due_before=cutoff, worker=self.worker, limit=limit,
                lease=RESERVE_LEASE,
            )

    async def _render_many(self, rows: list[Delivery]) -> dict[int, Rendered | Exception]:
        """Render reserved rows that are not late, sharing transactions (renderers only read):
        after a renderer error the rest continue in a fresh transaction."""
        now = self.services.clock.now()
        window = self.services.settings.checkin_late_window_minutes
        todo = [row for row in rows if late_reason(row, now, window) is None]
        results: dict[int, Rendered | Exception] = {}
        while todo:
            with contextlib.suppress(_RenderFailed):
                async with self.services.transaction() as session:
                    while todo:
                        row = todo.pop(0)
                        render = outbox.RENDERERS.get(row.kind)
                        if render is None:
                            results[row.id] = Rendered(skip=f"no renderer for {row.kind}")
                            continue
                        try:
                            results[row.id] = await render(session, row, self.services)
                        except Exception as error:
                            log.exception("rendering delivery %s failed", row.id)
                            results[row.id] = error
                            raise _RenderFailed from error  # roll back, go on in a new one
        return results

    async def _deliver(self, row: Delivery, rendered: Rendered | Exception | None = None) -> None:
        """One delivery, queued for its rate slot after the previous one to the same chat
        (renders finish in any order; messages to one person keep their due order)."""
        before = self._turns.get(row.recipient_id)
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._turns[row.recipient_id] = turn
        try:
            await self._deliver_in_turn(row, rendered, before, turn)
        finally:
            if not turn.done():
                turn.set_result(None)
            if self._turns.get(row.recipient_id) is turn:
                del self._turns[row.recipient_id]

    async def _deliver_in_turn(
        self,
        row: Delivery,
        prepared: Rendered | Exception | None,
        before: asyncio.Future[None] | None,
        turn: asyncio.Future[None],
    ) -> None:
        """Lateness, render (unless `prepared`), rate slot (after `before`; then `turn` is
        done), claim, send.

        Rendering happens before the rate slot is taken, so the only thing between a granted
        slot and the HTTP request is the committed "sending" mark (a crash after it can never
        cause a resend); a slot is not spent waiting for the database to build a message.
        """
        clock = self.services.clock
        window = self.services.settings.checkin_late_window_minutes
        reason = late_reason(row, clock.now(), window)
        if reason is not None:
            await self._final(row, DeliveryStatus.SKIPPED, reason)
            return
        if isinstance(prepared, Exception):
            reason = f"render error: {type(prepared).__name__}"
            await self._retry(row, reason, row.attempts + 1)
            return
        rendered = prepared or await self._render(row)
        if rendered is None:
            return
        if rendered.skip is not None:
            await self._final(row, DeliveryStatus.SKIPPED, rendered.skip)
            return
        if before is not None:
            await asyncio.wait({before})
        await self.limiter.acquire(row.recipient_id)
        turn.set_result(None)
        now = clock.now()
        reason = late_reason(row, now, window)  # the wait for the slot may have made it late
        if reason is not None:
            await self._final(row, DeliveryStatus.SKIPPED, reason)
            return
        try:
            async with self.services.transaction() as session:
                claimed = await repo.start_attempt(
                    session, row.id, worker=self.worker, now=now, lease=SEND_LEASE
                )
        except Exception as error:
            log.exception("marking delivery %s as sending failed", row.id)
            await self._retry(row, f"claim error: {type(error).__name__}", row.attempts + 1)
            return
        if not claimed:
            self.stats.lost_claims += 1
            return
        row.attempts += 1
        await self._send_and_record(row, rendered)

    async def _render(self, row: Delivery) -> Rendered | None:
        """Build the message from the database (None when rendering failed: retried later)."""
        render = outbox.RENDERERS.get(row.kind)
        if render is None:
            return Rendered(skip=f"no renderer for {row.kind}")
        try:
            async with self.services.transaction() as session:
                return await render(session, row, self.services)
        except Exception as error:
            log.exception("rendering delivery %s failed", row.id)
            await self._retry(row, f"render error: {type(error).__name__}", row.attempts + 1)
            return None

    async def _send_and_record(self, row: Delivery, rendered: Rendered) -> None:
        try:
            message_id = await self._send(row.recipient_id, rendered)
        except RetryAfter as error:
            seconds = retry_seconds(error)
            self.limiter.pause(seconds)
            self.stats.rate_limited += 1
            at = self.services.clock.now() + timedelta(seconds=seconds)
            await self._retry(row, "429 retry_after", row.attempts - 1, at=at)
        except Forbidden:
            await self._final(row, DeliveryStatus.UNREACHABLE, "blocked the bot", unreachable=True)
        except (BadRequest, ChatMigrated) as error:
            await self._final(row, DeliveryStatus.FAILED, f"bad request: {error.message}")
        except TimedOut as error:
            if _not_sent(error):
                await self._outage(row, "not sent: timeout before sending")
            else:
                await self._final(row, DeliveryStatus.UNKNOWN, "timeout: outcome unknown")
        except InvalidToken:
            await self._outage(row, "invalid token")
        except NetworkError as error:
            if isinstance(error.__cause__, httpx.TransportError):
                await self._outage(row, "api unreachable")
            else:
                await self._retry(row, f"server error: {error.message}"[:64], row.attempts)
        except Exception as error:
            log.exception("sending delivery %s failed", row.id)
            await self._retry(row, f"error: {type(error).__name__}", row.attempts)
        else:
            self._outage_pause = 0.0
            self._record_sent(row, message_id)

    async def _send(self, chat_id: int, rendered: Rendered) -> int:
        """The Bot API call; the engine already holds the rate slot."""
        args = {"bulk": True, "acquired": True}
        markup = keyboard(rendered.buttons)
        timeouts: dict[str, Any] = {}
        if self.send_timeout is not None:
            timeouts["read_timeout"] = self.send_timeout
        if rendered.photo is not None:
            message = await self.bot.send_photo(
                chat_id, photo=rendered.photo, caption=rendered.text or None,
                parse_mode=ParseMode.HTML, reply_markup=markup, rate_limit_args=args, **timeouts,
            )
        elif rendered.document is not None:
            message = await self.bot.send_document(
                chat_id, document=rendered.document, filename=rendered.filename,
                caption=rendered.text or None, parse_mode=ParseMode.HTML, reply_markup=markup,
                rate_limit_args=args, **timeouts,
            )
        else:
            message = await self.bot.send_message(
                chat_id, rendered.text, parse_mode=ParseMode.HTML, reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                rate_limit_args=args, **timeouts,
            )
        return int(message.message_id)

    async def _outage(self, row: Delivery, reason: str) -> None:
        """The API cannot be reached: pause everything, retry later, keep the attempt budget."""
        self.stats.outages += 1
        self._outage_pause = min(MAX_OUTAGE_PAUSE, max(1.0, self._outage_pause * 2))
        self.limiter.pause(self._outage_pause)
        at = self.services.clock.now() + timedelta(seconds=self._outage_pause)
        await self._retry(row, reason, row.attempts - 1, at=at)

    async def _retry(
        self, row: Delivery, reason: str, attempts: int, *, at: datetime | None = None
    ) -> None:
        """Back to PENDING for another try, or FAILED once the attempts are used up."""
        if attempts >= MAX_ATTEMPTS:
            log.warning("delivery %s FAILED after %s attempts: %s", row.id, attempts, reason)
            await self._final(row, DeliveryStatus.FAILED, f"gave up: {reason}")
            return
        now = self.services.clock.now()
        when = at or now + retry_backoff(attempts)
        async with self.services.transaction() as session:
            await repo.retry_later(
                session, row.id, worker=self.worker, now=now, at=when, reason=reason,
                attempts=max(0, attempts),
            )
        self.stats.retried += 1

    async def _final(
        self,
        row: Delivery,
        status: DeliveryStatus,
        reason: str | None,
        *,
        message_id: int | None = None,
        unreachable: bool = False,
    ) -> None:
        """Record a final outcome (and mark the person unreachable on 403)."""
        now = self.services.clock.now()
        async with self.services.transaction() as session:
            ok = await repo.finish(
                session, row.id, worker=self.worker, status=status, now=now,
                outcome=reason, message_id=message_id,
            )
            if unreachable and row.recipient_id > 0:
                await session.execute(
                    update(User)
                    .where(User.id == row.recipient_id, User.unreachable_since.is_(None))
                    .values(unreachable_since=now)
                    .execution_options(synchronize_session=False)
                )
        await self._recorded(row, status, reason, message_id, ok)

    def _record_sent(self, row: Delivery, message_id: int) -> None:
        """Queue a SENT outcome; one writer commits whatever queued up meanwhile in one
        transaction (group commit: fewer round trips per send, no added wait). Until it is
        committed the row stays "sending", so even a crash now cannot cause a resend."""
        self._sent.append((row, message_id, self.services.clock.now()))
        if self._sent_writer is None or self._sent_writer.done():
            self._sent_writer = asyncio.get_running_loop().create_task(self._write_sent())

    async def _write_sent(self) -> None:
        """Commit queued SENT outcomes in batches until none are left."""
        while self._sent:
            batch, self._sent = self._sent, []
            try:
                async with self.services.transaction() as session:
                    oks = [
                        await repo.finish(
                            session, row.id, worker=self.worker, status=DeliveryStatus.SENT,
                            now=at, message_id=message_id,
                        )
                        for row, message_id, at in batch
                    ]
            except Exception:
                log.exception("recording %s sent deliveries failed; one by one", len(batch))
                for row, message_id, _ in batch:
                    try:
                        await self._final(row, DeliveryStatus.SENT, None, message_id=message_id)
                    except Exception:  # stays "sending": UNKNOWN after its lease, never resent
                        log.exception("recording delivery %s as sent failed", row.id)
                continue
            for (row, message_id, _), ok in zip(batch, oks, strict=True):
                await self._recorded(row, DeliveryStatus.SENT, None, message_id, ok)

    async def _drain_sent(self) -> None:
        """Wait until every queued SENT outcome is committed."""
        while self._sent_writer is not None and not self._sent_writer.done():
            await asyncio.wait({self._sent_writer})

    async def _recorded(
        self,
        row: Delivery,
        status: DeliveryStatus,
        reason: str | None,
        message_id: int | None,
        ok: bool,
    ) -> None:
        """Count a committed final outcome and run the kind's hooks."""
        if not ok:
            self.stats.lost_claims += 1
            return
        row.status, row.outcome, row.message_id = status, reason, message_id
        name = status.value
        self.stats.outcomes[name] = self.stats.outcomes.get(name, 0) + 1
        if status == DeliveryStatus.SENT:
            self.stats.sent += 1
        elif status == DeliveryStatus.SKIPPED:
            self.stats.skipped += 1
            log.info("delivery %s skipped: %s", row.id, reason)
        elif status == DeliveryStatus.FAILED:
            self.stats.failed += 1
        elif status == DeliveryStatus.UNKNOWN:
            self.stats.unknown += 1
            log.warning("delivery %s outcome UNKNOWN: %s", row.id, reason)
        elif status == DeliveryStatus.UNREACHABLE:
            self.stats.unreachable += 1
        await self._hooks(row)

    async def _hooks(self, row: Delivery) -> None:
        for hook in outbox.OUTCOME_HOOKS.get(row.kind, []):
            try:
                await hook(self.services, row)
            except Exception:
                log.exception("outcome hook for delivery %s failed", row.id)

    # -- running in a live bot ----------------------------------------------------

    def kick(self) -> None:
        """Wake the dispatcher loop (something became due)."""
        self._kick.set()

    def start(self) -> None:
        """Start the background dispatcher loop (idempotent)."""
        if self._loop_task is None or self._loop_task.done():
            self._stopping = False
            self._loop_task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the dispatcher loop; in-flight sends finish first."""
        self._stopping = True
        self._kick.set()
        if self._loop_task is not None:
            task, self._loop_task = self._loop_task, None
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=10)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def plan_and_kick(self) -> None:
        """The JobQueue job: recover, plan, wake the dispatcher."""
        self.start()
        try:
            await self.recover()
            await self.plan()
        finally:
            self.kick()

    async def _run(self) -> None:
        while not self._stopping:
            self._kick.clear()
            try:
                await self.dispatch_due()
            except Exception:
                log.exception("dispatcher round failed")
            if self._stopping:
                break
            await self._wait(await self._idle_seconds())

    async def _idle_seconds(self) -> float:
        interval = self.services.settings.planner_interval_seconds
        try:
            async with self.services.transaction() as session:
                due = await repo.next_due_at(session)
        except Exception:
            log.exception("could not read the next due delivery")
            return interval
        if due is None:
            return interval
        return max(0.02, min(interval, (due - self.services.clock.now()).total_seconds()))

    async def _wait(self, seconds: float) -> None:
        kicked = asyncio.ensure_future(self._kick.wait())
        slept = asyncio.ensure_future(self.services.clock.sleep(seconds))
        try:
            await asyncio.wait({kicked, slept}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (kicked, slept):
                task.cancel()


def delivery_engine(services: Services) -> DeliveryEngine:
    """The running engine of a bot."""
    engine = services.extras.get(ENGINE_KEY)
    if not isinstance(engine, DeliveryEngine):
        raise RuntimeError("the delivery engine is not started")
    return engine


def kick_delivery(services: Services) -> None:
    """Ask the dispatcher to look for due deliveries now (after enqueueing 'send now')."""
    engine = services.extras.get(ENGINE_KEY)
    if isinstance(engine, DeliveryEngine):
        engine.kick()
