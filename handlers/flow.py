"""Routing of free text to the step of the flow a person is in.

Flows keep their state in the database (`storage.repositories.flows`), so a restart or another
replica continues them. A module registers a step with `@text_step(FLOW, STEP)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from storage.repositories.flows import FlowState

StepHandler = Callable[[Update, BotContext, AsyncSession, FlowState], Awaitable[None]]

_TEXT_STEPS: dict[tuple[str, str], StepHandler] = {}


def text_step(flow: str, step: str) -> Callable[[StepHandler], StepHandler]:
    """Register the function that handles free text typed at `step` of `flow`."""

    def register(func: StepHandler) -> StepHandler:
        _TEXT_STEPS[(flow, step)] = func
        return func

    return register


def step_handler(state: FlowState) -> StepHandler | None:
    """The registered handler for a flow's current step, if any."""
    return _TEXT_STEPS.get((state.name, state.step))
