"""Drive the bot the way Telegram does, fast: updates injected into the local emulator are fed
to `Application.process_update`; the bot's replies go over real HTTP to the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from telegram import Update

from bot.app import AnyApp, build_application
from bot.clock import ManualClock
from bot.context import services_of
from bot.services import Services
from bot.settings import Settings, build_settings
from emulator import Emulator

JSON = dict[str, Any]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@dataclass
class BotHarness:
    """One running application, its emulator and its injected clock."""

    app: AnyApp
    emu: Emulator
    clock: ManualClock
    settings: Settings
    engine: AsyncEngine

    async def restart(self) -> None:
        """Stop the application and start a new one on the same database (memory is lost)."""
        await stop_app(self.app)
        self.app = await start_app(self.settings, self.clock, self.engine)

    @property
    def services(self) -> Services:
        """The application's services."""
        return services_of(self.app)

    def db(self) -> Any:
        """A transaction on the bot's database: `async with h.db() as session:`."""
        return self.services.transaction()

    async def _process(self, update: JSON) -> None:
        await self.app.process_update(Update.de_json(update, self.app.bot))
        self.emu.state.confirm_updates(update["update_id"] + 1)

    async def _since(self, chat_id: int, count_before: int) -> list[JSON]:
        messages = await self.emu.messages(chat_id)
        return messages[count_before:]

    async def send(
        self, user_id: int, text: str, *, first_name: str = "Ann", chat_id: int | None = None
    ) -> list[JSON]:
        """A user sends text; returns the bot messages that appeared in that chat."""
        chat = chat_id if chat_id is not None else user_id
        before = len(await self.emu.messages(chat))
        update = await self.emu.send_message(user_id, text, first_name=first_name, chat_id=chat_id)
        await self._process(update)
        return await self._since(chat, before)

    async def press(
        self,
        user_id: int,
        label: str | None = None,
        *,
        data: str | None = None,
        message_id: int | None = None,
    ) -> list[JSON]:
        """Press a button (by label on the newest message that has it, or raw data)."""
        if message_id is None:
            message_id = await self.find_button_message(user_id, label, data)
        before = len(await self.emu.messages(user_id))
        if data is not None:
            await self.emu.press_button(user_id, message_id, data)
        else:
            assert label is not None
            await self.emu.press(user_id, message_id, label)
        update = self.emu.state.updates[-1]
        await self._process(update)
        return await self._since(user_id, before)

    async def find_button_message(
        self, chat_id: int, label: str | None, data: str | None = None
    ) -> int:
        """The newest bot message in the chat carrying the button (or any keyboard)."""
        for message in reversed(await self.emu.messages(chat_id)):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            buttons = [b for row in rows for b in row]
            if not buttons or message.get("deleted"):
                continue
            if label is None or any(label in str(b.get("text")) for b in buttons):
                return int(message["message_id"])
        raise AssertionError(f"no message with a button {label!r} in chat {chat_id}")

    async def last_text(self, chat_id: int) -> str:
        """The newest bot message's text (or caption)."""
        message = await self.emu.last_message(chat_id)
        assert message is not None
        return str(message.get("text") or "")

    async def answers(self) -> list[JSON]:
        """Every callback answer so far."""
        return await self.emu.callback_answers()

    async def onboard(
        self, user_id: int, *, first_name: str = "Ann", zone: str = "Europe/Berlin",
        checkin: str = "20:00", visible: bool = True,
    ) -> None:
        """Complete onboarding for a user by typing a zone and a time."""
        await self.send(user_id, "/start", first_name=first_name)
        await self.press(user_id, "Yes, I agree")
        await self.send(user_id, zone)
        await self.send(user_id, checkin)
        await self.press(user_id, "Yes, that's okay" if visible else "Only group summaries")


def test_settings(tmp_path: Path, emu: Emulator, **overrides: str) -> Settings:
    """Settings for a test bot against the emulator, data in tmp_path."""
    env = {
        "TELEGRAM_BOT_TOKEN": "123456:TEST",
        "TELEGRAM_API_BASE": emu.root_url,
        "DATA_DIR": str(tmp_path),
        "ADMIN_USER_IDS": "900",
    }
    env.update(overrides)
    return build_settings(env)


@asynccontextmanager
async def running_bot(
    tmp_path: Path, engine: AsyncEngine, *, start: datetime = START, **overrides: str
) -> AsyncIterator[BotHarness]:
    """An initialised application against a fresh in-process emulator."""
    async with Emulator(strict_chats=False) as emu:
        settings = test_settings(tmp_path, emu, **overrides)
        clock = ManualClock(start)
        harness = BotHarness(await start_app(settings, clock, engine), emu, clock, settings, engine)
        try:
            yield harness
        finally:
            await stop_app(harness.app)


async def start_app(settings: Settings, clock: ManualClock, engine: AsyncEngine) -> AnyApp:
    """Build and initialise an application as run_polling would (without polling)."""
    app = build_application(settings, clock=clock, engine=engine)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    return app


async def stop_app(app: AnyApp) -> None:
    """Shut an application down as run_polling would."""
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()


async def count_rows(session: AsyncSession, model: Any) -> int:
    """Number of rows of a model's table."""
    from sqlalchemy import func, select

    return int(await session.scalar(select(func.count()).select_from(model)) or 0)
