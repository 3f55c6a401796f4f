"""The webhook server checks the secret token (constant time) and feeds the update queue."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.webhook import PATH, SECRET_HEADER, build_webhook_app, secret_ok


class FakeApplication:
    def __init__(self) -> None:
        self.update_queue: asyncio.Queue[Any] = asyncio.Queue()
        self.bot = None


def test_secret_comparison() -> None:
    assert secret_ok("s3cret", "s3cret")
    assert not secret_ok("s3cret!", "s3cret")
    assert not secret_ok(None, "s3cret")
    assert not secret_ok("", "")


async def test_webhook_accepts_only_the_secret() -> None:
    application = FakeApplication()
    update = {"update_id": 7, "message": {"message_id": 1, "date": 0,
              "chat": {"id": 5, "type": "private"}, "text": "hi"}}
    async with TestClient(TestServer(build_webhook_app(application, "abc_123"))) as client:
        assert (await client.post(PATH, json=update)).status == 403
        wrong = await client.post(PATH, json=update, headers={SECRET_HEADER: "abc_124"})
        assert wrong.status == 403
        bad = await client.post(PATH, data=b"{", headers={SECRET_HEADER: "abc_123"})
        assert bad.status == 400
        assert application.update_queue.empty()
        ok = await client.post(PATH, json=update, headers={SECRET_HEADER: "abc_123"})
        assert ok.status == 200
    received = application.update_queue.get_nowait()
    assert received.update_id == 7 and received.message.text == "hi"
