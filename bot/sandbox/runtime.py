"""One process: the emulator, the bot polling it, demo data and the web page.

`Sandbox` starts and stops everything in order; `run_sandbox` is the blocking entry point of
`circlebot sandbox`. Nothing here talks to Telegram or the network: the bot's Bot API base URL
is the in-process emulator on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import webbrowser
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update

from bot.app import AnyApp, build_application
from bot.clock import OffsetClock
from bot.crypto import KEY_FILE_NAME, load_cipher
from bot.sandbox import demo, timetravel
from bot.settings import Settings, build_settings
from emulator import Emulator
from storage.db import make_engine, make_sessionmaker
from storage.models import Base

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "123456789:SANDBOX-not-a-real-token"  # noqa: S105 - the emulator takes any
DEFAULT_PORT = 8080
PLANNER_INTERVAL_SECONDS = 2.0
# services.extras key of the running DeliveryEngine (bot/delivery/engine.py: ENGINE_KEY).
DELIVERY_ENGINE_KEY = "delivery"


@dataclass
class SandboxOptions:
    """What `circlebot sandbox` was asked for."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    keep: Path | None = None
    open_browser: bool = True
    log_level: str = "WARNING"


class Sandbox:
    """The emulator, the bot, demo data and the page, started and stopped together."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.clock = OffsetClock()
        self.emu = Emulator(host="127.0.0.1", port=0)
        self.data_dir: Path | None = None
        self.owns_dir = False
        self.settings: Settings | None = None
        self.engine: AsyncEngine | None = None
        self.app: AnyApp | None = None
        self.info: demo.DemoInfo | None = None
        self.url = ""
        self.port_note = ""
        self.jumps: list[tuple[float, float]] = []  # (real epoch of the jump, offset seconds)
        self._web: web.AppRunner | None = None
        self.closing = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> str:
        """Start everything; returns the page's address."""
        self.data_dir = self._prepare_dir()
        await self.emu.start()
        self.settings = self._settings(self.emu.root_url, self.data_dir)
        self.engine = make_engine(self.settings.database_url)
        await self._prepare_database()
        await self._start_bot()
        self.url = await self._start_web()
        return self.url

    async def stop(self) -> None:
        """Stop the page, the bot and the emulator; remove the temporary folder."""
        self.closing.set()
        with contextlib.suppress(Exception):
            await self._stop_bot()
        with contextlib.suppress(Exception):
            await self.emu.stop()
        if self._web is not None:
            with contextlib.suppress(Exception):
                await self._web.cleanup()
            self._web = None
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None
        if self.owns_dir and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _prepare_dir(self) -> Path:
        if self.options.keep is not None:
            path = self.options.keep.expanduser().resolve()
            path.mkdir(parents=True, exist_ok=True)
            return path
        self.owns_dir = True
        return Path(tempfile.mkdtemp(prefix="circlebot-sandbox-"))

    def _settings(self, api_base: str, data_dir: Path) -> Settings:
        """Settings built only from sandbox values: the real .env and environment are ignored."""
        return build_settings(
            {
                "TELEGRAM_BOT_TOKEN": SANDBOX_TOKEN,
                "TELEGRAM_API_BASE": api_base,
                "DATA_DIR": str(data_dir),
                "ADMIN_USER_IDS": str(demo.ADMIN_ID),
                "DEFAULT_TIMEZONE": demo.DEMO_ZONE,
                "PLANNER_INTERVAL_SECONDS": str(PLANNER_INTERVAL_SECONDS),
                "LOG_LEVEL": self.options.log_level,
                "MIN_AGGREGATE_MEMBERS": "5",
            }
        )

    async def _prepare_database(self) -> None:
        """Create the schema and write the demo world (or describe the kept one)."""
        assert self.engine is not None and self.settings is not None
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        key_file = Path(self.settings.data_dir) / KEY_FILE_NAME
        if not key_file.exists():  # a sandbox key, silently: there is nothing real to protect
            key_file.write_bytes(Fernet.generate_key())
            key_file.chmod(0o600)
        cipher = load_cipher(self.settings)
        username = self.emu.state.bot_username
        sessions = make_sessionmaker(self.engine)
        async with sessions() as session, session.begin():
            if await demo.has_demo_data(session):
                self.info = await demo.load_demo_info(session, username)
            else:
                self.info = await demo.seed_demo(session, self.clock.now(), cipher, username)
        for persona in self.info.personas:
            await self.emu.add_user(persona.user_id, first_name=persona.name)
        for user_id, name, _ in demo.MEMBERS:  # the other members' chats exist too
            await self.emu.add_user(user_id, first_name=name)

    async def _start_bot(self) -> None:
        """Build the application on the shared clock and poll the emulator, as run_polling would."""
        assert self.settings is not None and self.engine is not None
        app = build_application(self.settings, clock=self.clock, engine=self.engine)
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES
        )
        await app.start()
        self.app = app

    async def _stop_bot(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def _start_web(self) -> str:
        from bot.sandbox.server import build_web_app

        self._web = web.AppRunner(build_web_app(self), access_log=None, shutdown_timeout=1.0)
        await self._web.setup()
        host, port = self.options.host, self.options.port
        try:
            site = web.TCPSite(self._web, host, port)
            await site.start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE or port != DEFAULT_PORT:
                raise
            self.port_note = f"port {port} is busy, so another free port was picked"
            site = web.TCPSite(self._web, host, 0)
            await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        actual = sockets[0].getsockname()[1] if sockets else port
        return f"http://{host}:{actual}/"

    # ---------------------------------------------------------------------- clock
    def persona_ids(self) -> list[int]:
        """Telegram ids of the people on the page."""
        return [p.user_id for p in self.info.personas] if self.info else []

    def offset_at(self, real_epoch: float) -> float:
        """The clock offset (seconds) that was in force at a real moment."""
        offset = 0.0
        for at, value in self.jumps:
            if at <= real_epoch:
                offset = value
        return offset

    def time_info(self) -> dict[str, Any]:
        """Sandbox time for the page."""
        now = self.clock.now()
        return {
            "now": now.isoformat(),
            "now_ms": int(now.timestamp() * 1000),
            "offset_seconds": self.clock.offset.total_seconds(),
            "zone": self.info.zone if self.info else demo.DEMO_ZONE,
        }

    async def jump(self, action: str, hours: float | None = None) -> dict[str, Any]:
        """Move the clock: to the next check-in prompt / session reminder / session, or by hours."""
        now = self.clock.now()
        target: datetime | None
        if action == "hours":
            if hours is None or not 0 < hours <= 24 * 30:
                raise ValueError("hours must be between 0 and 720")
            target = now + timedelta(hours=hours)
        else:
            finders = {
                "checkin": timetravel.next_checkin_prompt,
                "reminder": timetravel.next_session_reminder,
                "session": timetravel.next_session_start,
            }
            if action not in finders:
                raise ValueError(f"unknown clock action {action!r}")
            assert self.engine is not None
            async with make_sessionmaker(self.engine)() as session:
                if action == "checkin":  # a prompt someone on the page will see
                    found = await timetravel.next_checkin_prompt(session, now, self.persona_ids())
                else:
                    found = await finders[action](session, now)
            if found is None:
                return {"jumped": False, "reason": "nothing scheduled ahead", **self.time_info()}
            target = found + timetravel.LANDING
        delta = target - self.clock.now()
        if delta.total_seconds() > 0:
            self.clock.jump_forward(delta)
        self.jumps.append((self.emu.state.wall(), self.clock.offset.total_seconds()))
        log.info("sandbox clock moved forward by %s", delta)
        await self.tick()
        return {"jumped": True, "by_seconds": delta.total_seconds(), **self.time_info()}

    async def tick(self) -> None:
        """Plan and send what is due now (the delivery engine's planner job, run at once)
        instead of waiting for the planner's next interval."""
        if self.app is None:
            return
        services = self.app.bot_data.get("services")
        engine = getattr(services, "extras", {}).get(DELIVERY_ENGINE_KEY) if services else None
        plan_and_kick = getattr(engine, "plan_and_kick", None)
        if callable(plan_and_kick):
            try:
                await plan_and_kick()
            except Exception:
                log.exception("immediate planner tick after a clock jump failed")


def _can_open_browser() -> bool:
    """Only open a graphical browser (never a text browser taking over the terminal)."""
    if sys.platform in {"darwin", "win32"}:
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def banner(sandbox: Sandbox) -> str:
    """What the terminal says once the page is up."""
    info = sandbox.info
    kept = (
        f"state kept in {sandbox.data_dir}"
        if not sandbox.owns_dir
        else f"nothing is kept: the temporary data in {sandbox.data_dir} is removed when you stop"
    )
    lines = [
        "",
        "=" * 72,
        "  circlebot SANDBOX — no Telegram, no token, no network; demo data only",
        f"  Open the SANDBOX page:  {sandbox.url}",
        f"  Demo group: {info.group_name if info else '?'} · chat as Maya, Dr. Sam Rivera, Alex",
        f"  {kept}. Stop with Ctrl+C.",
    ]
    if sandbox.port_note:
        lines.append(f"  ({sandbox.port_note})")
    lines += ["=" * 72, ""]
    return "\n".join(lines)


async def serve(options: SandboxOptions) -> int:
    """Run until SIGINT/SIGTERM."""
    sandbox = Sandbox(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await sandbox.start()
        except OSError as error:
            print(f"circlebot sandbox: cannot start the page: {error}", file=sys.stderr)
            return 2
        print(banner(sandbox), flush=True)
        if options.open_browser and _can_open_browser():
            threading.Thread(target=webbrowser.open, args=(sandbox.url,), daemon=True).start()
        await stop.wait()
        print("circlebot sandbox: stopping", flush=True)
    finally:
        await sandbox.stop()
    return 0


def run_sandbox(options: SandboxOptions) -> int:
    """Blocking entry point of `circlebot sandbox`."""
    from bot.logging_setup import setup_logging

    setup_logging(options.log_level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    return asyncio.run(serve(options))
