"""Start the emulator and the real bot as subprocesses (shared by every e2e test).

    async with running_processes(tmp_path, {"PLANNER_INTERVAL_SECONDS": "0.5"}) as (emu, bot):
        await emu.send_message(1, "/start")
        await bot.kill()        # SIGKILL, like a crash
        await bot.restart()     # start again on the same DATA_DIR / database

`emu` is an `EmulatorClient`; `bot` a `BotProcess` (`database_url`, `log_text()`, `kill()`,
`stop()`, `start()`, `restart()`, `wait_ready()`). The bot runs in `tmp_path` (so no `.env` of
the repository is read) with its data in `tmp_path / "data"`; its log is `tmp_path/bot.log`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from emulator.client import EmulatorClient

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0


async def _read_line(proc: asyncio.subprocess.Process, prefix: str, timeout: float) -> str:
    """The rest of the first stdout line starting with `prefix`."""
    assert proc.stdout is not None
    async with asyncio.timeout(timeout):
        while True:
            line = (await proc.stdout.readline()).decode()
            if not line:
                raise RuntimeError("process ended before it was ready")
            if line.startswith(prefix):
                return line[len(prefix):].strip()


async def _terminate(proc: asyncio.subprocess.Process, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it does not end in time."""
    if proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(timeout):
            await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()


class BotProcess:
    """`python -m bot run` as a subprocess that can be killed and restarted."""

    def __init__(self, env: Mapping[str, str], workdir: Path, emu: EmulatorClient) -> None:
        self.env = dict(env)
        self.workdir = workdir
        self.emu = emu
        self.log_path = workdir / "bot.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def data_dir(self) -> Path:
        """The bot's DATA_DIR."""
        return Path(self.env["DATA_DIR"])

    @property
    def database_url(self) -> str:
        """The URL of the bot's database (for seeding and checking rows)."""
        url = self.env.get("DATABASE_URL", "")
        return url or f"sqlite+aiosqlite:///{self.data_dir / 'circlebot.sqlite3'}"

    @property
    def pid(self) -> int | None:
        """The running process id."""
        return self.proc.pid if self.proc is not None else None

    async def start(self, *, wait: bool = True) -> None:
        """Start the bot (appending to its log); by default wait until it is up."""
        before = await self._ready_requests()
        log = self.log_path.open("ab")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=self.workdir, env=self.env,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )
        finally:
            log.close()
        self.starts += 1
        if wait:
            await self.wait_ready(before)

    async def _ready_requests(self) -> int:
        stats = await self.emu.stats()
        requests = stats.get("requests", {})
        names = ("setMyCommands", "getUpdates", "setWebhook")  # post_init sets the commands
        return sum(int(requests.get(name, 0)) for name in names)

    async def wait_ready(self, before: int = 0, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the bot is up: its post_init set the command menu (or it polled or set
        its webhook)."""
        async with asyncio.timeout(timeout):
            while await self._ready_requests() <= before:
                if self.proc is not None and self.proc.returncode is not None:
                    raise RuntimeError(f"bot exited early:\n{self.log_text()[-3000:]}")
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs (a crash)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    async def stop(self) -> None:
        """SIGTERM and wait for a clean exit."""
        if self.proc is not None:
            await _terminate(self.proc)

    async def restart(self, *, kill: bool = False) -> None:
        """Stop (or kill) and start again on the same data."""
        await (self.kill() if kill else self.stop())
        await self.start()

    def log_text(self) -> str:
        """Everything the bot wrote to stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@asynccontextmanager
async def running_processes(
    tmp_path: Path,
    env: Mapping[str, str] | None = None,
    *,
    lenient_chats: bool = True,
    start_bot: bool = True,
) -> AsyncIterator[tuple[EmulatorClient, BotProcess]]:
    """The emulator process and the bot process (polling) wired together; both are stopped
    at the end. `env` overrides the bot's environment (e.g. PLANNER_INTERVAL_SECONDS)."""
    base = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "BOT_MODE", "REPLICAS"):
        base.pop(name, None)
    args = ["--port", "0"] + (["--lenient-chats"] if lenient_chats else [])
    emu_proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "emulator", *args,
        stdout=asyncio.subprocess.PIPE, cwd=tmp_path, env=base,
    )
    client: EmulatorClient | None = None
    bot: BotProcess | None = None
    try:
        root = await _read_line(emu_proc, "EMULATOR_READY ", READY_TIMEOUT)
        client = EmulatorClient(root)
        bot_env = {
            **base,
            "TELEGRAM_BOT_TOKEN": "123456:E2E",
            "TELEGRAM_API_BASE": root,
            "DATA_DIR": str(tmp_path / "data"),
            "ADMIN_USER_IDS": "900",
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        bot = BotProcess(bot_env, tmp_path, client)
        if start_bot:
            await bot.start()
        yield client, bot
    finally:
        if bot is not None:
            await bot.stop()
        if client is not None:
            await client.close()
        await _terminate(emu_proc)
