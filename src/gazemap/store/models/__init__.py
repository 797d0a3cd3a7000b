"""The gazemap tables as SQLAlchemy 2 typed ORM classes; ``Base.metadata`` holds them all."""

from gazemap.store.models.accounts import (
    MEMBERSHIP_ROLES,
    USER_ROLES,
    Membership,
    RefreshToken,
    User,
)
from gazemap.store.models.base import Base, UTCDateTime, utcnow
from gazemap.store.models.ops import AUDIT_OUTCOMES, JOB_STATUSES, AuditEvent, Job
from gazemap.store.models.study import RECORDING_KINDS, Participant, Recording, Stimulus, Study

__all__ = [
    "AUDIT_OUTCOMES",
    "JOB_STATUSES",
    "MEMBERSHIP_ROLES",
    "RECORDING_KINDS",
    "USER_ROLES",
    "AuditEvent",
    "Base",
    "Job",
    "Membership",
    "Participant",
    "Recording",
    "RefreshToken",
    "Stimulus",
    "Study",
    "UTCDateTime",
    "User",
    "utcnow",
]
