"""Delete every row about one person, in the caller's transaction.

Decision on alerts: an alert about the person is kept for the clinic's safety audit but made
anonymous (`user_id` set to NULL, escalation stopped); alert events the person caused lose their
`actor_id`. Facilitators' records of their own work (groups created, attendance they marked)
stay; references to the person in them are set to NULL where the column allows it.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Alert,
    AlertEvent,
    Attendance,
    ChatState,
    CheckIn,
    Delivery,
    Membership,
    Question,
    Rsvp,
    Share,
    Support,
    User,
    Who5Response,
)

# Deliveries that are about the person but addressed to someone else (their keys name them).
ABOUT_KEY_PREFIXES = ("join_request:u{uid}:", "welcome_back:u{uid}:")


async def forget_user(session: AsyncSession, user_id: int) -> bool:
    """Delete everything about the person; False when nothing was stored."""
    user = await session.get(User, user_id)
    share_ids = select(Share.id).where(Share.user_id == user_id).scalar_subquery()
    await session.execute(
        delete(Support).where(or_(Support.user_id == user_id, Support.share_id.in_(share_ids)))
    )
    await session.execute(delete(Share).where(Share.user_id == user_id))
    await session.execute(delete(CheckIn).where(CheckIn.user_id == user_id))
    await session.execute(delete(Who5Response).where(Who5Response.user_id == user_id))
    await session.execute(delete(Rsvp).where(Rsvp.user_id == user_id))
    await session.execute(delete(Attendance).where(Attendance.user_id == user_id))
    await session.execute(delete(Question).where(Question.asker_id == user_id))
    await session.execute(delete(Membership).where(Membership.user_id == user_id))
    about = [Delivery.key.like(p.format(uid=user_id) + "%") for p in ABOUT_KEY_PREFIXES]
    await session.execute(delete(Delivery).where(or_(Delivery.recipient_id == user_id, *about)))
    await session.execute(
        delete(ChatState).where(
            or_(ChatState.user_id == user_id, ChatState.key == f"flow:{user_id}")
        )
    )
    await session.execute(
        update(Alert)
        .where(Alert.user_id == user_id)
        .values(user_id=None, next_escalation_at=None)
    )
    await session.execute(
        update(AlertEvent).where(AlertEvent.actor_id == user_id).values(actor_id=None)
    )
    await session.execute(
        update(Alert).where(Alert.acknowledged_by == user_id).values(acknowledged_by=None)
    )
    await session.execute(
        update(Share).where(Share.removed_by == user_id).values(removed_by=None)
    )
    await session.execute(
        update(Question).where(Question.answered_by == user_id).values(answered_by=None)
    )
    await session.execute(delete(User).where(User.id == user_id))
    await session.flush()
    session.expunge_all()
    return user is not None
