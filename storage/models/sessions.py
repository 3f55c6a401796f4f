"""Session rules, occurrences, RSVPs and attendance."""

from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime
from storage.models.groups import _enum


class OccurrenceStatus(enum.StrEnum):
    """Whether a session occurrence takes place."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RsvpAnswer(enum.StrEnum):
    """A member's answer to a session reminder."""

    GOING = "going"
    NOT_GOING = "not_going"
    LATE = "late"


class SessionRule(Base):
    """A weekly schedule: weekdays (0 = Monday), local start time, duration."""

    __tablename__ = "session_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    weekdays: Mapped[list[int]] = mapped_column(JSON)
    start_time: Mapped[time] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    planned_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionOccurrence(Base):
    """One session at one instant: from a weekly rule or one-off."""

    __tablename__ = "session_occurrences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("session_rules.id", ondelete="SET NULL"))
    rule_slot: Mapped[datetime | None] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[OccurrenceStatus] = mapped_column(_enum(OccurrenceStatus, "occurrence_status"))
    title: Mapped[str | None] = mapped_column(String(80))
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("rule_id", "rule_slot"),
        Index("ix_session_occurrences_group_starts", "group_id", "starts_at"),
        Index("ix_session_occurrences_next_reminder_at", "next_reminder_at"),
        Index("ix_session_occurrences_starts_at", "starts_at"),  # digest planner window
    )


class Rsvp(Base):
    """A member's RSVP for one occurrence."""

    __tablename__ = "rsvps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("session_occurrences.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    answer: Mapped[RsvpAnswer] = mapped_column(_enum(RsvpAnswer, "rsvp_answer"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("occurrence_id", "user_id"),)


class Attendance(Base):
    """Whether a member was present at a past occurrence."""

    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("session_occurrences.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    present: Mapped[bool] = mapped_column(Boolean)
    marked_by: Mapped[int] = mapped_column(BigInteger)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, object] | None] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("occurrence_id", "user_id"),)
