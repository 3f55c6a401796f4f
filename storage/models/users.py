"""People: users with their preferences and consent."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import BigInteger, Boolean, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class User(Base):
    """A Telegram user known to the bot. Nothing but the id is kept before consent."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    display_name: Mapped[str | None] = mapped_column(String(128))
    language_code: Mapped[str | None] = mapped_column(String(16))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    onboarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str | None] = mapped_column(String(64))
    checkin_time: Mapped[time | None] = mapped_column(Time)
    prompts_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    share_with_facilitators: Mapped[bool] = mapped_column(Boolean, default=True)
    receive_shares: Mapped[bool] = mapped_column(Boolean, default=True)
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_prompt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_share_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_users_next_prompt_at", "next_prompt_at"),
        Index("ix_users_next_share_digest_at", "next_share_digest_at"),
    )

    @property
    def has_consented(self) -> bool:
        """True once the person agreed to what is stored."""
        return self.consent_at is not None

    @property
    def is_onboarded(self) -> bool:
        """True once onboarding finished."""
        return self.onboarded_at is not None
