"""Groups, memberships with roles and status, and invite codes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime

DEFAULT_REMINDER_OFFSETS = [24 * 60, 60]


def _enum(cls: type[enum.Enum], name: str) -> SAEnum:
    return SAEnum(
        cls,
        name=name,
        native_enum=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    """A member's role in one group."""

    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    CO_FACILITATOR = "co_facilitator"


class MemberStatus(enum.StrEnum):
    """Where a membership stands."""

    ACTIVE = "active"
    PENDING = "pending"
    DECLINED = "declined"
    REMOVED = "removed"
    LEFT = "left"


class InviteKind(enum.StrEnum):
    """What an invite grants."""

    JOIN = "join"
    FACILITATOR = "facilitator"
    CO_FACILITATOR = "co_facilitator"


class Group(Base):
    """A therapy or support group."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64))
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=list)
    digest_offset_minutes: Mapped[int] = mapped_column(Integer, default=120)
    who5_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Membership(Base):
    """A person's role and status in one group."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    status: Mapped[MemberStatus] = mapped_column(_enum(MemberStatus, "member_status"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        Index("ix_memberships_user_id", "user_id"),
    )


class Invite(Base):
    """An invite token: join a group, become a facilitator, or co-facilitate a group."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[InviteKind] = mapped_column(_enum(InviteKind, "invite_kind"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
