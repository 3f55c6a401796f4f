"""Groups: `/newgroup` (a flow kept in the database), `/groups` and `/invite`."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from bot.roles import facilitated_groups, require_facilitator, role_in_group
from bot.timeutil import (
    TimeInputError,
    format_time,
    humanize_delta,
    parse_duration,
    parse_local_datetime,
    parse_time_of_day,
    parse_timezone,
    parse_weekdays,
    zone,
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
    remember_bot,
    send,
)
from handlers.facilitator.enrol import co_facilitator_link, start_link
from handlers.flow import text_step
from storage.models import DEFAULT_REMINDER_OFFSETS, Group, InviteKind, MemberStatus, Role
from storage.repositories.flows import FlowState, clear_flow, get_flow, set_flow
from storage.repositories.groups import create_group, member_counts
from storage.repositories.invites import active_invite, create_invite, revoke_group_invites
from storage.repositories.users import get_user

log = logging.getLogger(__name__)

FLOW = "newgroup"
NAME, ZONE, SCHEDULE, DAYS, TIME, DURATION = "name", "zone", "schedule", "days", "time", "duration"
ONEOFF_AT, ONEOFF_DURATION, OFFSETS, APPROVAL = "oneoff_at", "oneoff_dur", "offsets", "approval"
MAX_NAME = 80
MAX_SESSION = timedelta(hours=8)
MIN_SESSION_MINUTES = 5
MAX_OFFSET = timedelta(days=7)
MAX_OFFSETS = 5
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def join_link(bot_username: str, token: str) -> str:
    """The deep link that joins a group."""
    return start_link(bot_username, f"join_{token}")


def describe_weekly(days: list[int], start: str, minutes: int) -> str:
    """'Mon, Thu at 18:30 for 1 hour 30 minutes'."""
    names = ", ".join(WEEKDAY_NAMES[d] for d in sorted(days))
    return f"{names} at {start} for {humanize_delta(timedelta(minutes=minutes))}"


def format_local(instant: datetime, zone_name: str) -> str:
    """'Thu 03 Dec 18:30' on the group's wall clock."""
    return instant.astimezone(zone(zone_name)).strftime("%a %d %b %H:%M")


