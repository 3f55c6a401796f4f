"""HTTP routing: Bot API (``/bot<token>/<method>``), file downloads and ``/_control``.

Nothing here logs request bodies, message text or tokens (the access log is off
because request paths contain the bot token).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.methods import Params, Upload
from emulator.state import EmulatorError

if TYPE_CHECKING:
    from emulator.core import Emulator

TOKEN_RE = re.compile(r"^(\d+):(.+)$")
UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
EMULATOR_KEY = web.AppKey("emulator", object)
CONTROL_METHODS = frozenset(
    {
        "add_user",
        "add_group",
        "send_message",
        "press_button",
        "press",
        "messages",
        "last_message",
        "callback_answers",
        "callback_answer",
        "watermark",
        "wait_for_message",
        "file_info",
        "chats",
        "events",
        "pending_updates",
        "commands",
        "chat_actions",
        "webhook_info",
        "info",
        "block_user",
        "unblock_user",
        "fail_next",
        "set_delay",
        "set_rate_limit",
        "set_down",
        "stats",
        "send_times",
        "reset",
    }
)
ALIASES = {"wait": "wait_for_message"}
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _emu(request: web.Request) -> Emulator:
    return request.app[EMULATOR_KEY]  # type: ignore[return-value]


async def _bot_params(request: web.Request) -> Params:
    params: Params = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else None
        if isinstance(body, dict):
            params.update(body)
        return params
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = Upload(value.file.read(), value.filename, value.content_type)
            else:
                params[key] = value
    return params


async def handle_bot(request: web.Request) -> web.StreamResponse:
    emu = _emu(request)
    match = TOKEN_RE.match(request.match_info["token"])
    if match is None:
        return web.json_response(UNAUTHORIZED, status=401)
    if emu.faults.down:
        return await _down(request, emu.faults.down_mode)
    try:
        params = await _bot_params(request)
    except (ValueError, json.JSONDecodeError):
        body = {"ok": False, "error_code": 400, "description": "Bad Request: invalid body"}
        return web.json_response(body, status=400)
    status, body = await emu.call_method(int(match.group(1)), request.match_info["method"], params)
    return web.json_response(body, status=status)


async def _down(request: web.Request, mode: str) -> web.StreamResponse:
    if mode == "502":
        body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        return web.json_response(body, status=502)
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError  # the connection is gone; nothing to answer


async def handle_file(request: web.Request) -> web.StreamResponse:
    emu = _emu(request)
    if TOKEN_RE.match(request.match_info["token"]) is None:
        return web.json_response(UNAUTHORIZED, status=401)
    if emu.faults.down:
        return await _down(request, emu.faults.down_mode)
    record = emu.state.file_by_path(request.match_info["path"])
    if record is None:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )
    mime = record.mime_type or "application/octet-stream"
    return web.Response(body=record.data, content_type=mime)


def _coerce(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


async def handle_control(request: web.Request) -> web.StreamResponse:
    emu = _emu(request)
    name = ALIASES.get(request.match_info["name"], request.match_info["name"])
    if name not in CONTROL_METHODS:
        return _control_error(404, f"unknown control endpoint {name!r}")
    kwargs: dict[str, Any] = {key: _coerce(value) for key, value in request.query.items()}
    if request.method == "POST" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            return _control_error(400, "body must be a JSON object")
        if isinstance(body, dict):
            kwargs.update(body)
    if name == "events" and _wants_stream(request):
        return await _event_stream(request, emu, int(kwargs.get("after", 0)), kwargs.get("chat_id"))
    try:
        result = await getattr(emu, name)(**kwargs)
    except TypeError as exc:
        return _control_error(400, f"bad arguments: {exc}")
    except EmulatorError as exc:
        return _control_error(404, str(exc))
    except TimeoutError as exc:
        return _control_error(408, str(exc))
    return web.json_response({"ok": True, "result": result}, headers=CORS)


def _control_error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status, headers=CORS)


async def handle_file_bytes(request: web.Request) -> web.StreamResponse:
    record = _emu(request).state.files.get(request.match_info["file_id"])
    if record is None:
        return _control_error(404, "unknown file_id")
    return web.Response(
        body=record.data,
        content_type=record.mime_type or "application/octet-stream",
        headers=CORS,
    )


def _wants_stream(request: web.Request) -> bool:
    return "text/event-stream" in request.headers.get("Accept", "") or request.query.get(
        "stream"
    ) in {"1", "true"}


async def _event_stream(
    request: web.Request, emu: Emulator, after: int, chat_id: Any
) -> web.StreamResponse:
    """Server-sent events: one ``data:`` line (JSON) per event, ``id:`` = seq."""
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **CORS}
    )
    await response.prepare(request)
    with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
        await response.write(b": connected\n\n")
        while not emu.closing:
            batch = await emu.events(after=after, timeout=15.0, chat_id=chat_id)
            for event in batch["events"]:
                data = json.dumps(event, ensure_ascii=False)
                await response.write(f"id: {event['seq']}\ndata: {data}\n\n".encode())
                after = event["seq"]
            if not batch["events"]:
                await response.write(b": ping\n\n")
    return response


async def handle_options(request: web.Request) -> web.StreamResponse:
    return web.Response(status=204, headers=CORS)


def build_app(emu: Emulator) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[EMULATOR_KEY] = emu
    app.router.add_route("*", r"/bot{token}/{method}", handle_bot)
    app.router.add_get(r"/file/bot{token}/{path:.+}", handle_file)
    app.router.add_get("/_control/file/{file_id}", handle_file_bytes)
    app.router.add_route("OPTIONS", "/_control/{name}", handle_options)
    app.router.add_get("/_control/{name}", handle_control)
    app.router.add_post("/_control/{name}", handle_control)
    return app
