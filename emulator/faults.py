"""Fault injection, flood control and request statistics (pure, clock injected)."""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# ``method=None`` fault rules and delays skip these, so "fail the next request" means
# "fail the next thing the bot *does*", not its background polling.
BACKGROUND_METHODS = frozenset({"getupdates"})


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


@dataclass
class FailRule:
    remaining: int
    status: int
    retry_after: int
    method: str | None
    description: str | None

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method not in BACKGROUND_METHODS
        return self.method == method

    def make_error(self) -> ApiError:
        if self.status == 429:
            return too_many_requests(self.retry_after)
        text = self.description or DEFAULT_DESCRIPTIONS.get(self.status, "Error")
        return ApiError(self.status, text)


@dataclass
class RateLimit:
    global_per_second: int | None = 30
    per_chat_per_second: int | None = 1
    group_per_minute: int | None = 20


class Faults:
    def __init__(self, mono: Callable[[], float] = time.monotonic) -> None:
        self.mono = mono
        self.clear()

    def clear(self) -> None:
        self.rules: list[FailRule] = []
        self.delays: dict[str | None, float] = {}
        self.rate_limit: RateLimit | None = None
        self.down = False
        self.down_mode = "close"
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.count_429 = 0
        self._global: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}

    # -------------------------------------------------------------- failures
    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        retry_after: int = 3,
        method: str | None = None,
        description: str | None = None,
    ) -> None:
        key = method.lower() if method else None
        self.rules.append(FailRule(n, status, retry_after, key, description))

    def take_failure(self, method: str) -> ApiError | None:
        for rule in self.rules:
            if rule.remaining > 0 and rule.matches(method):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.rules.remove(rule)
                return rule.make_error()
        return None

    def set_delay(self, seconds: float, method: str | None = None) -> None:
        key = method.lower() if method else None
        if seconds <= 0:
            self.delays.pop(key, None)
        else:
            self.delays[key] = seconds

    def delay_for(self, method: str) -> float:
        if method in self.delays:
            return self.delays[method]
        if method in BACKGROUND_METHODS:
            return 0.0
        return self.delays.get(None, 0.0)

    # ----------------------------------------------------------- rate limits
    def set_rate_limit(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: int | None = 1,
        group_per_minute: int | None = 20,
        enabled: bool = True,
    ) -> None:
        self.rate_limit = (
            RateLimit(global_per_second, per_chat_per_second, group_per_minute) if enabled else None
        )
        self._global.clear()
        self._per_chat.clear()

    def check_send(self, chat_id: int, is_group: bool) -> None:
        """Raise a 429 ApiError if one more send to ``chat_id`` would exceed a limit,
        otherwise record the send."""
        limit = self.rate_limit
        if limit is None:
            return
        now = self.mono()
        chat_log = self._per_chat.setdefault(chat_id, deque())
        _trim(self._global, now - 1.0)
        _trim(chat_log, now - 60.0)
        waits: list[float] = []
        if limit.global_per_second and len(self._global) >= limit.global_per_second:
            waits.append(self._global[-limit.global_per_second] + 1.0 - now)
        recent = [t for t in chat_log if t > now - 1.0]
        if limit.per_chat_per_second and len(recent) >= limit.per_chat_per_second:
            waits.append(recent[-limit.per_chat_per_second] + 1.0 - now)
        if is_group and limit.group_per_minute and len(chat_log) >= limit.group_per_minute:
            waits.append(chat_log[-limit.group_per_minute] + 60.0 - now)
        if waits:
            raise too_many_requests(max(1, math.ceil(max(waits))))
        self._global.append(now)
        chat_log.append(now)

    # ----------------------------------------------------------------- stats
    def arrived(self, method: str) -> None:
        """Count a request when it arrives (a long poll counts before it answers)."""
        self.requests[method] += 1

    def record(self, method: str, status: int) -> None:
        """Count a request's answer."""
        self.statuses[status] += 1
        if status == 429:
            self.count_429 += 1

    def stats(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "count_429": self.count_429,
            "total_requests": sum(self.requests.values()),
            "pending_failures": [
                {"n": r.remaining, "status": r.status, "method": r.method} for r in self.rules
            ],
            "delays": {k or "*": v for k, v in self.delays.items()},
            "rate_limit": None if self.rate_limit is None else vars(self.rate_limit).copy(),
            "down": self.down,
        }


def _trim(times: deque[float], cutoff: float) -> None:
    while times and times[0] <= cutoff:
        times.popleft()
