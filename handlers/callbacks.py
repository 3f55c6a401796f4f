"""Callback data: `area:action[:arg...]`, at most 64 bytes, parsed defensively."""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Callback:
    """A parsed button press."""

    area: str
    action: str
    args: tuple[str, ...]

    def int_arg(self, index: int, *, big: bool = False) -> int | None:
        """Argument `index` as an int, or None when missing or malformed.

        Row ids fit a 32-bit integer column; pass `big=True` for Telegram user ids.
        """
        try:
            value = self.args[index]
        except IndexError:
            return None
        if not value.lstrip("-").isdigit() or len(value) > 19 or value.count("-") > 1:
            return None
        number = int(value)
        limit = 2**63 - 1 if big else 2**31 - 1
        return number if -limit <= number <= limit else None


def pack(area: str, action: str, *args: object) -> str:
    """Build callback data; raises if it would not fit Telegram's 64 bytes."""
    data = ":".join([area, action, *(str(a) for a in args)])
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError("callback data too long")
    return data


def parse(data: str | None) -> Callback | None:
    """Parse callback data; None for anything malformed."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    return Callback(parts[0], parts[1], tuple(parts[2:]))
