"""`/schedule`: upcoming sessions with RSVP counts; add a one-off; cancel or move one session;
change the weekly schedule. The session rules themselves live in `bot.scheduling`."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from bot.roles import require_facilitator
from bot.scheduling import (
    SchedulingError,
    add_one_off,
    cancel_occurrence,
    create_weekly_rule,
    move_occurrence,
    upcoming_occurrences,
    update_weekly_rule,
)
from bot.timeutil import (
    TimeInputError,
    format_time,
    humanize_delta,
    parse_local_datetime,
    parse_time_of_day,
    parse_weekdays,
)
from handlers.callbacks import Callback
from handlers.facilitator import keyboards
from handlers.facilitator import texts as t
from handlers.facilitator.common import (
    action,
    caller_id,
    choose_group,
    group_view,
    is_admin,
    next_step,
    parse_typed,
    send,
)
from handlers.facilitator.groups import describe_weekly, format_local, parse_session_minutes
from handlers.flow import text_step
from storage.models import Group, Rsvp, RsvpAnswer, SessionOccurrence, SessionRule
from storage.repositories.flows import FlowState, clear_flow, set_flow
from storage.repositories.sessions import rules_of_group

log = logging.getLogger(__name__)

FLOW = "schedule"
MOVE_AT, ADD_AT, ADD_DURATION = "move_at", "add_at", "add_duration"
RULE_DAYS, RULE_TIME, RULE_DURATION = "rule_days", "rule_time", "rule_duration"
SHOWN = 8


async def schedule_command(update: Update, context: BotContext) -> None:
    """/schedule for one of my groups."""
    await choose_group(update, context, "schedule")


async def rsvp_counts(session: AsyncSession, occurrence_id: int) -> Counter[RsvpAnswer]:
    """How many members answered going / can't / late."""
    answers = (
        (await session.execute(select(Rsvp.answer).where(Rsvp.occurrence_id == occurrence_id)))
        .scalars()
        .all()
    )
    return Counter(RsvpAnswer(a) for a in answers)


def _duration(minutes: int) -> str:
    return humanize_delta(timedelta(minutes=minutes))


def rule_text(rule: SessionRule | None) -> str:
    """The weekly rule in words."""
    if rule is None:
        return t.NO_RULE
    return t.RULE_LINE.format(
        days=describe_weekly(
            rule.weekdays, format_time(rule.start_time), rule.duration_minutes
        ).split(" at ")[0],
        time=format_time(rule.start_time),
        duration=_duration(rule.duration_minutes),
    )


@group_view("schedule")
async def schedule_view(update: Update, context: BotContext, group_id: int) -> str | None:
    """The next sessions with RSVP counts and the actions."""
    uid = caller_id(update)
    now = context.clock.now()
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        rules = await rules_of_group(session, group.id)
        occurrences = await upcoming_occurrences(session, [group.id], now, SHOWN)
        lines = [
            t.SCHEDULE_HEADER.format(name=escape(group.name), zone=escape(group.timezone)),
            escape(rule_text(rules[0] if rules else None)),
            "",
        ]
        buttons = []
        for occ in occurrences:
            counts = await rsvp_counts(session, occ.id)
            when = format_local(occ.starts_at, group.timezone)
            lines.append(
                t.SCHEDULE_LINE.format(
                    when=when,
                    duration=_duration(occ.duration_minutes),
                    title=f" · {escape(occ.title)}" if occ.title else "",
                    going=counts[RsvpAnswer.GOING],
                    late=counts[RsvpAnswer.LATE],
                    no=counts[RsvpAnswer.NOT_GOING],
                )
            )
            buttons.append((when, occ.id))
        if not occurrences:
            lines.append(t.SCHEDULE_EMPTY)
    await send(update, context, "\n".join(lines), keyboards.schedule_actions(group_id, buttons))
    return None


async def _occurrence(
    context: BotContext, session: AsyncSession, uid: int, occ_id: int | None
) -> tuple[SessionOccurrence, Group] | str:
    """The occurrence and its group when the caller manages that group now."""
    if occ_id is None:
        return t.STALE
    occ = await session.get(SessionOccurrence, occ_id)
    if occ is None:
        return t.OCC_GONE
    group = await require_facilitator(session, uid, occ.group_id, is_admin=is_admin(context, uid))
    if group is None:
        return t.NOT_YOURS
    return occ, group


