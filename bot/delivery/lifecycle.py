"""Start and stop the delivery engine with the application (wired in bot/app.py)."""

from __future__ import annotations

import logging
from typing import Any

from bot.clock import Clock
from bot.delivery.engine import ENGINE_KEY, DeliveryEngine
from bot.delivery.limiter import BROADCAST_PAID_RATE, RateLimiter
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)

JOB_NAME = "delivery-planner"


def make_limiter(settings: Settings, clock: Clock) -> RateLimiter:
    """The one limiter of the process: the bot's global rate is shared by the replicas."""
    rate = BROADCAST_PAID_RATE if settings.paid_broadcast else settings.global_rate
    return RateLimiter(clock, global_rate=rate / max(1, settings.replicas))


def register_kinds() -> None:
    """Import the modules whose renderers and planners the engine runs."""
    import bot.delivery.notice
    import bot.scheduling  # noqa: F401


async def _planner_job(context: Any) -> None:
    """PTB JobQueue (APScheduler) callback: plan what is due and wake the dispatcher."""
    services = context.application.bot_data.get("services")
    engine = services.extras.get(ENGINE_KEY) if isinstance(services, Services) else None
    if isinstance(engine, DeliveryEngine):
        await engine.plan_and_kick()


def start_hook(limiter: RateLimiter) -> Any:
    """A start hook creating the engine, recovering interrupted work, scheduling the planner."""

    async def start_delivery(app: Any, services: Services) -> None:
        register_kinds()
        engine = DeliveryEngine(app.bot, services, limiter)
        services.extras[ENGINE_KEY] = engine
        # With one process every claim left in the database belongs to a dead process.
        await engine.recover(everything=services.settings.replicas == 1)
        if app.job_queue is not None:
            app.job_queue.run_repeating(
                _planner_job,
                interval=services.settings.planner_interval_seconds,
                first=0.05,
                name=JOB_NAME,
                job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            )

    return start_delivery


async def stop_delivery(app: Any, services: Services) -> None:
    """Stop the dispatcher loop (in-flight sends finish first)."""
    engine = services.extras.pop(ENGINE_KEY, None)
    if isinstance(engine, DeliveryEngine):
        await engine.stop()
