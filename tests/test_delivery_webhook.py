"""The webhook secret is compared in constant time (the server itself is driven with the real
application in tests/test_guards.py)."""

from __future__ import annotations

from bot.webhook import secret_ok


def test_secret_comparison() -> None:
    assert secret_ok("s3cret", "s3cret")
    assert not secret_ok("s3cret!", "s3cret")
    assert not secret_ok(None, "s3cret")
    assert not secret_ok("", "")
