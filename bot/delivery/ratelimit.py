"""PTB's rate-limiter hook: every Bot API request of the bot shares one `RateLimiter`.

Requests sent by the delivery engine carry `rate_limit_args={"bulk": True}` (and
`"acquired": True` when the engine already waited for its slot); they queue behind the global
rate and the per-chat limits. Everything else (replies to a person's own message, button
answers) is priority: it is never queued behind a broadcast and only waits out a 429 pause.
A 429 anywhere pauses everything for `retry_after`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.clock import Clock
from bot.delivery.limiter import RateLimiter

RateLimitArgs = dict[str, Any]

PRIORITY_RETRIES = 2
"""How often a priority request is retried after a 429 before the error is raised."""
UNLIMITED_ENDPOINTS = frozenset({"getUpdates", "getMe", "setWebhook", "deleteWebhook"})

# PTB 22 reads its own deprecated int `retry_after` inside `RetryAfter.__init__`, so every 429
# emitted a PTBDeprecationWarning whatever we read. Opting in to the future behaviour (time
# periods as timedelta) is the only way to emit none; `retry_seconds` accepts both forms and
# nothing else in the bot reads a PTB time-period attribute.
os.environ.setdefault("PTB_TIMEDELTA", "1")


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds whether PTB gives an int or a timedelta."""
    value: Any = getattr(error, "_retry_after", None)  # avoids PTB's deprecation warning
    if value is None:
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class SharedRateLimiter(BaseRateLimiter[RateLimitArgs]):
    """Adapter from PTB's `BaseRateLimiter` to the bot's single `RateLimiter`."""

    def __init__(self, limiter: RateLimiter, clock: Clock) -> None:
        self.limiter = limiter
        self.clock = clock
        self.count_429 = 0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Release anyone still waiting."""
        self.limiter.close()

    async def wait_out_pause(self) -> None:
        """Sleep (on the injected clock) until any 429 pause is over."""
        while self.limiter.is_paused:
            await self.clock.sleep(self.limiter.paused_until - self.clock.monotonic())

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the request's turn, run it, and turn a 429 into a shared pause."""
        if endpoint in UNLIMITED_ENDPOINTS:
            return await callback(*args, **kwargs)
        options = rate_limit_args or {}
        bulk = bool(options.get("bulk"))
        chat_id = data.get("chat_id")
        attempt = 0
        while True:
            if bulk and not options.get("acquired") and isinstance(chat_id, int):
                await self.limiter.acquire(chat_id)
            else:
                await self.wait_out_pause()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.count_429 += 1
                self.limiter.pause(retry_seconds(error))
                if bulk or attempt >= PRIORITY_RETRIES:
                    raise
                attempt += 1
