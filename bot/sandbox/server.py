"""The sandbox page's web server: static files and a small JSON API over the emulator.

The browser talks only to this server (one origin, 127.0.0.1): it reads chats, sends messages
and presses buttons as a persona, streams new messages and edits (server-sent events) and moves
the clock. POSTs must be JSON, so another web site cannot drive the sandbox with a plain form.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator import EmulatorError

if TYPE_CHECKING:
    from bot.sandbox.runtime import Sandbox

STATIC_DIR = Path(__file__).parent / "static"
SANDBOX_KEY = web.AppKey("sandbox", object)
MAX_TEXT = 4096
DEEP_LINK = re.compile(
    r"^(?:https?://)?(?:t\.me|telegram\.me)/(?P<bot>[A-Za-z0-9_]{3,64})\?start=(?P<payload>[A-Za-z0-9_-]{1,64})$"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX_KEY]  # type: ignore[return-value]


def deep_link_to_command(text: str, bot_username: str) -> str:
    """A pasted t.me link to this bot becomes `/start <payload>`, as Telegram does on open."""
    match = DEEP_LINK.match(text.strip())
    if match and match["bot"].lower() == bot_username.lower():
        return f"/start {match['payload']}"
    return text


def annotate(sandbox: Sandbox, record: dict[str, Any]) -> dict[str, Any]:
    """Add the sandbox time (ms) at which a message was sent, for the page's timestamps."""
    sent = float(record.get("sent_at") or 0.0)
    return {**record, "sandbox_ms": int((sent + sandbox.offset_at(sent)) * 1000)}


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send JSON")
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="bad JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


def _persona_id(sandbox: Sandbox, value: Any) -> int:
    """Only the demo personas can be driven from the page."""
    ids = {p.user_id for p in sandbox.info.personas} if sandbox.info else set()
    try:
        user_id = int(value)
    except (TypeError, ValueError):
        raise web.HTTPBadRequest(text="user_id must be a number") from None
    if user_id not in ids:
        raise web.HTTPNotFound(text="no such persona")
    return user_id


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


async def index(request: web.Request) -> web.StreamResponse:
    """The page."""
    return web.FileResponse(STATIC_DIR / "index.html", headers=SECURITY_HEADERS)


async def static(request: web.Request) -> web.StreamResponse:
    """app.js, style.css and friends (only files directly in static/)."""
    name = request.match_info["name"]
    path = STATIC_DIR / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers=SECURITY_HEADERS)


async def state(request: web.Request) -> web.Response:
    """Personas, the demo group, the bot and the sandbox time."""
    sandbox = _sandbox(request)
    info = sandbox.info
    assert info is not None
    return web.json_response(
        {
            "ok": True,
            "bot": {
                "username": sandbox.emu.state.bot_username,
                "name": "circlebot",
            },
            "group": {"id": info.group_id, "name": info.group_name, "zone": info.zone},
            "join_link": _join_link(sandbox),
            "personas": [
                {
                    "key": p.key,
                    "user_id": p.user_id,
                    "name": p.name,
                    "role": p.role,
                    "hint": p.hint,
                    "shown": p.shown,
                }
                for p in info.personas
            ],
            "clock": sandbox.time_info(),
            "last_seq": sandbox.emu.state.event_seq,
        }
    )


def _join_link(sandbox: Sandbox) -> str:
    from bot.sandbox.demo import join_link

    info = sandbox.info
    assert info is not None
    return join_link(sandbox.emu.state.bot_username, info.join_token) if info.join_token else ""


async def messages(request: web.Request) -> web.Response:
    """A persona's chat: their messages and the bot's, in order."""
    sandbox = _sandbox(request)
    user_id = _persona_id(sandbox, request.query.get("user_id"))
    records = await sandbox.emu.messages(user_id, include_user=True)
    return web.json_response({"ok": True, "messages": [annotate(sandbox, r) for r in records]})


async def send(request: web.Request) -> web.Response:
    """A persona types a message (a pasted join link becomes `/start join_...`)."""
    sandbox = _sandbox(request)
    body = await _json_body(request)
    user_id = _persona_id(sandbox, body.get("user_id"))
    text = str(body.get("text") or "").strip()
    if not text:
        return _error(400, "empty message")
    if len(text) > MAX_TEXT:
        return _error(400, f"messages are limited to {MAX_TEXT} characters")
    text = deep_link_to_command(text, sandbox.emu.state.bot_username)
    persona = next(p for p in sandbox.info.personas if p.user_id == user_id)  # type: ignore[union-attr]
    update = await sandbox.emu.send_message(user_id, text, first_name=persona.name)
    return web.json_response({"ok": True, "message_id": update["message"]["message_id"]})


