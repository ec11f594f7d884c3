"""Typed ORM rows only: no Flask, no engine. Split by noun; import everything from here."""

from workflow.models.accounts import ApiToken, LoginAttempt, Organisation, User, UserRole
from workflow.models.base import (
    Base,
    CandidateKind,
    ItemStatus,
    MeasureKind,
    TaskStatus,
    UTCDateTime,
    ZoneStatus,
    utcnow,
)
from workflow.models.process import (
    ChainHead,
    Event,
    HumanTask,
    InstanceMigration,
    ProcessInstance,
    ProcessVersion,
    RefusalTally,
    TaskCandidate,
)
from workflow.models.worker import WorkerBeat
from workflow.models.zone import Adoption, Experience, Measure, Zone, ZoneRecord
from workflow.roles import OrgKind, Role

__all__ = [
    "Adoption", "ApiToken", "Base", "CandidateKind", "ChainHead", "Event", "Experience", "HumanTask",
    "InstanceMigration", "ItemStatus",
    "LoginAttempt", "Measure", "MeasureKind", "OrgKind", "Organisation", "ProcessInstance", "ProcessVersion",
    "RefusalTally", "Role", "TaskCandidate", "TaskStatus", "UTCDateTime", "User", "UserRole", "WorkerBeat", "Zone",
    "ZoneRecord", "ZoneStatus", "utcnow",
]