@action("fs", "occ")
async def _occ_menu(update: Update, context: BotContext, cb: Callback) -> str | None:
    async with context.db() as session:
        found = await _occurrence(context, session, caller_id(update), cb.int_arg(0))
        if isinstance(found, str):
            return found
        occ, group = found
        counts = await rsvp_counts(session, occ.id)
    await send(
        update,
        context,
        t.OCC_MENU.format(
            when=format_local(occ.starts_at, group.timezone),
            going=counts[RsvpAnswer.GOING],
            late=counts[RsvpAnswer.LATE],
            no=counts[RsvpAnswer.NOT_GOING],
        ),
        keyboards.occurrence_actions(occ.id),
    )
    return None


@action("fs", "cancel")
async def _cancel_ask(update: Update, context: BotContext, cb: Callback) -> str | None:
    async with context.db() as session:
        found = await _occurrence(context, session, caller_id(update), cb.int_arg(0))
        if isinstance(found, str):
            return found
        occ, group = found
    await send(
        update,
        context,
        t.CONFIRM_CANCEL.format(when=format_local(occ.starts_at, group.timezone)),
        keyboards.confirm_cancel(occ.id),
    )
    return None


@action("fs", "cancelok")
async def _cancel(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    async with context.db() as session:
        found = await _occurrence(context, session, uid, cb.int_arg(0))
        if isinstance(found, str):
            return found
        occ, group = found
        when = format_local(occ.starts_at, group.timezone)
        try:
            await cancel_occurrence(session, occ.id, context.clock.now(), uid)
        except SchedulingError as error:
            return str(error)
    log.info("occurrence %s cancelled by %s", occ.id, uid)
    await send(update, context, t.OCC_CANCELLED.format(when=when))
    return None


@action("fs", "keep")
async def _keep(update: Update, context: BotContext, cb: Callback) -> str | None:
    return None


@action("fs", "move")
async def _move_ask(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    async with context.db() as session:
        found = await _occurrence(context, session, uid, cb.int_arg(0))
        if isinstance(found, str):
            return found
        occ, group = found
        await set_flow(
            session, uid, FlowState(FLOW, MOVE_AT, {"occ": occ.id}), now=context.clock.now()
        )
    await send(
        update,
        context,
        t.ASK_MOVE.format(
            when=format_local(occ.starts_at, group.timezone), zone=escape(group.timezone)
        ),
    )
    return None


def _typed(update: Update) -> str:
    return (update.effective_message.text or "") if update.effective_message else ""


@text_step(FLOW, MOVE_AT)
async def typed_move(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """The new date and time of a moved session."""
    uid = caller_id(update)
    found = await _occurrence(context, session, uid, state.data.get("occ"))
    if isinstance(found, str):
        await clear_flow(session, uid)
        await send(update, context, found)
        return
    occ, group = found
    now = context.clock.now()
    old = format_local(occ.starts_at, group.timezone)
    try:
        new_start = parse_local_datetime(_typed(update), group.timezone, now)
        await move_occurrence(session, occ.id, new_start, now, uid)
    except (TimeInputError, SchedulingError) as error:
        await send(update, context, escape(str(error)))
        return
    await clear_flow(session, uid)
    log.info("occurrence %s moved by %s", occ.id, uid)
    await send(
        update, context, t.OCC_MOVED.format(when=old, new=format_local(new_start, group.timezone))
    )


async def _group_for_flow(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> Group | None:
    uid = caller_id(update)
    group = await require_facilitator(
        session, uid, int(state.data.get("group", 0)), is_admin=is_admin(context, uid)
    )
    if group is None:
        await clear_flow(session, uid)
        await send(update, context, t.NOT_YOURS)
    return group


@action("fs", "add")
async def _add_ask(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    group_id = cb.int_arg(0)
    if group_id is None:
        return t.STALE
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        await set_flow(
            session, uid, FlowState(FLOW, ADD_AT, {"group": group.id}), now=context.clock.now()
        )
    await send(update, context, t.ASK_ONEOFF.format(zone=escape(group.timezone)))
    return None


@text_step(FLOW, ADD_AT)
async def typed_add_at(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """When the new one-off session starts."""
    group = await _group_for_flow(update, context, session, state)
    if group is None:
        return
    try:
        at = parse_local_datetime(_typed(update), group.timezone, context.clock.now())
    except TimeInputError as error:
        await send(update, context, escape(str(error)))
        return
    state.data["at"] = at.isoformat()
    state.step = ADD_DURATION
    await set_flow(session, caller_id(update), state, now=context.clock.now())
    await send(update, context, t.ASK_DURATION)


@text_step(FLOW, ADD_DURATION)
async def typed_add_duration(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """How long the new one-off session lasts; then it is added."""
    group = await _group_for_flow(update, context, session, state)
    if group is None:
        return
    at = datetime.fromisoformat(state.data["at"])
    try:
        minutes = parse_session_minutes(_typed(update))
        await add_one_off(session, group, at, minutes, context.clock.now())
    except (TimeInputError, SchedulingError) as error:
        await send(update, context, escape(str(error)))
        return
    await clear_flow(session, caller_id(update))
    await send(update, context, t.ONEOFF_ADDED.format(when=format_local(at, group.timezone)))


@action("fs", "rule")
async def _rule_menu(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    group_id = cb.int_arg(0)
    if group_id is None:
        return t.STALE
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        rules = await rules_of_group(session, group.id)
    await send(
        update,
        context,
        escape(rule_text(rules[0] if rules else None)),
        keyboards.rule_actions(group_id, bool(rules)),
    )
    return None


@action("fs", "ruleset")
async def _rule_set(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    group_id = cb.int_arg(0)
    if group_id is None:
        return t.STALE
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        await set_flow(
            session, uid, FlowState(FLOW, RULE_DAYS, {"group": group.id}), now=context.clock.now()
        )
    await send(update, context, t.ASK_DAYS)
    return None


@text_step(FLOW, RULE_DAYS)
async def typed_rule_days(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """New weekdays of the weekly schedule."""
    if await _group_for_flow(update, context, session, state) is None:
        return
    days = await parse_typed(update, context, parse_weekdays)
    if days is None:
        return
    state.data["days"] = sorted(days)
    await next_step(update, context, session, state, RULE_TIME, t.ASK_TIME)


@text_step(FLOW, RULE_TIME)
async def typed_rule_time(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """New local start time of the weekly schedule."""
    if await _group_for_flow(update, context, session, state) is None:
        return
    start = await parse_typed(update, context, parse_time_of_day)
    if start is None:
        return
    state.data["time"] = format_time(start)
    await next_step(update, context, session, state, RULE_DURATION, t.ASK_DURATION)


@text_step(FLOW, RULE_DURATION)
async def typed_rule_duration(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """New duration; the rule is created or updated and future sessions follow."""
    group = await _group_for_flow(update, context, session, state)
    if group is None:
        return
    uid = caller_id(update)
    now = context.clock.now()
    days, start = state.data["days"], parse_time_of_day(state.data["time"])
    try:
        minutes = parse_session_minutes(_typed(update))
        rules = await rules_of_group(session, group.id)
        if rules:
            await update_weekly_rule(
                session,
                rules[0].id,
                now,
                weekdays=days,
                start_time=start,
                duration_minutes=minutes,
                by_user_id=uid,
            )
        else:
            await create_weekly_rule(session, group, days, start, minutes, now)
    except (TimeInputError, SchedulingError) as error:
        await send(update, context, escape(str(error)))
        return
    await clear_flow(session, uid)
    log.info("weekly rule of group %s changed by %s", group.id, uid)
    await send(
        update,
        context,
        t.RULE_UPDATED.format(
            rule=escape(describe_weekly(days, state.data["time"], minutes)) + "."
        ),
    )


@action("fs", "ruleoff")
async def _rule_off(update: Update, context: BotContext, cb: Callback) -> str | None:
    uid = caller_id(update)
    group_id = cb.int_arg(0)
    if group_id is None:
        return t.STALE
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        rules = await rules_of_group(session, group.id)
        if not rules:
            return t.STALE
        for rule in rules:
            await update_weekly_rule(
                session, rule.id, context.clock.now(), active=False, by_user_id=uid
            )
    await send(update, context, t.RULE_REMOVED)
    return None
