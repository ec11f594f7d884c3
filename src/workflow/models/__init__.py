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
from workflow.models.inbox import SavedFilter, Substitute
from workflow.models.process import (
    ChainHead,
    Event,
    HumanTask,
    ProcessInstance,
    ProcessVersion,
    RefusalTally,
    TaskCandidate,
    TaskKey,
)
from workflow.models.zone import Adoption, Experience, Measure, Zone, ZoneRecord
from workflow.roles import OrgKind, Role

__all__ = [
    "Adoption", "ApiToken", "Base", "CandidateKind", "ChainHead", "Event", "Experience", "HumanTask", "ItemStatus",
    "LoginAttempt", "Measure", "MeasureKind", "NO_DUE_DATE", "OrgKind", "Organisation", "ProcessInstance",
    "ProcessVersion", "RefusalTally", "Role", "SavedFilter", "Substitute", "TaskCandidate", "TaskKey", "TaskStatus",
    "UTCDateTime", "User", "UserRole", "Zone", "ZoneRecord", "ZoneStatus", "utcnow",
]
