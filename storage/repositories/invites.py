"""Invite tokens: join a group, become a facilitator, or co-facilitate a group."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, InviteKind

# 16 random bytes -> 22 URL-safe characters (128 bits). Telegram's start parameter allows
# A-Z a-z 0-9 _ - and up to 64 characters, so "join_" / "fac_" prefixes still fit easily.
TOKEN_BYTES = 16


class InviteProblem(enum.StrEnum):
    """Why an invite cannot be used right now."""

    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used_up"


def new_token() -> str:
    """A fresh unguessable token (128 bits, URL-safe, fits a Telegram start parameter)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


async def create_invite(
    session: AsyncSession,
    kind: InviteKind,
    group_id: int | None,
    created_by: int,
    now: datetime,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> Invite:
    """Insert a new invite with a fresh token and return it (flushed, not committed)."""
    invite = Invite(
        token=new_token(),
        kind=kind,
        group_id=group_id,
        created_by=created_by,
        created_at=now,
        expires_at=expires_at,
        revoked_at=None,
        max_uses=max_uses,
        uses=0,
    )
    session.add(invite)
    await session.flush()
    return invite


async def find_invite(
    session: AsyncSession, token: str, *, for_update: bool = False
) -> Invite | None:
    """The invite with exactly this token, or None (no validity check: see `invite_problem`)."""
    if not token or len(token) > 64:
        return None
    stmt = select(Invite).where(Invite.token == token)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def invite_problem(invite: Invite | None, now: datetime) -> InviteProblem | None:
    """Why this invite cannot be used at `now`, or None when it can."""
    if invite is None:
        return InviteProblem.UNKNOWN
    if invite.revoked_at is not None:
        return InviteProblem.REVOKED
    if invite.expires_at is not None and invite.expires_at <= now:
        return InviteProblem.EXPIRED
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return InviteProblem.USED_UP
    return None


async def use_invite(session: AsyncSession, invite: Invite) -> None:
    """Count one use of the invite."""
    invite.uses = (invite.uses or 0) + 1
    await session.flush()


async def active_invite(session: AsyncSession, group_id: int, kind: InviteKind) -> Invite | None:
    """The newest unrevoked invite of this kind for the group, or None."""
    stmt = (
        select(Invite)
        .where(Invite.group_id == group_id, Invite.kind == kind, Invite.revoked_at.is_(None))
        .order_by(Invite.created_at.desc(), Invite.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def revoke_group_invites(
    session: AsyncSession, group_id: int, kind: InviteKind, now: datetime
) -> int:
    """Revoke every still-valid invite of this kind for the group; returns how many."""
    result = await session.execute(
        update(Invite)
        .where(Invite.group_id == group_id, Invite.kind == kind, Invite.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)
