"""All models; importing this package registers every table on `Base.metadata`."""

from storage.models.base import Base, UTCDateTime
from storage.models.delivery import (
    Announcement,
    AnnouncementStatus,
    ChatState,
    Delivery,
    DeliveryStatus,
)
from storage.models.groups import (
    DEFAULT_REMINDER_OFFSETS,
    Group,
    Invite,
    InviteKind,
    Membership,
    MemberStatus,
    Role,
)
from storage.models.safety import Alert, AlertEvent, AlertStatus
from storage.models.sessions import (
    Attendance,
    OccurrenceStatus,
    Rsvp,
    RsvpAnswer,
    SessionOccurrence,
    SessionRule,
)
from storage.models.users import User
from storage.models.wellbeing import CheckIn, Question, Share, ShareStatus, Support, Who5Response

__all__ = [
    "DEFAULT_REMINDER_OFFSETS",
    "Alert",
    "AlertEvent",
    "AlertStatus",
    "Announcement",
    "AnnouncementStatus",
    "Attendance",
    "Base",
    "ChatState",
    "CheckIn",
    "Delivery",
    "DeliveryStatus",
    "Group",
    "Invite",
    "InviteKind",
    "MemberStatus",
    "Membership",
    "OccurrenceStatus",
    "Question",
    "Role",
    "Rsvp",
    "RsvpAnswer",
    "SessionOccurrence",
    "SessionRule",
    "Share",
    "ShareStatus",
    "Support",
    "UTCDateTime",
    "User",
    "Who5Response",
]
