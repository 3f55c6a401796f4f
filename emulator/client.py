"""Async HTTP client for a running emulator's ``/_control`` API.

Method names, arguments and results match :class:`emulator.core.Emulator`, so tests can
drive an in-process emulator or a ``python -m emulator`` process the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from emulator.state import JSON, EmulatorError, is_new_bot_message


class EmulatorClient:
    """``async with EmulatorClient("http://127.0.0.1:8081") as emu: ...``"""

    def __init__(self, root_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.root_url = root_url.rstrip("/")
        self._session = session
        self._own_session = session is None

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def call(self, name: str, http_timeout: float = 30.0, **kwargs: Any) -> Any:
        """POST ``/_control/<name>`` with the keyword arguments as a JSON object."""
        body = {k: v for k, v in kwargs.items() if v is not None}
        async with self._http().post(
            f"{self.root_url}/_control/{name}",
            json=body,
            timeout=aiohttp.ClientTimeout(total=http_timeout),
        ) as response:
            data = await response.json()
        if response.status == 408:
            raise TimeoutError(data.get("error"))
        if not data.get("ok"):
            raise EmulatorError(data.get("error", f"HTTP {response.status}"))
        return data["result"]

    # ------------------------------------------------------------ injection
    async def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        last_name: str | None = None,
    ) -> JSON:
        result: JSON = await self.call(
            "add_user",
            user_id=user_id,
            first_name=first_name,
            username=username,
            language_code=language_code,
            last_name=last_name,
        )
        return result

    async def add_group(self, chat_id: int, title: str | None = None) -> JSON:
        result: JSON = await self.call("add_group", chat_id=chat_id, title=title)
        return result

    async def send_message(
        self,
        user_id: int,
        text: str,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        chat_id: int | None = None,
        last_name: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        result: JSON = await self.call(
            "send_message",
            user_id=user_id,
            text=text,
            first_name=first_name,
            username=username,
            language_code=language_code,
            chat_id=chat_id,
            last_name=last_name,
            reply_to_message_id=reply_to_message_id,
        )
        return result

    async def press_button(
        self, user_id: int, message_id: int, data: str, chat_id: int | None = None
    ) -> str:
        result: str = await self.call(
            "press_button", user_id=user_id, message_id=message_id, data=data, chat_id=chat_id
        )
        return result

    async def press(
        self, user_id: int, message_id: int, text: str, chat_id: int | None = None
    ) -> str:
        result: str = await self.call(
            "press", user_id=user_id, message_id=message_id, text=text, chat_id=chat_id
        )
        return result

    # -------------------------------------------------------------- reading
    async def messages(self, chat_id: int, include_user: bool = False) -> list[JSON]:
        result: list[JSON] = await self.call("messages", chat_id=chat_id, include_user=include_user)
        return result

    async def last_message(self, chat_id: int) -> JSON | None:
        result: JSON | None = await self.call("last_message", chat_id=chat_id)
        return result

    async def callback_answers(self, callback_query_id: str | None = None) -> list[JSON]:
        result: list[JSON] = await self.call(
            "callback_answers", callback_query_id=callback_query_id
        )
        return result

    async def callback_answer(self, callback_query_id: str) -> JSON | None:
        result: JSON | None = await self.call(
            "callback_answer", callback_query_id=callback_query_id
        )
        return result

    async def watermark(self, chat_id: int) -> JSON:
        result: JSON = await self.call("watermark", chat_id=chat_id)
        return result

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[JSON], bool] | None = None,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        after_message_id: int | None = None,
        include_edits: bool = True,
    ) -> JSON:
        """Same semantics as :meth:`Emulator.wait_for_message` (raises TimeoutError)."""
        if predicate is None:
            result: JSON = await self.call(
                "wait_for_message",
                http_timeout=timeout + 10,
                timeout=timeout,
                chat_id=chat_id,
                contains=contains,
                after_message_id=after_message_id,
                include_edits=include_edits,
            )
            return result
        return await self._wait_predicate(
            chat_id, predicate, contains, timeout, after_message_id, include_edits
        )

    async def _wait_predicate(
        self,
        chat_id: int,
        predicate: Callable[[JSON], bool],
        contains: str | None,
        timeout: float,  # noqa: ASYNC109
        after_message_id: int | None,
        include_edits: bool,
    ) -> JSON:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if after_message_id is None:
            mark = await self.watermark(chat_id)
            after, since = mark["after_message_id"], mark["since_mono"]
        else:
            after = after_message_id
            since = (await self.call("info"))["mono"]
        seq = 0
        while True:
            batch = await self.events(after=seq)
            seq = batch["last_seq"]
            for message in await self.messages(chat_id):
                if is_new_bot_message(message, after, since, contains, include_edits) and (
                    predicate(message)
                ):
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no matching bot message in chat {chat_id}")
            await self.events(after=seq, timeout=min(remaining, 10.0), chat_id=chat_id)

    async def file_bytes(self, file_id: str) -> bytes:
        async with self._http().get(f"{self.root_url}/_control/file/{file_id}") as response:
            if response.status != 200:
                raise EmulatorError(f"unknown file_id {file_id!r}")
            return await response.read()

    async def file_info(self, file_id: str) -> JSON:
        result: JSON = await self.call("file_info", file_id=file_id)
        return result

    async def chats(self) -> list[JSON]:
        result: list[JSON] = await self.call("chats")
        return result

    async def events(
        self,
        after: int = 0,
        timeout: float = 0.0,  # noqa: ASYNC109
        chat_id: int | None = None,
    ) -> JSON:
        result: JSON = await self.call(
            "events", http_timeout=timeout + 10, timeout=timeout, after=after, chat_id=chat_id
        )
        return result

    async def pending_updates(self) -> list[JSON]:
        result: list[JSON] = await self.call("pending_updates")
        return result

    async def commands(
        self, scope: JSON | None = None, language_code: str | None = None
    ) -> list[JSON]:
        result: list[JSON] = await self.call("commands", scope=scope, language_code=language_code)
        return result

    async def chat_actions(self, chat_id: int) -> list[JSON]:
        result: list[JSON] = await self.call("chat_actions", chat_id=chat_id)
        return result

    async def webhook_info(self) -> JSON:
        result: JSON = await self.call("webhook_info")
        return result

    async def info(self) -> JSON:
        result: JSON = await self.call("info")
        return result

    # --------------------------------------------------------------- faults
    async def block_user(self, user_id: int, notify: bool = True) -> None:
        await self.call("block_user", user_id=user_id, notify=notify)

    async def unblock_user(self, user_id: int, notify: bool = True) -> None:
        await self.call("unblock_user", user_id=user_id, notify=notify)

    async def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        retry_after: int = 3,
        method: str | None = None,
        description: str | None = None,
    ) -> None:
        await self.call(
            "fail_next",
            n=n,
            status=status,
            retry_after=retry_after,
            method=method,
            description=description,
        )

    async def set_delay(self, seconds: float, method: str | None = None) -> None:
        await self.call("set_delay", seconds=seconds, method=method)

    async def set_rate_limit(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: int | None = 1,
        group_per_minute: int | None = 20,
        enabled: bool = True,
    ) -> None:
        await self.call(
            "set_rate_limit",
            global_per_second=global_per_second or 0,
            per_chat_per_second=per_chat_per_second or 0,
            group_per_minute=group_per_minute or 0,
            enabled=enabled,
        )

    async def set_down(self, down: bool = True, mode: str = "close") -> None:
        await self.call("set_down", down=down, mode=mode)

    async def stats(self) -> JSON:
        result: JSON = await self.call("stats")
        return result

    async def send_times(self, chat_id: int) -> list[float]:
        result: list[float] = await self.call("send_times", chat_id=chat_id)
        return result

    async def reset(self) -> None:
        await self.call("reset")
