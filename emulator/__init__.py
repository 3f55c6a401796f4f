"""Local Telegram Bot API emulator for tests and the sandbox.

>>> async with Emulator() as emu:
...     bot = telegram.Bot(token, base_url=emu.base_url, base_file_url=emu.base_file_url)
"""

from emulator.client import EmulatorClient
from emulator.core import Emulator
from emulator.faults import ApiError
from emulator.state import EmulatorError

__all__ = ["ApiError", "Emulator", "EmulatorClient", "EmulatorError"]
