"""``python -m emulator --host 127.0.0.1 --port 8081``

Prints exactly one line ``EMULATOR_READY <root_url>`` on stdout once it accepts
connections, then runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from emulator.core import Emulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--bot-username", default="circlebot_local_bot")
    parser.add_argument(
        "--lenient-chats",
        action="store_true",
        help="allow sending to chats no user has opened (default: 400 chat not found)",
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    emulator = Emulator(
        host=args.host,
        port=args.port,
        bot_username=args.bot_username,
        strict_chats=not args.lenient_chats,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    root = await emulator.start()
    print(f"EMULATOR_READY {root}", flush=True)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