async def press(request: web.Request) -> web.Response:
    """A persona presses an inline button of a bot message in their chat."""
    sandbox = _sandbox(request)
    body = await _json_body(request)
    user_id = _persona_id(sandbox, body.get("user_id"))
    try:
        message_id = int(body.get("message_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _error(400, "message_id must be a number")
    data = str(body.get("data") or "")
    if not data:
        return _error(400, "data is required")
    try:
        query_id = await sandbox.emu.press_button(user_id, message_id, data)
    except EmulatorError as error:
        return _error(404, str(error))
    return web.json_response({"ok": True, "callback_query_id": query_id})


async def commands(request: web.Request) -> web.Response:
    """The command menu the bot set for a persona (their chat scope, else the default)."""
    sandbox = _sandbox(request)
    user_id = _persona_id(sandbox, request.query.get("user_id"))
    found = await sandbox.emu.commands(scope={"type": "chat", "chat_id": user_id})
    if not found:
        found = await sandbox.emu.commands()
    return web.json_response({"ok": True, "commands": found})


async def file(request: web.Request) -> web.StreamResponse:
    """A photo or document the bot sent (photos are shown inline, documents downloaded)."""
    sandbox = _sandbox(request)
    file_id = request.match_info["file_id"]
    try:
        info = await sandbox.emu.file_info(file_id)
        data = await sandbox.emu.file_bytes(file_id)
    except EmulatorError:
        raise web.HTTPNotFound() from None
    headers = dict(SECURITY_HEADERS)
    if info.get("kind") == "document":
        name = re.sub(r"[^A-Za-z0-9._-]", "_", str(info.get("filename") or "file"))
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return web.Response(
        body=data,
        content_type=str(info.get("mime_type") or "application/octet-stream"),
        headers=headers,
    )


async def clock(request: web.Request) -> web.Response:
    """GET: sandbox time. POST {action: checkin|reminder|session|hours, hours}: jump forward."""
    sandbox = _sandbox(request)
    if request.method == "GET":
        return web.json_response({"ok": True, **sandbox.time_info()})
    body = await _json_body(request)
    hours = body.get("hours")
    try:
        result = await sandbox.jump(
            str(body.get("action") or ""), float(hours) if hours is not None else None
        )
    except (TypeError, ValueError) as error:
        return _error(400, str(error))
    return web.json_response({"ok": True, **result})


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: every new message, edit, deletion and button answer, as they happen."""
    sandbox = _sandbox(request)
    raw = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    after = int(raw) if raw.isdigit() else 0
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
        await response.write(b"retry: 1000\n: connected\n\n")
        if after > sandbox.emu.state.event_seq:  # the sandbox was restarted under the page
            await response.write(b"event: reload\ndata: {}\n\n")
            return response
        while not sandbox.closing.is_set() and not sandbox.emu.closing:
            batch = await sandbox.emu.events(after=after, timeout=10.0)
            for event in batch["events"]:
                if "message" in event and isinstance(event["message"], dict):
                    event = {**event, "message": annotate(sandbox, event["message"])}
                data = json.dumps(event, ensure_ascii=False)
                await response.write(f"id: {event['seq']}\ndata: {data}\n\n".encode())
                after = event["seq"]
            if not batch["events"]:
                await response.write(b": ping\n\n")
    return response


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """API errors as JSON `{ok: false, error}`."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException as error:
        if request.path.startswith("/api/") and error.status >= 400:
            return _error(error.status, error.text or error.reason)
        raise


def build_web_app(sandbox: Sandbox) -> web.Application:
    """The aiohttp application of the page."""
    app = web.Application(middlewares=[json_errors], client_max_size=64 * 1024)
    app[SANDBOX_KEY] = sandbox
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/api/state", state)
    app.router.add_get("/api/messages", messages)
    app.router.add_post("/api/send", send)
    app.router.add_post("/api/press", press)
    app.router.add_get("/api/commands", commands)
    app.router.add_get("/api/file/{file_id}", file)
    app.router.add_get("/api/clock", clock)
    app.router.add_post("/api/clock", clock)
    app.router.add_get("/api/events", events)
    return app
