"""`/report`: 7 or 30 days of one group — check-in rate, trend chart, attendance, CSV."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import Update

from bot.charts import group_trend_chart
from bot.context import BotContext
from bot.reports import GroupReport, build_report, report_csv, report_text
from bot.roles import require_facilitator
from handlers.callbacks import Callback
from handlers.facilitator import keyboards
from handlers.facilitator import texts as t
from handlers.facilitator.common import (
    action,
    caller_id,
    choose_group,
    group_view,
    is_admin,
    send,
)

PERIODS = (7, 30)


async def report_command(update: Update, context: BotContext) -> None:
    """/report for one of my groups."""
    await choose_group(update, context, "report")


@group_view("report")
async def report_view(update: Update, context: BotContext, group_id: int) -> str | None:
    """Ask for the period."""
    uid = caller_id(update)
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
    await send(
        update,
        context,
        t.REPORT_CHOOSE_PERIOD.format(name=escape(group.name)),
        keyboards.report_periods(group_id),
    )
    return None


async def _report(update: Update, context: BotContext, cb: Callback) -> GroupReport | str:
    group_id, days = cb.int_arg(0), cb.int_arg(1)
    if group_id is None or days not in PERIODS:
        return t.STALE
    uid = caller_id(update)
    async with context.db() as session:
        group = await require_facilitator(session, uid, group_id, is_admin=is_admin(context, uid))
        if group is None:
            return t.NOT_YOURS
        return await build_report(
            session, group, days, context.clock.now(), context.settings.min_aggregate_members
        )


@action("fr", "p")
async def _period(update: Update, context: BotContext, cb: Callback) -> str | None:
    report = await _report(update, context, cb)
    if isinstance(report, str):
        return report
    assert update.effective_chat is not None
    group_id, days = cb.int_arg(0), report.days
    assert group_id is not None
    if report.aggregates_allowed:
        png = await asyncio.to_thread(
            group_trend_chart,
            report.daily,
            title=f"{report.group_name[:40]} — mood trend",
            end=report.end,
            days=days,
        )
        await context.bot.send_photo(
            update.effective_chat.id,
            png,
            caption=t.REPORT_CAPTION.format(name=escape(report.group_name[:60]), days=days),
            parse_mode="HTML",
        )
    await send(update, context, report_text(report), keyboards.report_csv(group_id, days))
    return None


@action("fr", "csv")
async def _csv(update: Update, context: BotContext, cb: Callback) -> str | None:
    report = await _report(update, context, cb)
    if isinstance(report, str):
        return report
    assert update.effective_chat is not None
    await context.bot.send_document(
        update.effective_chat.id,
        report_csv(report),
        filename=f"report-{report.end.isoformat()}-{report.days}d.csv",
        caption=f"Report, last {report.days} days",
    )
    return None
