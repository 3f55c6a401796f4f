"""Bot API method implementations on top of :class:`emulator.state.State`.

Every handler takes the decoded request parameters and returns the ``result`` value or
raises :class:`emulator.faults.ApiError`. Parameters come from form fields (strings,
nested objects JSON-encoded), a JSON body (already decoded) or multipart uploads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.faults import ApiError, Faults
from emulator.html_parse import HTMLParseError, parse_html
from emulator.state import DEFAULT_UPDATE_TYPES, JSON, MessageRecord, State

MAX_TEXT = 4096
MAX_CAPTION = 1024
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)


@dataclass
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


Params = dict[str, Any]


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def p_str(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, Upload):
        return None
    return value if isinstance(value, str) else json.dumps(value)


def p_int(params: Params, name: str, required: bool = False) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise bad(f"{name} is empty")
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        if name == "chat_id":
            raise bad("chat not found") from None
        raise bad(f"invalid {name} specified") from None


def p_bool(params: Params, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in {"true", "1"}
    return bool(value)


def p_json(params: Params, name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad(f"can't parse {name} JSON object") from None
    return value


class BotApi:
    def __init__(self, state: State, faults: Faults, strict_chats: bool = True) -> None:
        self.state = state
        self.faults = faults
        self.strict_chats = strict_chats
        self.handlers: dict[str, Callable[[Params], Any]] = {}
        for name in dir(self):
            if name.startswith("m_"):
                self.handlers[name[2:].lower()] = getattr(self, name)
        self.canonical = {name[2:].lower(): name[2:] for name in dir(self) if name.startswith("m_")}

    # ------------------------------------------------------------- helpers
    def _chat(self, params: Params, for_send: bool = True) -> int:
        chat_id = p_int(params, "chat_id", required=True)
        assert chat_id is not None
        if chat_id not in self.state.chats:
            if self.strict_chats:
                raise bad("chat not found")
            if chat_id > 0:
                self.state.ensure_user(chat_id)
            else:
                self.state.ensure_group(chat_id)
        if for_send and chat_id in self.state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _format(
        self, text: str, parse_mode: str | None, params: Params, key: str
    ) -> tuple[str, list[JSON]]:
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                return parse_html(text)
            except HTMLParseError as exc:
                raise bad(f"can't parse entities: {exc}") from None
        if mode not in {"", "markdown", "markdownv2"}:
            raise bad("unsupported parse_mode")
        entities = p_json(params, key) or []
        return text, list(entities)

    def _markup(self, params: Params) -> JSON | None:
        markup = p_json(params, "reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise bad("BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad("BUTTON_DATA_INVALID")
        return markup

    def _reply_to(self, chat_id: int, params: Params) -> int | None:
        reply = p_json(params, "reply_parameters") or {}
        message_id = reply.get("message_id") or p_int(params, "reply_to_message_id")
        if message_id is None:
            return None
        found = self.state.find_message(chat_id, int(message_id))
        if found is None or found.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad("message to be replied not found")
        return int(message_id)

    def _send(self, chat_id: int, **fields: Any) -> JSON:
        chat = self.state.chats[chat_id]
        self.faults.check_send(chat_id, chat.type != "private")
        record = self.state.add_message(chat_id, True, self.state.bot_id, **fields)
        return self.state.message_to_telegram(record)

    def _editable(self, params: Params) -> MessageRecord:
        if params.get("inline_message_id"):
            raise bad("inline messages are not supported by the emulator")
        chat_id = self._chat(params)
        message_id = p_int(params, "message_id", required=True)
        assert message_id is not None
        record = self.state.find_message(chat_id, message_id)
        if record is None or record.deleted:
            raise bad("message to edit not found")
        if not record.from_bot:
            raise bad("message can't be edited")
        return record

    def _upload(self, params: Params, field: str, kind: str) -> str:
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, Upload):
            record = self.state.add_file(value.data, kind, value.filename, value.content_type)
            return record.file_id
        if isinstance(value, str) and value in self.state.files:
            return value
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or None
            return self.state.add_file(b"", kind, name, None).file_id
        if value is None:
            raise bad(f"there is no {field} in the request")
        raise bad("wrong file identifier/HTTP URL specified")

    def _caption(self, params: Params) -> tuple[str, str, list[JSON]]:
        raw = p_str(params, "caption") or ""
        text, entities = self._format(raw, p_str(params, "parse_mode"), params, "caption_entities")
        if len(text) > MAX_CAPTION:
            raise bad("message caption is too long")
        return raw, text, entities

    # ----------------------------------------------------------------- basic
    def m_getMe(self, params: Params) -> JSON:
        return {
            **self.state.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def m_logOut(self, params: Params) -> bool:
        return True

    def m_close(self, params: Params) -> bool:
        return True

    def m_getUpdates(self, params: Params) -> list[JSON]:
        if self.state.webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        allowed = p_json(params, "allowed_updates")
        if allowed is not None:
            self.state.allowed_updates = frozenset(allowed) or _default_allowed()
        self.state.confirm_updates(p_int(params, "offset") or 0)
        return self.state.available_updates(p_int(params, "limit") or 100)

    # -------------------------------------------------------------- messages
    def m_sendMessage(self, params: Params) -> JSON:
        chat_id = self._chat(params)
        raw = p_str(params, "text") or ""
        parse_mode = p_str(params, "parse_mode")
        if not raw.strip():
            raise bad("message text is empty")
        text, entities = self._format(raw, parse_mode, params, "entities")
        if not text.strip():
            raise bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad("message is too long")
        markup = self._markup(params)
        reply_to = self._reply_to(chat_id, params)
        return self._send(
            chat_id,
            kind="text",
            text=text,
            raw_text=raw,
            parse_mode=parse_mode,
            entities=entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )

    def _send_file(self, params: Params, field: str, kind: str) -> JSON:
        chat_id = self._chat(params)
        raw, caption, entities = self._caption(params)
        markup = self._markup(params)
        reply_to = self._reply_to(chat_id, params)
        file_id = self._upload(params, field, kind)
        return self._send(
            chat_id,
            kind=kind,
            text=caption,
            raw_text=raw,
            parse_mode=p_str(params, "parse_mode"),
            entities=entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            file_id=file_id,
        )

    def m_sendPhoto(self, params: Params) -> JSON:
        return self._send_file(params, "photo", "photo")

    def m_sendDocument(self, params: Params) -> JSON:
        return self._send_file(params, "document", "document")

    def m_editMessageText(self, params: Params) -> JSON:
        record = self._editable(params)
        if record.kind != "text":
            raise bad("there is no text in the message to edit")
        raw = p_str(params, "text") or ""
        if not raw.strip():
            raise bad("message text is empty")
        parse_mode = p_str(params, "parse_mode")
        text, entities = self._format(raw, parse_mode, params, "entities")
        if len(text) > MAX_TEXT:
            raise bad("message is too long")
        markup = self._markup(params)
        if text == record.text and entities == record.entities and markup == record.reply_markup:
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self.state.edit_message(
            record,
            text=text,
            raw_text=raw,
            parse_mode=parse_mode,
            entities=entities,
            reply_markup=markup,
        )
        return self.state.message_to_telegram(record)

    def m_editMessageCaption(self, params: Params) -> JSON:
        record = self._editable(params)
        if record.kind == "text":
            raise bad("there is no caption in the message to edit")
        raw, caption, entities = self._caption(params)
        markup = self._markup(params)
        if caption == record.text and entities == record.entities and markup == record.reply_markup:
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self.state.edit_message(
            record,
            text=caption,
            raw_text=raw,
            parse_mode=p_str(params, "parse_mode"),
            entities=entities,
            reply_markup=markup,
        )
        return self.state.message_to_telegram(record)

    def m_editMessageReplyMarkup(self, params: Params) -> JSON:
        record = self._editable(params)
        markup = self._markup(params)
        if markup == record.reply_markup or (not markup and not record.reply_markup):
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self.state.edit_message(record, reply_markup=markup)
        return self.state.message_to_telegram(record)

    def m_deleteMessage(self, params: Params) -> bool:
        chat_id = self._chat(params, for_send=False)
        message_id = p_int(params, "message_id", required=True)
        assert message_id is not None
        record = self.state.find_message(chat_id, message_id)
        if record is None or record.deleted:
            raise bad("message to delete not found")
        self.state.delete_message(record)
        return True

    def m_deleteMessages(self, params: Params) -> bool:
        chat_id = self._chat(params, for_send=False)
        for message_id in p_json(params, "message_ids") or []:
            record = self.state.find_message(chat_id, int(message_id))
            if record is not None and not record.deleted:
                self.state.delete_message(record)
        return True

    def m_answerCallbackQuery(self, params: Params) -> bool:
        query_id = p_str(params, "callback_query_id") or ""
        query = self.state.callbacks.get(query_id)
        if query is None or query.answer is not None:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        query.answer = {
            "callback_query_id": query_id,
            "text": p_str(params, "text"),
            "show_alert": p_bool(params, "show_alert"),
            "url": p_str(params, "url"),
            "cache_time": p_int(params, "cache_time"),
            "answered_at": self.state.wall(),
            "chat_id": query.chat_id,
            "message_id": query.message_id,
            "data": query.data,
        }
        self.state.add_event("callback_answer", query.chat_id, answer=query.answer)
        self.state._changed()
        return True

    def m_sendChatAction(self, params: Params) -> bool:
        chat_id = self._chat(params)
        action = p_str(params, "action")
        if action not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        entry = {"action": action, "at": self.state.wall()}
        self.state.chat_actions.setdefault(chat_id, []).append(entry)
        self.state.add_event("chat_action", chat_id, action=action)
        return True

    # ----------------------------------------------------------------- files
    def m_getFile(self, params: Params) -> JSON:
        record = self.state.files.get(p_str(params, "file_id") or "")
        if record is None:
            raise bad("invalid file_id")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": len(record.data),
            "file_path": record.file_path,
        }

    # -------------------------------------------------------------- settings
    def _scope_key(self, params: Params) -> str:
        scope = p_json(params, "scope") or {"type": "default"}
        lang = p_str(params, "language_code") or ""
        return json.dumps(scope, sort_keys=True) + "|" + lang

    def m_setMyCommands(self, params: Params) -> bool:
        commands = p_json(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("commands must be a list of at most 100 commands")
        for command in commands:
            if not COMMAND_RE.match(str(command.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_key(params)
        self.state.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def m_getMyCommands(self, params: Params) -> list[JSON]:
        return self.state.commands.get(self._scope_key(params), [])

    def m_deleteMyCommands(self, params: Params) -> bool:
        self.state.commands.pop(self._scope_key(params), None)
        return True

    def _set_text(self, params: Params, field: str, limit: int) -> bool:
        value = p_str(params, field) or ""
        if len(value) > limit:
            raise bad(f"{field} is too long")
        self.state.descriptions[f"{field}|{p_str(params, 'language_code') or ''}"] = value
        return True

    def _get_text(self, params: Params, field: str) -> JSON:
        key = f"{field}|{p_str(params, 'language_code') or ''}"
        return {field: self.state.descriptions.get(key, "")}

    def m_setMyDescription(self, params: Params) -> bool:
        return self._set_text(params, "description", 512)

    def m_getMyDescription(self, params: Params) -> JSON:
        return self._get_text(params, "description")

    def m_setMyShortDescription(self, params: Params) -> bool:
        return self._set_text(params, "short_description", 120)

    def m_getMyShortDescription(self, params: Params) -> JSON:
        return self._get_text(params, "short_description")

    def m_setMyName(self, params: Params) -> bool:
        return self._set_text(params, "name", 64)

    def m_getMyName(self, params: Params) -> JSON:
        return self._get_text(params, "name")

    def m_setChatMenuButton(self, params: Params) -> bool:
        return True

    # --------------------------------------------------------------- webhook
    def m_setWebhook(self, params: Params) -> bool:
        url = p_str(params, "url") or ""
        if url and not url.startswith(("http://", "https://")):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        if p_bool(params, "drop_pending_updates"):
            self.state.updates.clear()
        allowed = p_json(params, "allowed_updates")
        if allowed is not None:
            self.state.allowed_updates = frozenset(allowed) or _default_allowed()
        self.state.webhook = {
            "url": url,
            "secret_token": p_str(params, "secret_token"),
            "max_connections": p_int(params, "max_connections") or 40,
            "allowed_updates": allowed,
        }
        self.state.webhook_error = {}
        self.state._changed()
        return True

    def m_deleteWebhook(self, params: Params) -> bool:
        if p_bool(params, "drop_pending_updates"):
            self.state.updates.clear()
        self.state.webhook = {"url": "", "secret_token": None, "allowed_updates": None}
        self.state.webhook_error = {}
        self.state._changed()
        return True

    def m_getWebhookInfo(self, params: Params) -> JSON:
        hook = self.state.webhook
        info: JSON = {
            "url": hook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }
        if hook["url"]:
            info["max_connections"] = hook.get("max_connections", 40)
            if hook.get("allowed_updates") is not None:
                info["allowed_updates"] = hook["allowed_updates"]
        info.update(self.state.webhook_error)
        return info


def _default_allowed() -> frozenset[str]:
    return DEFAULT_UPDATE_TYPES
