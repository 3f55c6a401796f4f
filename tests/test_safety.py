"""Crisis handling: risk language gets resources at once and alerts the facilitators; alerts
escalate until acknowledged; "I'm okay for now" never closes an alert."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.outbox import ALERT
from storage.models import Alert, AlertEvent, AlertStatus
from tests.harness import BotHarness
from tests.test_safety_helpers import deliveries, make_group, texts_of, tick

RISKY = "honestly I want to kill myself tonight"
SECRET = "tonight"


async def setup_group(h: BotHarness) -> int:
    """Member 1 (Ann) in a group led by 10 (Fay) with co-facilitator 11 (Cole)."""
    await h.onboard(1, first_name="Ann")
    await h.onboard(10, first_name="Fay")
    await h.onboard(11, first_name="Cole")
    return await make_group(h, facilitators=(10,), co_facilitators=(11,), participants=(1,))


async def events(h: BotHarness) -> list[str]:
    async with h.db() as session:
        rows = await session.execute(select(AlertEvent.action).order_by(AlertEvent.id))
        return list(rows.scalars())


async def the_alert(h: BotHarness) -> Alert:
    async with h.db() as session:
        return (await session.execute(select(Alert))).scalar_one()


async def test_risky_message_gets_resources_and_alerts_the_team(any_bot: BotHarness) -> None:
    h = any_bot
    group_id = await setup_group(h)
    replies = await h.send(1, RISKY)
    text = texts_of(replies)
    assert "emergency" in text and "around the clock" in text
    assert "facilitator know" in text
    assert "I'm okay for now" in str(replies[-1].get("reply_markup"))
    alert = await the_alert(h)
    assert (alert.user_id, alert.group_id, alert.kind, alert.source) == (1, group_id, "risk",
                                                                          "message")
    sent = await tick(h, ALERT)
    assert sorted(d.recipient_id for d in sent) == [10, 11]
    for fac in (10, 11):
        alert_text = await h.last_text(fac)
        assert "Ann" in alert_text and "Tuesday circle" in alert_text
        assert "may mean they are at risk" in alert_text
        assert SECRET not in alert_text and "kill" not in alert_text
    assert await events(h) == ["raised", "sent", "sent"]


async def test_unacknowledged_alert_escalates_to_team_then_admin(bot: BotHarness) -> None:
    await setup_group(bot)
    await bot.send(1, RISKY)
    await tick(bot, ALERT)
    bot.clock.advance(timedelta(minutes=59))
    assert await tick(bot, ALERT) == []
    bot.clock.advance(timedelta(minutes=1))
    sent = await tick(bot, ALERT)
    assert sorted(d.recipient_id for d in sent) == [10, 11]
    assert "Still not acknowledged" in await bot.last_text(10)
    assert await bot.emu.messages(900) == []
    bot.clock.advance(timedelta(minutes=120))
    sent = await tick(bot, ALERT)
    assert [d.recipient_id for d in sent] == [900]
    admin_text = await bot.last_text(900)
    assert "Ann" in admin_text and "kill" not in admin_text
    alert = await the_alert(bot)
    assert alert.escalation_level == 2 and alert.next_escalation_at is None
    assert (await events(bot)).count("escalated") == 2
    bot.clock.advance(timedelta(days=1))
    assert await tick(bot, ALERT) == []


async def test_acknowledge_stops_escalation(any_bot: BotHarness) -> None:
    h = any_bot
    await setup_group(h)
    await h.send(1, RISKY)
    await tick(h, ALERT)
    await h.press(11, "Acknowledge")
    assert "Acknowledged" in await h.last_text(11)
    alert = await the_alert(h)
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == 11
    h.clock.advance(timedelta(hours=5))
    sent = await tick(h, ALERT)
    # Only the note to the other facilitator that someone is on it; nothing to the admin.
    assert [d.recipient_id for d in sent] == [10]
    assert "acknowledged by Cole" in await h.last_text(10)
    assert await h.emu.messages(900) == []
    assert "acknowledged" in await events(h)
    # A second press is answered and changes nothing.
    await h.press(10, "Acknowledge")
    assert "Already acknowledged by Cole" in (await h.answers())[-1]["text"]


async def test_im_okay_is_shown_to_the_team_and_keeps_the_alert_open(bot: BotHarness) -> None:
    await setup_group(bot)
    await bot.send(1, RISKY)
    await tick(bot, ALERT)
    replies = await bot.press(1, "I'm okay for now")
    assert "Thank you for letting me know" in texts_of(replies)
    alert = await the_alert(bot)
    assert alert.status == AlertStatus.OPEN and alert.next_escalation_at is not None
    assert "participant_ok" in await events(bot)
    sent = await tick(bot, ALERT)
    assert sorted(d.recipient_id for d in sent) == [10, 11]
    update = await bot.last_text(10)
    assert "I'm okay for now" in update and "does not close the alert" in update
    bot.clock.advance(timedelta(minutes=60))
    assert {d.recipient_id for d in await tick(bot, ALERT)} == {10, 11}  # still escalates


async def test_someone_else_cannot_acknowledge(bot: BotHarness) -> None:
    await setup_group(bot)
    await bot.onboard(20, first_name="Other")
    await make_group(bot, facilitators=(20,), name="Other group")
    await bot.send(1, RISKY)
    await tick(bot, ALERT)
    alert = await the_alert(bot)
    # The facilitator of another group replays the button data, and forges some.
    forged = [f"al:ack:{alert.id}", f"al:show:{alert.id}", "al:ack:999999", "al:ack:x", "al:no:1"]
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(i), callback_data=d)] for i, d in enumerate(forged)]
    )
    message = await bot.app.bot.send_message(20, "replayed", reply_markup=keyboard)
    before = len(await bot.answers())
    for data in forged:
        await bot.press(20, data=data, message_id=message.message_id)
    answers = (await bot.answers())[before:]
    assert len(answers) == len(forged)
    assert "facilitators only" in answers[0]["text"]
    assert (await the_alert(bot)).status == AlertStatus.OPEN


async def test_person_without_group_gets_resources_and_admins_are_alerted(bot: BotHarness) -> None:
    await bot.onboard(3, first_name="Lone")
    replies = await bot.send(3, "I want to end my life")
    assert "emergency" in texts_of(replies)
    alert = await the_alert(bot)
    assert alert.group_id is None and alert.escalation_level == 2
    sent = await tick(bot, ALERT)
    assert [d.recipient_id for d in sent] == [900]
    assert "without a facilitator" in await bot.last_text(900)


async def test_before_consent_only_resources_and_nothing_stored(bot: BotHarness) -> None:
    replies = await bot.send(4, "i want to die")
    assert "emergency" in texts_of(replies)
    assert await deliveries(bot, ALERT) == []
    async with bot.db() as session:
        assert (await session.execute(select(Alert))).first() is None


async def test_harmless_and_negated_text_is_not_an_alert(bot: BotHarness) -> None:
    await setup_group(bot)
    for text in ("I'm not going to hurt myself, promise", "this meeting is killing me lol"):
        replies = await bot.send(1, text)
        assert "emergency" not in texts_of(replies)
    assert await deliveries(bot, ALERT) == []


async def test_repeated_risk_messages_do_not_flood_the_team(bot: BotHarness) -> None:
    await setup_group(bot)
    await bot.send(1, RISKY)
    replies = await bot.send(1, "i want to die")
    assert "emergency" in texts_of(replies)  # every message still gets resources
    await tick(bot, ALERT)
    assert len(await deliveries(bot, ALERT)) == 2  # one alert, to the two facilitators
    assert "repeated" in await events(bot)


async def test_risk_in_checkin_note(bot: BotHarness) -> None:
    await setup_group(bot)
    await bot.send(1, "/checkin")
    await bot.press(1, "2 ")
    await bot.press(1, "Done")
    replies = await bot.send(1, "work was ok but I want to kill myself")
    assert "emergency" in texts_of(replies)
    alert = await the_alert(bot)
    assert alert.source == "note"
    await tick(bot, ALERT)
    text = await bot.last_text(10)
    assert "check-in note" in text and "work was ok" not in text


async def test_risk_typed_as_a_command_is_not_met_with_unknown_command(bot: BotHarness) -> None:
    await setup_group(bot)
    replies = await bot.send(1, "/end_my_life")
    text = texts_of(replies)
    assert "emergency" in text and "don't know that command" not in text
    assert (await the_alert(bot)).source == "message"
