"""Pure in-memory model of the emulated Telegram world (no I/O, no asyncio).

Everything returned to callers is a JSON-friendly dict. Telegram-shaped dicts
(``to_telegram``) are what the Bot API answers; control-shaped dicts
(``to_control``) are what tests and the sandbox page read.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.html_parse import utf16_len

JSON = dict[str, Any]
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
        "my_chat_member",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "chat_join_request",
    }
)


class EmulatorError(Exception):
    """A control-side error (bad test input such as an unknown message or button)."""


@dataclass
class UserInfo:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_telegram(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class ChatInfo:
    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    member_ids: set[int] = field(default_factory=set)

    def to_telegram(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None
    mime_type: str | None
    kind: str
    file_path: str
    width: int = 0
    height: int = 0

    def to_control(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size": len(self.data),
            "kind": self.kind,
            "file_path": self.file_path,
        }


@dataclass
class MessageRecord:
    chat_id: int
    message_id: int
    from_bot: bool
    from_user_id: int
    date: int
    sent_at: float
    sent_mono: float
    kind: str = "text"
    text: str = ""
    raw_text: str = ""
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    file_id: str | None = None
    reply_to_message_id: int | None = None
    edits: list[JSON] = field(default_factory=list)
    edit_date: int | None = None
    edited_mono: float | None = None
    deleted: bool = False
    deleted_at: float | None = None

    def to_control(self, files: dict[str, FileRecord]) -> JSON:
        file_info = files[self.file_id].to_control() if self.file_id in files else None
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "from_user_id": self.from_user_id,
            "kind": self.kind,
            "text": self.text,
            "raw_text": self.raw_text,
            "caption": self.text if self.kind != "text" else None,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "photo": file_info if self.kind == "photo" else None,
            "document": file_info if self.kind == "document" else None,
            "reply_to_message_id": self.reply_to_message_id,
            "edited": bool(self.edits),
            "edit_history": self.edits,
            "edited_mono": self.edited_mono,
            "deleted": self.deleted,
            "deleted_at": self.deleted_at,
            "sent_at": self.sent_at,
            "sent_mono": self.sent_mono,
            "date": self.date,
        }


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answer: JSON | None = None


class State:
    """The world: users, chats, message logs, pending updates, files, bot settings."""

    def __init__(
        self,
        bot_username: str = "circlebot_local_bot",
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot_username = bot_username
        self.wall = wall
        self.mono = mono
        self.on_change: Callable[[], None] | None = None
        self.bot_id = 0
        self.clear()

    def clear(self) -> None:
        self.users: dict[int, UserInfo] = {}
        self.chats: dict[int, ChatInfo] = {}
        self.messages: dict[int, list[MessageRecord]] = {}
        self.last_message_id: dict[int, int] = {}
        self.updates: list[JSON] = []
        self.next_update_id = 1
        self.files: dict[str, FileRecord] = {}
        self.callbacks: dict[str, CallbackQuery] = {}
        self.commands: dict[str, list[JSON]] = {}
        self.descriptions: dict[str, str] = {}
        self.webhook: JSON = {"url": "", "secret_token": None, "allowed_updates": None}
        self.webhook_error: JSON = {}
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.chat_actions: dict[int, list[JSON]] = {}
        self.blocked: set[int] = set()
        self.events: list[JSON] = []
        self.event_seq = 0
        self.watermarks: dict[int, tuple[int, float]] = {}
        self._changed()

    # ----------------------------------------------------------------- helpers
    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "circlebot",
            "username": self.bot_username,
        }

    def add_event(self, kind: str, chat_id: int | None, **payload: Any) -> None:
        self.event_seq += 1
        event = {"seq": self.event_seq, "type": kind, "chat_id": chat_id, "at": self.wall()}
        event.update(payload)
        self.events.append(event)
        if len(self.events) > 10_000:
            del self.events[:1_000]

    def mark_input(self, chat_id: int) -> None:
        """Remember "the user just did something here" for ``wait_for_message``."""
        self.watermarks[chat_id] = (self.last_message_id.get(chat_id, 0), self.mono())

    def _next_message_id(self, chat_id: int) -> int:
        self.last_message_id[chat_id] = self.last_message_id.get(chat_id, 0) + 1
        return self.last_message_id[chat_id]

    # ------------------------------------------------------------ users/chats
    def ensure_user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> UserInfo:
        user = self.users.get(user_id)
        if user is None:
            user = UserInfo(user_id, first_name or f"User{user_id}", last_name, username)
            user.language_code = language_code
            self.users[user_id] = user
        else:
            if first_name:
                user.first_name = first_name
            if username is not None:
                user.username = username
            if last_name is not None:
                user.last_name = last_name
            if language_code is not None:
                user.language_code = language_code
        chat = self.chats.get(user_id)
        if chat is None:
            chat = self.chats[user_id] = ChatInfo(user_id, "private")
        chat.first_name, chat.last_name, chat.username = (
            user.first_name,
            user.last_name,
            user.username,
        )
        chat.member_ids.add(user_id)
        return user

    def ensure_group(self, chat_id: int, title: str | None = None) -> ChatInfo:
        if chat_id >= 0:
            raise EmulatorError("group chat ids must be negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
            chat = self.chats[chat_id] = ChatInfo(chat_id, kind, title=f"Group {-chat_id}")
        if title:
            chat.title = title
        return chat

    def chat_list(self) -> list[JSON]:
        result = []
        for chat in self.chats.values():
            log = self.messages.get(chat.id, [])
            result.append(
                {
                    "chat_id": chat.id,
                    "type": chat.type,
                    "title": chat.title,
                    "first_name": chat.first_name,
                    "username": chat.username,
                    "member_ids": sorted(chat.member_ids),
                    "users": [
                        self.users[uid].to_telegram()
                        for uid in sorted(chat.member_ids)
                        if uid in self.users
                    ],
                    "message_count": len(log),
                    "last_message_at": log[-1].sent_at if log else None,
                    "blocked": chat.id in self.blocked,
                }
            )
        return result

    # ---------------------------------------------------------------- updates
    def push_update(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        self._changed()
        return update

    def confirm_updates(self, offset: int) -> None:
        """Drop every pending update with ``update_id < offset`` (negative: keep last N)."""
        if offset < 0:
            self.updates = self.updates[offset:]
        elif offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def available_updates(self, limit: int = 100) -> list[JSON]:
        """Pending updates the bot wants; silently drops types excluded by allowed_updates."""
        wanted = [u for u in self.updates if _update_type(u) in self.allowed_updates]
        if len(wanted) != len(self.updates):
            self.updates = wanted
        return wanted[: max(1, min(limit, 100))]

    # --------------------------------------------------------------- messages
    def message_log(self, chat_id: int) -> list[MessageRecord]:
        return self.messages.setdefault(chat_id, [])

    def find_message(self, chat_id: int, message_id: int) -> MessageRecord | None:
        for record in self.messages.get(chat_id, []):
            if record.message_id == message_id:
                return record
        return None

    def add_message(
        self, chat_id: int, from_bot: bool, from_user_id: int, **fields: Any
    ) -> MessageRecord:
        now = self.wall()
        record = MessageRecord(
            chat_id=chat_id,
            message_id=self._next_message_id(chat_id),
            from_bot=from_bot,
            from_user_id=from_user_id,
            date=int(now),
            sent_at=now,
            sent_mono=self.mono(),
            **fields,
        )
        self.message_log(chat_id).append(record)
        kind = "bot_message" if from_bot else "user_message"
        self.add_event(kind, chat_id, message=record.to_control(self.files))
        self._changed()
        return record

    def edit_message(self, record: MessageRecord, **changes: Any) -> None:
        record.edits.append(
            {
                "text": record.text,
                "raw_text": record.raw_text,
                "parse_mode": record.parse_mode,
                "reply_markup": record.reply_markup,
                "replaced_at": self.wall(),
            }
        )
        for key, value in changes.items():
            setattr(record, key, value)
        record.edit_date = int(self.wall())
        record.edited_mono = self.mono()
        self.add_event("edit", record.chat_id, message=record.to_control(self.files))
        self._changed()

    def delete_message(self, record: MessageRecord) -> None:
        record.deleted = True
        record.deleted_at = self.wall()
        self.add_event("delete", record.chat_id, message=record.to_control(self.files))
        self._changed()

    def message_to_telegram(self, record: MessageRecord, with_reply: bool = True) -> JSON:
        chat = self.chats[record.chat_id]
        sender = (
            self.bot_user() if record.from_bot else self.users[record.from_user_id].to_telegram()
        )
        data: JSON = {
            "message_id": record.message_id,
            "from": sender,
            "chat": chat.to_telegram(),
            "date": record.date,
        }
        if record.kind == "text":
            data["text"] = record.text
            if record.entities:
                data["entities"] = record.entities
        else:
            file = self.files[record.file_id] if record.file_id else None
            if file is not None:
                data[record.kind] = _file_to_telegram(file)
            if record.text:
                data["caption"] = record.text
                if record.entities:
                    data["caption_entities"] = record.entities
        if record.reply_markup and "inline_keyboard" in record.reply_markup:
            data["reply_markup"] = {"inline_keyboard": record.reply_markup["inline_keyboard"]}
        if record.edit_date is not None:
            data["edit_date"] = record.edit_date
        if with_reply and record.reply_to_message_id is not None:
            replied = self.find_message(record.chat_id, record.reply_to_message_id)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self.message_to_telegram(replied, with_reply=False)
        return data

    # -------------------------------------------------------------- callbacks
    def add_callback(self, user_id: int, record: MessageRecord, data: str) -> CallbackQuery:
        query = CallbackQuery(
            id=secrets.token_hex(8),
            user_id=user_id,
            chat_id=record.chat_id,
            message_id=record.message_id,
            data=data,
            created_at=self.wall(),
        )
        self.callbacks[query.id] = query
        payload = {
            "id": query.id,
            "from": self.users[user_id].to_telegram(),
            "message": self.message_to_telegram(record),
            "chat_instance": str(abs(record.chat_id) * 7919 + 13),
            "data": data,
        }
        self.add_event(
            "callback_query",
            record.chat_id,
            callback_query_id=query.id,
            message_id=record.message_id,
            user_id=user_id,
            data=data,
        )
        self.push_update("callback_query", payload)
        return query

    # ------------------------------------------------------------------ files
    def add_file(
        self, data: bytes, kind: str, filename: str | None, mime_type: str | None
    ) -> FileRecord:
        number = len(self.files) + 1
        folder = "photos" if kind == "photo" else "documents"
        ext = (filename or "").rsplit(".", 1)[-1] if filename and "." in filename else "bin"
        if kind == "photo" and ext == "bin":
            ext = "jpg"
        record = FileRecord(
            file_id=f"EMU{kind[:3].upper()}{number:05d}{secrets.token_hex(6)}",
            file_unique_id=f"EMU{number:05d}",
            data=data,
            filename=filename,
            mime_type=mime_type,
            kind=kind,
            file_path=f"{folder}/file_{number}.{ext}",
        )
        if kind == "photo":
            record.width, record.height = image_size(data)
        self.files[record.file_id] = record
        return record

    def file_by_path(self, path: str) -> FileRecord | None:
        for record in self.files.values():
            if record.file_path == path:
                return record
        return None


def _update_type(update: JSON) -> str:
    return next(key for key in update if key != "update_id")


def _file_to_telegram(file: FileRecord) -> Any:
    base: JSON = {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": len(file.data),
    }
    if file.kind == "photo":
        return [{**base, "width": file.width, "height": file.height}]
    if file.filename:
        base["file_name"] = file.filename
    if file.mime_type:
        base["mime_type"] = file.mime_type
    return base


def image_size(data: bytes) -> tuple[int, int]:
    """Width/height of a PNG or JPEG (falls back to 512x512 for anything else)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                break
            marker, seg_len = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(data[pos + 5 : pos + 7], "big")
                return int.from_bytes(data[pos + 7 : pos + 9], "big"), height
            pos += 2 + seg_len
    return 512, 512


def command_entities(text: str) -> list[JSON]:
    """Telegram marks a leading ``/command[@bot]`` as a bot_command entity."""
    if not text.startswith("/"):
        return []
    token = text.split(maxsplit=1)[0] if text.strip() else text
    if len(token) < 2:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(token)}]


def is_new_bot_message(
    message: JSON,
    after_message_id: int,
    since_mono: float | None,
    contains: str | None = None,
    include_edits: bool = True,
) -> bool:
    """The ``wait_for_message`` filter, shared by the emulator and the HTTP client.

    A bot message counts when it is not deleted and was sent after ``after_message_id``
    or (``include_edits``) edited at/after ``since_mono``; ``contains`` is matched against
    the plain text and the raw (as sent) text.
    """
    if not message["from_bot"] or message["deleted"]:
        return False
    fresh = message["message_id"] > after_message_id
    edited = message.get("edited_mono")
    if not fresh and include_edits and since_mono is not None and edited is not None:
        fresh = edited >= since_mono
    if not fresh:
        return False
    if contains is None:
        return True
    return contains in (message["text"] or "") or contains in (message["raw_text"] or "")