def parse_offsets(text: str) -> list[int]:
    """'24h, 1h, 30m' -> [1440, 60, 30] minutes; 'none' -> []; raises TimeInputError."""
    cleaned = text.strip().lower()
    if cleaned in ("none", "no", "no reminders", "0"):
        return []
    parts = [p for p in cleaned.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise TimeInputError("I couldn't read any reminder times.")
    if len(parts) > MAX_OFFSETS:
        raise TimeInputError(t.OFFSETS_TOO_MANY)
    minutes = {int(parse_duration(p, MAX_OFFSET).total_seconds() // 60) for p in parts}
    return sorted(minutes, reverse=True)


def describe_offsets(offsets: list[int]) -> str:
    """'24 hours and 1 hour before' or 'no reminders'."""
    if not offsets:
        return "no reminders"
    words = [humanize_delta(timedelta(minutes=m)) for m in offsets]
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words) + " before"


# --- /newgroup -------------------------------------------------------------------------------


async def new_group(update: Update, context: BotContext) -> None:
    """/newgroup: enrolled facilitators and admins start the flow."""
    remember_bot(context)
    uid = caller_id(update)
    async with context.db() as session:
        user = await get_user(session, uid)
        if user is None or not user.is_onboarded:
            await send(update, context, t.FINISH_ONBOARDING_FIRST)
            return
        if not (user.is_facilitator or is_admin(context, uid)):
            await send(update, context, t.NOT_FACILITATOR_NEWGROUP)
            return
        await set_flow(session, uid, FlowState(FLOW, NAME, {}), now=context.clock.now())
    await send(update, context, t.ASK_NAME)


async def _step(
    session: AsyncSession, uid: int, state: FlowState, step: str, now: datetime
) -> None:
    state.step = step
    await set_flow(session, uid, state, now=now)


def _text(update: Update) -> str:
    assert update.effective_message is not None
    return update.effective_message.text or ""


@text_step(FLOW, NAME)
async def typed_name(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """The group's name: 1-80 characters."""
    name = " ".join(_text(update).split())
    if not name:
        await send(update, context, t.NAME_EMPTY)
        return
    if len(name) > MAX_NAME:
        await send(update, context, t.NAME_TOO_LONG.format(length=len(name)))
        return
    uid = caller_id(update)
    user = await get_user(session, uid)
    my_zone = (user.timezone if user else None) or context.settings.default_timezone
    state.data.update(name=name, my_zone=my_zone, weekly=None, one_offs=[])
    await _step(session, uid, state, ZONE, context.clock.now())
    await send(
        update, context, t.ASK_ZONE.format(name=escape(name)), keyboards.zone_choice(my_zone)
    )


async def _zone_chosen(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState, zone_name: str
) -> None:
    state.data["zone"] = zone_name
    await _step(session, caller_id(update), state, SCHEDULE, context.clock.now())
    await send(
        update,
        context,
        t.ASK_SCHEDULE.format(zone=escape(zone_name)),
        keyboards.schedule_choice(first=True),
    )


@text_step(FLOW, ZONE)
async def typed_zone(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """A typed time zone for the group."""
    try:
        zone_name = parse_timezone(_text(update))
    except TimeInputError as error:
        await send(
            update, context, escape(str(error)), keyboards.zone_choice(state.data["my_zone"])
        )
        return
    await _zone_chosen(update, context, session, state, zone_name)


@text_step(FLOW, DAYS)
async def typed_days(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """Weekdays of the weekly schedule."""
    days = await parse_typed(update, context, parse_weekdays)
    if days is None:
        return
    state.data["draft_days"] = sorted(days)
    await next_step(update, context, session, state, TIME, t.ASK_TIME)


@text_step(FLOW, TIME)
async def typed_time(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """Local start time of the weekly schedule."""
    start = await parse_typed(update, context, parse_time_of_day)
    if start is None:
        return
    state.data["draft_time"] = format_time(start)
    await next_step(update, context, session, state, DURATION, t.ASK_DURATION)


def parse_session_minutes(text: str) -> int:
    """A session's duration in minutes (5 minutes to 8 hours)."""
    minutes = int(parse_duration(text, MAX_SESSION).total_seconds() // 60)
    if minutes < MIN_SESSION_MINUTES:
        raise TimeInputError("A session lasts at least 5 minutes — try something like 90 min.")
    return minutes


async def _added(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState, what: str
) -> None:
    await _step(session, caller_id(update), state, SCHEDULE, context.clock.now())
    await send(
        update,
        context,
        t.ADDED_SOMETHING.format(what=escape(what)),
        keyboards.schedule_choice(first=False),
    )


@text_step(FLOW, DURATION)
async def typed_duration(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """Duration of the weekly sessions; the weekly rule is complete."""
    minutes = await parse_typed(update, context, parse_session_minutes)
    if minutes is None:
        return
    weekly = {
        "days": state.data["draft_days"],
        "time": state.data["draft_time"],
        "minutes": minutes,
    }
    state.data["weekly"] = weekly
    await _added(
        update, context, session, state, describe_weekly(weekly["days"], weekly["time"], minutes)
    )


@text_step(FLOW, ONEOFF_AT)
async def typed_oneoff_at(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """Date and time of a one-off session, in the group's zone, in the future."""
    try:
        at = parse_local_datetime(_text(update), state.data["zone"], context.clock.now())
    except TimeInputError as error:
        await send(update, context, escape(str(error)))
        return
    state.data["draft_at"] = at.isoformat()
    await _step(session, caller_id(update), state, ONEOFF_DURATION, context.clock.now())
    await send(update, context, t.ASK_DURATION)


@text_step(FLOW, ONEOFF_DURATION)
async def typed_oneoff_duration(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """Duration of the one-off session."""
    try:
        minutes = parse_session_minutes(_text(update))
    except TimeInputError as error:
        await send(update, context, escape(str(error)))
        return
    at = datetime.fromisoformat(state.data["draft_at"])
    state.data["one_offs"] = [
        *state.data.get("one_offs", []),
        {"at": at.isoformat(), "minutes": minutes},
    ]
    when = format_local(at, state.data["zone"])
    await _added(
        update,
        context,
        session,
        state,
        f"one-off on {when} for {humanize_delta(timedelta(minutes=minutes))}",
    )


@text_step(FLOW, OFFSETS)
async def typed_offsets(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    """Reminder offsets like '24h, 1h, 30m'."""
    try:
        offsets = parse_offsets(_text(update))
    except TimeInputError as error:
        await send(
            update,
            context,
            t.OFFSETS_BAD.format(error=escape(str(error))),
            keyboards.offsets_choice(),
        )
        return
    await _offsets_chosen(update, context, session, state, offsets)


async def _offsets_chosen(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    state: FlowState,
    offsets: list[int],
) -> None:
    state.data["offsets"] = offsets
    await _step(session, caller_id(update), state, APPROVAL, context.clock.now())
    await send(update, context, t.ASK_APPROVAL, keyboards.approval_choice())


async def _typed_at_button_step(
    update: Update, context: BotContext, session: AsyncSession, state: FlowState
) -> None:
    await send(update, context, t.PLEASE_TAP)


text_step(FLOW, SCHEDULE)(_typed_at_button_step)
text_step(FLOW, APPROVAL)(_typed_at_button_step)


async def _flow_at(session: AsyncSession, update: Update, step: str) -> FlowState | None:
    state = await get_flow(session, caller_id(update))
    if state is None or state.name != FLOW or state.step != step:
        return None
    return state


@action("fg", "zone")
async def _use_my_zone(update: Update, context: BotContext, cb: Callback) -> str | None:
    async with context.db() as session:
        state = await _flow_at(session, update, ZONE)
        if state is None:
            return t.STALE
        await _zone_chosen(update, context, session, state, state.data["my_zone"])
    return None


@action("fg", "sched")
async def _schedule_choice(update: Update, context: BotContext, cb: Callback) -> str | None:
    choice = cb.args[0] if cb.args else ""
    async with context.db() as session:
        state = await _flow_at(session, update, SCHEDULE)
        if state is None or choice not in ("weekly", "oneoff", "done"):
            return t.STALE
        now = context.clock.now()
        if choice == "weekly":
            await _step(session, caller_id(update), state, DAYS, now)
            await send(update, context, t.ASK_DAYS)
        elif choice == "oneoff":
            await _step(session, caller_id(update), state, ONEOFF_AT, now)
            await send(update, context, t.ASK_ONEOFF.format(zone=escape(state.data["zone"])))
        else:
            await _step(session, caller_id(update), state, OFFSETS, now)
            await send(update, context, t.ASK_OFFSETS, keyboards.offsets_choice())
    return None


@action("fg", "off")
async def _default_offsets(update: Update, context: BotContext, cb: Callback) -> str | None:
    async with context.db() as session:
        state = await _flow_at(session, update, OFFSETS)
        if state is None:
            return t.STALE
        await _offsets_chosen(update, context, session, state, list(DEFAULT_REMINDER_OFFSETS))
    return None


@action("fg", "appr")
async def _approval(update: Update, context: BotContext, cb: Callback) -> str | None:
    choice = cb.args[0] if cb.args else ""
    uid = caller_id(update)
    async with context.db() as session:
        state = await _flow_at(session, update, APPROVAL)
        if state is None or choice not in ("yes", "no"):
            return t.STALE
        user = await get_user(session, uid)
        if not (is_admin(context, uid) or (user is not None and user.is_facilitator)):
            await clear_flow(session, uid)
            return t.NOT_FACILITATOR_NEWGROUP
        text = await _create(context, session, uid, state.data, approval=choice == "yes")
        await clear_flow(session, uid)
    await send(update, context, text)
    return None


async def _create(
    context: BotContext, session: AsyncSession, uid: int, data: dict[str, Any], *, approval: bool
) -> str:
    """Create the group, its facilitator membership, sessions and join invite."""
    from bot.scheduling import add_one_off, create_weekly_rule

    now = context.clock.now()
    group = await create_group(
        session,
        name=data["name"],
        timezone=data["zone"],
        approval_required=approval,
        reminder_offsets=data.get("offsets", DEFAULT_REMINDER_OFFSETS),
        created_by=uid,
        now=now,
    )
    lines = []
    weekly = data.get("weekly")
    if weekly:
        await create_weekly_rule(
            session,
            group,
            set(weekly["days"]),
            parse_time_of_day(weekly["time"]),
            int(weekly["minutes"]),
            now,
        )
        lines.append(
            "Weekly: " + describe_weekly(weekly["days"], weekly["time"], weekly["minutes"])
        )
    for item in data.get("one_offs", []):
        at = datetime.fromisoformat(item["at"])
        if at <= now:
            lines.append(f"Skipped {format_local(at, group.timezone)}: that time has passed.")
            continue
        await add_one_off(session, group, at, int(item["minutes"]), now)
        lines.append(f"One-off: {format_local(at, group.timezone)}")
    if not lines:
        lines.append("No sessions yet — /schedule adds them.")
    lines.append(f"Time zone: {group.timezone}")
    lines.append("Reminders: " + describe_offsets(group.reminder_offsets))
    lines.append("Approval: " + ("you approve each person" if approval else "the link is enough"))
    invite = await create_invite(session, InviteKind.JOIN, group.id, uid, now)
    log.info("group %s created by %s", group.id, uid)
    return t.GROUP_CREATED.format(
        name=escape(group.name),
        summary=escape("\n".join(lines)),
        link=escape(join_link(context.bot.username, invite.token)),
        token=escape(invite.token),
    )


# --- /groups and /invite ---------------------------------------------------------------------


async def participant_view_text(session: AsyncSession, uid: int) -> str:
    """The participant view of the groups I'm a participant in ('' when none)."""
    from handlers.participant_groups import participant_groups_text
    from storage.repositories.joining import memberships_of

    rows = [(m, g) for m, g in await memberships_of(session, uid) if m.role == Role.PARTICIPANT]
    visible = [(m, g) for m, g in rows if m.status in (MemberStatus.ACTIVE, MemberStatus.PENDING)]
    return participant_groups_text(visible) if visible else ""


async def groups_command(update: Update, context: BotContext) -> None:
    """/groups: the groups I facilitate (with invite links), then the ones I'm a member of.
    People who facilitate nothing get the participant view."""
    remember_bot(context)
    uid = caller_id(update)
    admin = is_admin(context, uid)
    lines: list[str] = []
    async with context.db() as session:
        user = await get_user(session, uid)
        enrolled = admin or (user is not None and user.is_facilitator)
        managed = await facilitated_groups(session, uid, is_admin=admin)
        if managed or enrolled:
            for group in managed:
                lines.append(await _group_line(context, session, uid, group))
            participant = await participant_view_text(session, uid)
    if not (managed or enrolled):
        from handlers import participant_groups

        await participant_groups.groups_command(update, context)
        return
    parts = [t.MY_GROUPS_HEADER + "\n" + "\n".join(lines)] if lines else [t.NO_GROUPS]
    if participant:
        parts.append(participant)
    await send(update, context, "\n\n".join(parts))


show_groups = groups_command


async def _group_line(context: BotContext, session: AsyncSession, uid: int, group: Group) -> str:
    role = await role_in_group(session, uid, group.id)
    counts = await member_counts(session, group.id)
    invite = await active_invite(session, group.id, InviteKind.JOIN)
    pending = counts.get(MemberStatus.PENDING, 0)
    role_name = {Role.FACILITATOR: "facilitator", Role.CO_FACILITATOR: "co-facilitator"}
    return t.GROUP_LINE.format(
        name=escape(group.name),
        role=role_name.get(role, "admin") if role else "admin",
        active=counts.get(MemberStatus.ACTIVE, 0),
        pending=f", {pending} waiting" if pending else "",
        zone=escape(group.timezone),
        approval="approval on" if group.approval_required else "open link",
        link=escape(join_link(context.bot.username, invite.token))
        if invite
        else "no invite link — /invite makes one",
    )


async def invite_command(update: Update, context: BotContext) -> None:
    """/invite: the join link and code of one of my groups."""
    await choose_group(update, context, "invite")


@group_view("invite")
async def invite_view(update: Update, context: BotContext, group_id: int) -> str | None:
    """Show (creating if needed) the group's join link, with regenerate and co-facilitator."""
    uid = caller_id(update)
    admin = is_admin(context, uid)
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=admin)
        if group is None:
            return t.NOT_YOURS
        invite = await active_invite(session, group.id, InviteKind.JOIN)
        if invite is None:
            invite = await create_invite(
                session, InviteKind.JOIN, group.id, uid, context.clock.now()
            )
        lead = admin or await role_in_group(session, uid, group.id) == Role.FACILITATOR
        text = _invite_text(context, group, invite.token)
        approval = group.approval_required
    await send(update, context, text, keyboards.invite_actions(group_id, lead, approval))
    return None


def _invite_text(context: BotContext, group: Group, token: str) -> str:
    return t.INVITE_VIEW.format(
        name=escape(group.name),
        link=escape(join_link(context.bot.username, token)),
        token=escape(token),
    )


@action("fg", "regen")
async def _regenerate(update: Update, context: BotContext, cb: Callback) -> str | None:
    group_id = cb.int_arg(0)
    uid = caller_id(update)
    if group_id is None:
        return t.STALE
    now = context.clock.now()
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        await revoke_group_invites(session, group.id, InviteKind.JOIN, now)
        invite = await create_invite(session, InviteKind.JOIN, group.id, uid, now)
        text = t.INVITE_REGENERATED.format(name=escape(group.name)) + _invite_text(
            context, group, invite.token
        )
    log.info("join invite of group %s regenerated by %s", group_id, uid)
    await send(update, context, text)
    return None


@action("fg", "cofac")
async def _co_facilitator(update: Update, context: BotContext, cb: Callback) -> str | None:
    group_id = cb.int_arg(0)
    uid = caller_id(update)
    if group_id is None:
        return t.STALE
    async with context.db() as session:
        group = await require_facilitator(
            session, uid, group_id, is_admin=is_admin(context, uid), lead_only=True
        )
        if group is None:
            return t.NOT_YOURS
        text = await co_facilitator_link(context, session, group, uid)
    await send(update, context, text)
    return None


@action("fg", "apsw")
async def _switch_approval(update: Update, context: BotContext, cb: Callback) -> str | None:
    group_id, wanted = cb.int_arg(0), cb.int_arg(1)
    uid = caller_id(update)
    if group_id is None or wanted not in (0, 1):
        return t.STALE
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        group.approval_required = bool(wanted)
        name = group.name
    log.info("approval of group %s set to %s by %s", group_id, bool(wanted), uid)
    await send(
        update, context, (t.APPROVAL_ON if wanted else t.APPROVAL_OFF).format(name=escape(name))
    )
    return None
