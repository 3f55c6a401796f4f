"""The :class:`Emulator`: state + faults + Bot API + control API + HTTP server lifecycle.

All control methods are ``async`` so that code written against the in-process
``Emulator`` also works against :class:`emulator.client.EmulatorClient` (same names,
same arguments, same JSON-shaped results).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from emulator.faults import ApiError, Faults
from emulator.methods import BotApi, Params
from emulator.state import (
    JSON,
    EmulatorError,
    MessageRecord,
    State,
    command_entities,
    is_new_bot_message,
)

log = logging.getLogger(__name__)


class Emulator:
    """A local Telegram Bot API server. Use ``async with Emulator() as emu:``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "circlebot_local_bot",
        strict_chats: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.state = State(bot_username)
        self.faults = Faults()
        self.api = BotApi(self.state, self.faults, strict_chats)
        self.root_url = ""
        self.closing = False
        self._event = asyncio.Event()
        self.state.on_change = self._notify
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str:
        """Pass as ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    async def start(self) -> str:
        from emulator.server import build_app

        self.closing = False
        self._event = asyncio.Event()
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.port
        self.root_url = f"http://{self.host}:{self.port}"
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return self.root_url

    async def stop(self) -> None:
        self.closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._session = self._webhook_task = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --------------------------------------------------------- notifications
    def _notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def _until(self, probe: Callable[[], Any], seconds: float) -> Any:
        """Re-run ``probe`` on every state change until it is truthy or time runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            event = self._event
            result = probe()
            remaining = deadline - loop.time()
            if result or remaining <= 0 or self.closing:
                return result
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # ---------------------------------------------------------- Bot API call
    async def call_method(self, bot_id: int, method: str, params: Params) -> tuple[int, JSON]:
        """Run one Bot API request; returns ``(http_status, body)``."""
        key = method.lower()
        name = self.api.canonical.get(key, method)
        self.state.bot_id = bot_id
        self.faults.arrived(name)
        try:
            delay = self.faults.delay_for(key)
            if delay:
                await asyncio.sleep(delay)
            failure = self.faults.take_failure(key)
            if failure is not None:
                raise failure
            handler = self.api.handlers.get(key)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            if key == "getupdates":
                result = await self._get_updates(params)
            else:
                result = handler(params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.to_json()
        self.faults.record(name, status)
        log.debug("bot api %s -> %s", name, status)
        return status, body

    async def _get_updates(self, params: Params) -> list[JSON]:
        try:
            timeout = float(params.get("timeout") or 0)
        except (TypeError, ValueError):
            timeout = 0.0
        first = self.api.m_getUpdates(params)
        if first or timeout <= 0:
            return first
        params = {**params, "offset": None}
        result: list[JSON] = await self._until(lambda: self.api.m_getUpdates(params), timeout)
        return result

    # -------------------------------------------------------------- webhooks
    async def _deliver_webhooks(self) -> None:
        failures = 0
        while not self.closing:
            event = self._event
            hook = self.state.webhook
            pending = self.state.available_updates(1) if hook["url"] else []
            if not pending:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), 1.0)
                continue
            ok = await self._post_update(hook, pending[0])
            if ok:
                failures = 0
                update_id = pending[0]["update_id"]
                self.state.updates = [u for u in self.state.updates if u["update_id"] != update_id]
                self._notify()
            else:
                failures += 1
                await asyncio.sleep(min(0.1 * 2**failures, 2.0))

    async def _post_update(self, hook: JSON, update: JSON) -> bool:
        assert self._session is not None
        headers = {}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        try:
            async with self._session.post(
                hook["url"], json=update, headers=headers, timeout=aiohttp.ClientTimeout(10)
            ) as response:
                if 200 <= response.status < 300:
                    self.state.webhook_error = {}
                    return True
                message = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            message = f"Connection failed: {type(exc).__name__}"
        self.state.webhook_error = {
            "last_error_date": int(self.state.wall()),
            "last_error_message": message,
        }
        return False

    # ================================================== control: injection
    async def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        last_name: str | None = None,
    ) -> JSON:
        """Make a user (and their private chat) known without sending anything."""
        user = self.state.ensure_user(user_id, first_name, last_name, username, language_code)
        return user.to_telegram()

    async def add_group(self, chat_id: int, title: str | None = None) -> JSON:
        return self.state.ensure_group(chat_id, title).to_telegram()

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
        """Inject a text message from a user; returns the Update dict."""
        text = str(text)
        self.state.ensure_user(user_id, first_name, last_name, username, language_code)
        target = user_id if chat_id is None else chat_id
        if target != user_id:
            self.state.ensure_group(target).member_ids.add(user_id)
        entities = command_entities(text)
        record = self.state.add_message(
            target,
            False,
            user_id,
            text=text,
            raw_text=text,
            entities=entities,
            reply_to_message_id=reply_to_message_id,
        )
        self.state.mark_input(target)
        return self.state.push_update("message", self.state.message_to_telegram(record))

    def _bot_message(self, chat_id: int, message_id: int) -> MessageRecord:
        record = self.state.find_message(chat_id, message_id)
        if record is None or not record.from_bot:
            raise EmulatorError(f"no bot message {message_id} in chat {chat_id}")
        if record.deleted:
            raise EmulatorError(f"message {message_id} in chat {chat_id} was deleted")
        return record

    async def press_button(
        self, user_id: int, message_id: int, data: str, chat_id: int | None = None
    ) -> str:
        """Inject a callback_query on a bot message; returns the callback query id.

        ``data`` is not checked against the keyboard (so stale/forged data can be tested);
        use :meth:`press` to press an existing button by its label."""
        target = user_id if chat_id is None else chat_id
        record = self._bot_message(target, message_id)
        data = str(data)
        self.state.ensure_user(user_id, language_code=None)
        self.state.mark_input(target)
        return self.state.add_callback(user_id, record, data).id

    async def press(
        self, user_id: int, message_id: int, text: str, chat_id: int | None = None
    ) -> str:
        """Press the inline button labelled ``text`` (exact, else unique substring)."""
        text = str(text)
        target = user_id if chat_id is None else chat_id
        record = self._bot_message(target, message_id)
        buttons = [
            button
            for row in (record.reply_markup or {}).get("inline_keyboard", [])
            for button in row
        ]
        matches = [b for b in buttons if b.get("text") == text] or [
            b for b in buttons if text in str(b.get("text"))
        ]
        if len(matches) != 1:
            labels = [b.get("text") for b in buttons]
            raise EmulatorError(f"{len(matches)} buttons match {text!r}; buttons: {labels}")
        if "callback_data" not in matches[0]:
            raise EmulatorError(f"button {text!r} has no callback_data")
        data = str(matches[0]["callback_data"])
        return await self.press_button(user_id, message_id, data, target)

    # ==================================================== control: reading
    async def messages(self, chat_id: int, include_user: bool = False) -> list[JSON]:
        """Bot messages of a chat in order (``include_user`` adds the users' messages)."""
        return [
            record.to_control(self.state.files)
            for record in self.state.messages.get(chat_id, [])
            if include_user or record.from_bot
        ]

    async def last_message(self, chat_id: int) -> JSON | None:
        """The most recent bot message in the chat (deleted ones included), or None."""
        bot = await self.messages(chat_id)
        return bot[-1] if bot else None

    async def callback_answers(self, callback_query_id: str | None = None) -> list[JSON]:
        """answerCallbackQuery calls recorded (all, or only for one query)."""
        return [
            query.answer
            for query in self.state.callbacks.values()
            if query.answer is not None
            and (callback_query_id is None or query.id == callback_query_id)
        ]

    async def callback_answer(self, callback_query_id: str) -> JSON | None:
        answers = await self.callback_answers(callback_query_id)
        return answers[0] if answers else None

    async def watermark(self, chat_id: int) -> JSON:
        after, since = self.state.watermarks.get(chat_id, (0, 0.0))
        return {"after_message_id": after, "since_mono": since}

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[JSON], bool] | None = None,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        after_message_id: int | None = None,
        include_edits: bool = True,
    ) -> JSON:
        """Wait for a bot message in ``chat_id`` that is new since the user's last input.

        By default "new" means sent after the last injected user message/button press in
        that chat, or edited since then. Pass ``after_message_id`` to choose the cut-off
        yourself (edits then count from the moment of the call). Raises TimeoutError."""
        contains = None if contains is None else str(contains)
        if after_message_id is None:
            after, since = self.state.watermarks.get(chat_id, (0, 0.0))
        else:
            after, since = after_message_id, self.state.mono()

        def probe() -> JSON | None:
            for message in self.state.messages.get(chat_id, []):
                data = message.to_control(self.state.files)
                if is_new_bot_message(data, after, since, contains, include_edits) and (
                    predicate is None or predicate(data)
                ):
                    return data
            return None

        found: JSON | None = await self._until(probe, timeout)
        if found is None:
            raise TimeoutError(f"no matching bot message in chat {chat_id} within {timeout}s")
        return found

    async def file_bytes(self, file_id: str) -> bytes:
        record = self.state.files.get(file_id)
        if record is None:
            raise EmulatorError(f"unknown file_id {file_id!r}")
        return record.data

    async def file_info(self, file_id: str) -> JSON:
        record = self.state.files.get(file_id)
        if record is None:
            raise EmulatorError(f"unknown file_id {file_id!r}")
        return record.to_control()

    async def chats(self) -> list[JSON]:
        return self.state.chat_list()

    async def events(
        self,
        after: int = 0,
        timeout: float = 0.0,  # noqa: ASYNC109
        chat_id: int | None = None,
    ) -> JSON:
        """Events with ``seq > after`` (long-polls up to ``timeout`` seconds for one)."""

        def probe() -> list[JSON]:
            return [
                e
                for e in self.state.events
                if e["seq"] > after and (chat_id is None or e["chat_id"] == chat_id)
            ]

        found: list[JSON] = await self._until(probe, timeout)
        return {"events": found, "last_seq": self.state.event_seq}

    async def pending_updates(self) -> list[JSON]:
        return list(self.state.updates)

    async def commands(
        self, scope: JSON | None = None, language_code: str | None = None
    ) -> list[JSON]:
        params: Params = {"scope": scope, "language_code": language_code}
        return self.api.m_getMyCommands(params)

    async def chat_actions(self, chat_id: int) -> list[JSON]:
        return list(self.state.chat_actions.get(chat_id, []))

    async def webhook_info(self) -> JSON:
        return {
            **self.api.m_getWebhookInfo({}),
            "secret_token": self.state.webhook.get("secret_token"),
        }

    async def info(self) -> JSON:
        return {
            "root_url": self.root_url,
            "base_url": self.base_url,
            "base_file_url": self.base_file_url,
            "bot": self.state.bot_user(),
            "mono": self.state.mono(),
            "wall": self.state.wall(),
        }

    # ===================================================== control: faults
    async def block_user(self, user_id: int, notify: bool = True) -> None:
        """Sends to the user's chat now fail with 403 (optionally emits my_chat_member)."""
        if user_id not in self.state.blocked and notify and user_id in self.state.users:
            self._push_member_update(user_id, "member", "kicked")
        self.state.blocked.add(user_id)
        self.state.add_event("block", user_id)

    async def unblock_user(self, user_id: int, notify: bool = True) -> None:
        if user_id in self.state.blocked and notify and user_id in self.state.users:
            self._push_member_update(user_id, "kicked", "member")
        self.state.blocked.discard(user_id)
        self.state.add_event("unblock", user_id)

    def _push_member_update(self, user_id: int, old: str, new: str) -> None:
        def member(status: str) -> JSON:
            data: JSON = {"user": self.state.bot_user(), "status": status}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self.state.push_update(
            "my_chat_member",
            {
                "chat": self.state.chats[user_id].to_telegram(),
                "from": self.state.users[user_id].to_telegram(),
                "date": int(self.state.wall()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    async def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        retry_after: int = 3,
        method: str | None = None,
        description: str | None = None,
    ) -> None:
        """The next ``n`` requests (of ``method``; None = any except getUpdates) fail."""
        self.faults.fail_next(n, status, retry_after, method, description)

    async def set_delay(self, seconds: float, method: str | None = None) -> None:
        """Delay responses (of ``method``; None = all except getUpdates); 0 removes."""
        self.faults.set_delay(seconds, method)

    async def set_rate_limit(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: int | None = 1,
        group_per_minute: int | None = 20,
        enabled: bool = True,
    ) -> None:
        """Telegram-like flood control on sends (429 + retry_after). Off by default."""
        self.faults.set_rate_limit(
            global_per_second, per_chat_per_second, group_per_minute, enabled
        )

    async def set_down(self, down: bool = True, mode: str = "close") -> None:
        """Simulate an outage: ``mode="close"`` drops connections, ``"502"`` answers 502."""
        if mode not in {"close", "502"}:
            raise EmulatorError("mode must be 'close' or '502'")
        self.faults.down, self.faults.down_mode = down, mode

    async def stats(self) -> JSON:
        sent = sum(1 for log in self.state.messages.values() for record in log if record.from_bot)
        return {
            **self.faults.stats(),
            "bot_messages": sent,
            "pending_updates": len(self.state.updates),
        }

    async def send_times(self, chat_id: int) -> list[float]:
        """Monotonic times (emulator clock) at which bot sends to the chat were accepted."""
        return [r.sent_mono for r in self.state.messages.get(chat_id, []) if r.from_bot]

    async def reset(self) -> None:
        """Forget everything: chats, messages, updates, files, webhook, faults, stats."""
        self.state.clear()
        self.faults.clear()
