"""Telegram-style HTML parse mode: validation and conversion to plain text + entities.

Mirrors the subset of tdlib's ``parse_html`` that bots rely on: supported tags, the
four named entities plus numeric ones, and Telegram's error messages (byte offsets are
UTF-8 offsets into the original text, entity offsets are UTF-16 code units).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
SUPPORTED = {*SIMPLE_TAGS, "a", "span", "tg-emoji", "blockquote"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_-]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")


class HTMLParseError(ValueError):
    """Raised with Telegram's wording (without the "can't parse entities" prefix)."""


@dataclass
class _Open:
    name: str
    start16: int
    byte_offset: int
    attrs: dict[str, str] = field(default_factory=dict)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(match: re.Match[str]) -> str | None:
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        return NAMED_ENTITIES.get(body.lower())
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        name, value = match.group(1), match.group(2) or ""
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
        attrs[name.lower()] = _ENTITY_RE.sub(lambda m: _decode_entity(m) or m.group(0), value)
    return attrs


def _entity_for(tag: _Open, end16: int) -> dict[str, Any] | None:
    length = end16 - tag.start16
    if length <= 0:
        return None
    entity: dict[str, Any] = {"offset": tag.start16, "length": length}
    if tag.name in SIMPLE_TAGS:
        entity["type"] = SIMPLE_TAGS[tag.name]
        if tag.name == "pre" and tag.attrs.get("language"):
            entity["language"] = tag.attrs["language"]
    elif tag.name == "a":
        entity.update(type="text_link", url=tag.attrs.get("href", ""))
    elif tag.name == "span":
        entity["type"] = "spoiler"
    elif tag.name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=tag.attrs.get("emoji-id", ""))
    else:  # blockquote
        expandable = "expandable" in tag.attrs
        entity["type"] = "expandable_blockquote" if expandable else "blockquote"
    return entity


def _open_tag(text: str, pos: int, stack: list[_Open], out16: int) -> int:
    close = text.find(">", pos)
    if close == -1:
        raise HTMLParseError(f"Unclosed start tag at byte offset {_byte_offset(text, pos)}")
    inner = text[pos + 1 : close].rstrip("/")
    name_match = re.match(r"[a-zA-Z0-9-]*", inner)
    name = name_match.group(0).lower() if name_match else ""
    offset = _byte_offset(text, pos)
    if not name:
        raise HTMLParseError(f"Empty tag name at byte offset {offset}")
    if name not in SUPPORTED:
        raise HTMLParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
    attrs = _parse_attrs(inner[len(name) :])
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HTMLParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "code" and stack and stack[-1].name == "pre" and "class" in attrs:
        lang = attrs["class"].removeprefix("language-")
        stack[-1].attrs["language"] = lang
    stack.append(_Open(name, out16, offset, attrs))
    return close + 1


def _close_tag(
    text: str, pos: int, stack: list[_Open], out16: int, entities: list[dict[str, Any]]
) -> int:
    close = text.find(">", pos)
    offset = _byte_offset(text, pos)
    if close == -1:
        raise HTMLParseError(f"Unclosed end tag at byte offset {offset}")
    name = text[pos + 2 : close].strip().lower()
    if not stack:
        raise HTMLParseError(f"Unexpected end tag at byte offset {offset}")
    top = stack.pop()
    if name != top.name:
        raise HTMLParseError(
            f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
            f'found "</{name}>"'
        )
    entity = _entity_for(top, out16)
    if entity is not None:
        entities.append(entity)
    return close + 1


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(plain_text, entities)`` or raise :class:`HTMLParseError`."""
    out: list[str] = []
    out16 = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<":
            if text.startswith("</", pos):
                pos = _close_tag(text, pos, stack, out16, entities)
            else:
                pos = _open_tag(text, pos, stack, out16)
            continue
        piece = char
        if char == "&":
            match = _ENTITY_RE.match(text, pos)
            decoded = _decode_entity(match) if match else None
            if match and decoded is not None:
                piece = decoded
                pos = match.end()
            else:
                pos += 1
        else:
            pos += 1
        out.append(piece)
        out16 += _utf16_len(piece)
    if stack:
        raise HTMLParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (Telegram's entity unit)."""
    return _utf16_len(text)
