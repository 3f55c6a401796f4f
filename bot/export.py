"""Everything stored about one person, as JSON (notes decrypted) and a CSV of check-ins."""

from __future__ import annotations

import csv
import enum
import io
import json
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import TextCipher
from storage.models import (
    Attendance,
    CheckIn,
    Delivery,
    Group,
    Membership,
    Question,
    Rsvp,
    Share,
    Support,
    User,
    Who5Response,
)

FORMAT_VERSION = 1


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def row_dict(row: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model row's columns as JSON-friendly values (encrypted columns left out)."""
    out: dict[str, Any] = {}
    for attr in inspect(row).mapper.column_attrs:
        if attr.key in skip or attr.key.endswith("_enc"):
            continue
        out[attr.key] = _value(getattr(row, attr.key))
    return out


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).scalars().all())


async def collect(
    session: AsyncSession, user_id: int, cipher: TextCipher
) -> dict[str, Any] | None:
    """Every row about the person, decrypted; None when nothing is stored."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    groups = {g.id: g.name for g in await _rows(session, select(Group))}
    memberships = await _rows(
        session, select(Membership).where(Membership.user_id == user_id).order_by(Membership.id)
    )
    checkins = await _rows(
        session, select(CheckIn).where(CheckIn.user_id == user_id).order_by(CheckIn.local_date)
    )
    shares = await _rows(session, select(Share).where(Share.user_id == user_id).order_by(Share.id))
    questions = await _rows(
        session, select(Question).where(Question.asker_id == user_id).order_by(Question.id)
    )
    deliveries = await _rows(
        session,
        select(Delivery).where(Delivery.recipient_id == user_id).order_by(Delivery.id),
    )
    return {
        "format_version": FORMAT_VERSION,
        "user": row_dict(user),
        "memberships": [
            {**row_dict(m), "group_name": groups.get(m.group_id)} for m in memberships
        ],
        "checkins": [
            {**row_dict(c), "note": cipher.decrypt(c.note_enc)} for c in checkins
        ],
        "who5_responses": [
            row_dict(r)
            for r in await _rows(
                session, select(Who5Response).where(Who5Response.user_id == user_id)
            )
        ],
        "rsvps": [
            row_dict(r)
            for r in await _rows(
                session, select(Rsvp).where(Rsvp.user_id == user_id).order_by(Rsvp.id)
            )
        ],
        "attendance": [
            row_dict(a)
            for a in await _rows(
                session,
                select(Attendance).where(Attendance.user_id == user_id).order_by(Attendance.id),
            )
        ],
        "shares": [{**row_dict(s), "text": cipher.decrypt(s.text_enc)} for s in shares],
        "supports_given": [
            row_dict(s)
            for s in await _rows(
                session, select(Support).where(Support.user_id == user_id).order_by(Support.id)
            )
        ],
        "questions_asked": [
            {
                **row_dict(q),
                "text": cipher.decrypt(q.text_enc),
                "answer": cipher.decrypt(q.answer_enc),
            }
            for q in questions
        ],
        "deliveries_to_me": [
            {
                "kind": d.kind,
                "status": _value(d.status),
                "due_at": _value(d.due_at),
                "sent_at": _value(d.sent_at),
                "outcome": d.outcome,
            }
            for d in deliveries
        ],
    }


def to_json(data: dict[str, Any]) -> bytes:
    """Pretty, UTF-8 JSON bytes."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def checkins_csv(data: dict[str, Any]) -> bytes:
    """The check-ins as CSV: date, mood, feelings, note."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "mood", "feelings", "note"])
    for c in data.get("checkins", []):
        note = c.get("note") or ""
        # Neutralise spreadsheet formulas in free text.
        if note[:1] in ("=", "+", "-", "@"):
            note = "'" + note
        writer.writerow([c["local_date"], c["mood"], ";".join(c.get("tags") or []), note])
    return buffer.getvalue().encode("utf-8-sig")
