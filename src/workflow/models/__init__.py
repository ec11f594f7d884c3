"""Typed ORM rows only: no Flask, no engine. Split by noun; import everything from here."""

from workflow.models.accounts import ApiToken, LoginAttempt, Organisation, User, UserRole
from workflow.models.base import (
    NO_DUE_DATE,
    Base,
    CandidateKind,
    ItemStatus,
    MeasureKind,
    TaskStatus,
    UTCDateTime,
    ZoneStatus,
    utcnow,
)
from workflow.models.documents import Attachment, Blob, Comment
from workflow.models.inbox import SavedFilter, Substitute
from workflow.models.notice import CalendarDay, MailOutbox, Notification
from workflow.models.process import (
    ChainHead,
    Event,
    HumanTask,
    InstanceMigration,
    ProcessInstance,
    ProcessVersion,
    RefusalTally,
    TaskCandidate,
    TaskKey,
)
from workflow.models.worker import WorkerBeat
from workflow.models.zone import Adoption, Experience, Measure, Zone, ZoneRecord
from workflow.roles import OrgKind, Role

__all__ = [
    "Adoption", "ApiToken", "Attachment", "Base", "Blob", "CalendarDay", "CandidateKind", "ChainHead", "Comment",
    "Event", "Experience", "HumanTask", "InstanceMigration", "ItemStatus", "LoginAttempt", "MailOutbox", "Measure",
    "MeasureKind", "NO_DUE_DATE", "Notification", "OrgKind", "Organisation", "ProcessInstance", "ProcessVersion",
    "RefusalTally", "Role", "SavedFilter", "Substitute", "TaskCandidate", "TaskKey", "TaskStatus", "UTCDateTime",
    "User", "UserRole", "WorkerBeat", "Zone", "ZoneRecord", "ZoneStatus", "utcnow",
]
